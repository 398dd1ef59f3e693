// struct logger (geth eth/tracers/logger/logger.go, legacy JSON)
import { EVMError, type EVMResult, type InterpreterStep } from '@ethereumjs/evm'
import { bytesToHex } from '@ethereumjs/util'
import type { RunTxOpts, VM } from '@ethereumjs/vm'
import type { Hex } from 'viem'
import { LimitExceededError } from '../errors.js'
import { gethError } from './traceError.js'
import { runHooked } from './traceHooks.js'
import { lastStep, qty, readSlot, word, type LastStep } from './traceStep.js'

type StructLog = {
  pc: number
  op: string
  gas: bigint
  gasCost: bigint
  depth: number
  error?: string
}
type StructLogDetail = {
  stack?: Hex[]
  returnData?: Hex
  memory?: string[]
  storage?: Record<string, string>
  refund?: bigint
}
/** Errors geth raises before tracing the opcode, so that the opcode's log carries them. */
const PRE_EXECUTION_ERRORS = new Set<string>([
  EVMError.errorMessages.OUT_OF_GAS,
  EVMError.errorMessages.STACK_UNDERFLOW,
  EVMError.errorMessages.STACK_OVERFLOW,
])
const HALTS = new Set([0x00, 0xf3, 0xfd, 0xfe, 0xff])

/** The options the struct logger reads (top-level fields of geth's `TraceConfig`). */
export type StructLoggerConfig = {
  disableStorage?: boolean
  disableStack?: boolean
  enableMemory?: boolean
  enableReturnData?: boolean
  /** The most bytes of JSON the logs may take; past it the trace fails with -32005 (the run goes on, unlogged). */
  maxBytes?: number
}

/**
 * geth's default tracer, the struct logger: one log per opcode run (pc, op, gas, cost, depth, and
 * optionally stack, memory, return data and storage), with the gas used, failure and return value.
 */
export async function structLogger(vm: VM, opts: RunTxOpts, cfg: StructLoggerConfig) {
  const logs: (StructLog & StructLogDetail)[] = []
  const open: { last?: LastStep; lastIndex?: number; returnData: Uint8Array }[] = []
  const storage = new Map<string, Map<string, string>>()
  let top: EVMResult | undefined
  let bytes = 0
  const maxBytes = cfg.maxBytes ?? Infinity
  const detail = (stack: bigint[], memory: Uint8Array, refund: bigint, returnData: Uint8Array) => ({
    stack: cfg.disableStack ? undefined : stack.map(qty),
    returnData: cfg.enableReturnData && returnData.length ? bytesToHex(returnData) : undefined,
    memory: cfg.enableMemory && memory.length ? memoryWords(memory) : undefined,
    refund: refund || undefined,
  })
  const result = await runHooked(vm, opts, {
    async step(e) {
      const f = open[open.length - 1]
      const op = e.opcode.code
      f.last = lastStep(e)
      let cost = f.last.cost
      // geth counts the gas handed to the callee in the CALL-family opcode's cost
      if (op === 0xf1 || op === 0xf2 || op === 0xf4 || op === 0xfa) cost += callGas(e, cost)
      const log = { pc: e.pc, op: f.last.name, gas: e.gasLeft, gasCost: cost, depth: e.depth + 1 }
      const d = detail(e.stack, e.memory, e.gasRefund, f.returnData)
      bytes += estimateBytes(d)
      if (bytes > maxBytes)
        throw new LimitExceededError(
          `trace too large: over ${maxBytes} bytes; disable the stack, memory or storage, or use callTracer`,
        )
      f.lastIndex = logs.push({ ...log, ...d }) - 1
      if (!cfg.disableStorage && (op === 0x54 || op === 0x55) && e.stack.length >= op - 0x53) {
        const s = e.stack
        const key = s[s.length - 1]
        const value =
          op === 0x55 ? s[s.length - 2] : BigInt(bytesToHex(await readSlot(e, e.address, key)))
        const slots = storage.get(e.address.toString()) ?? new Map<string, string>()
        storage.set(e.address.toString(), slots.set(word(key).slice(2), word(value).slice(2)))
        bytes += slots.size * 134
        logs[f.lastIndex].storage = Object.fromEntries(
          [...slots].sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      }
    },
    enter() {
      open.push({ returnData: new Uint8Array() })
    },
    exit(r) {
      const f = open.pop()!
      const { exceptionError: err, returnValue, runState } = r.execResult
      if (err && f.lastIndex !== undefined && PRE_EXECUTION_ERRORS.has(err.error))
        logs[f.lastIndex].error = gethError(err, f.last, false)
      if (!err && f.last && !HALTS.has(f.last.op) && runState) {
        // geth reads STOP past the end of the code and traces it
        const { programCounter: pc, gasLeft, stack, memory, memoryWordCount: words } = runState
        const log = { pc, op: 'STOP', gas: gasLeft, gasCost: 0n, depth: open.length + 1 }
        const mem = memory._store.slice(0, Number(words) * 32)
        logs.push({ ...log, ...detail(stack.getStack(), mem, runState.gasRefund, f.returnData) })
      }
      const parent = open[open.length - 1]
      if (!parent) top = r
      else if (err ? err.error === EVMError.errorMessages.REVERT : !r.createdAddress)
        parent.returnData = returnValue.slice()
      else parent.returnData = new Uint8Array()
    },
  })
  const err = top?.execResult.exceptionError
  const returnValue = top?.execResult.returnValue ?? new Uint8Array()
  return {
    gas: Number(result.totalGasSpent),
    failed: err !== undefined,
    returnValue: bytesToHex(
      !err || err.error === EVMError.errorMessages.REVERT ? returnValue : new Uint8Array(),
    ),
    structLogs: logs.map(encodeStructLog),
  }
}

/** The JSON bytes a struct log takes, closely enough to bound a trace (its storage is counted apart). */
function estimateBytes(d: StructLogDetail): number {
  return (
    80 +
    (d.stack?.length ?? 0) * 70 +
    (d.memory?.length ?? 0) * 67 +
    (d.returnData?.length ?? 0) +
    (d.refund ? 16 : 0)
  )
}

function encodeStructLog(l: StructLog & StructLogDetail): Record<string, unknown> {
  const out: Record<string, unknown> = {
    pc: l.pc,
    op: l.op,
    gas: Number(l.gas),
    gasCost: Number(l.gasCost),
    depth: l.depth,
  }
  if (l.error) out.error = l.error
  if (l.stack) out.stack = l.stack
  if (l.returnData) out.returnData = l.returnData
  if (l.memory) out.memory = l.memory
  if (l.storage) out.storage = l.storage
  if (l.refund) out.refund = Number(l.refund)
  return out
}

/** The gas a CALL-family opcode forwards (before any stipend): all but 1/64th, capped by its argument. */
function callGas(e: InterpreterStep, cost: bigint): bigint {
  const available = e.gasLeft - cost
  const requested = e.stack[e.stack.length - 1]
  if (available <= 0n || requested === undefined) return 0n
  const cap = available - available / 64n
  return requested < cap ? requested : cap
}

function memoryWords(memory: Uint8Array): string[] {
  const words: string[] = []
  for (let i = 0; i + 32 <= memory.length; i += 32)
    words.push(bytesToHex(memory.subarray(i, i + 32)).slice(2))
  return words
}
