// callTracer (geth eth/tracers/native/call.go)
import { EVMError, type InterpreterStep, type Message } from '@ethereumjs/evm'
import { bytesToHex, type Address } from '@ethereumjs/util'
import type { RunTxOpts, VM } from '@ethereumjs/vm'
import { revertReason } from './revertReason.js'
import { gethError } from './traceError.js'
import { runHooked } from './traceHooks.js'
import {
  lastStep,
  qty,
  readMemory,
  stackAddress,
  stepCost,
  word,
  type LastStep,
} from './traceStep.js'

type CallLog = { address: Address; topics: bigint[]; data: Uint8Array; position: number }
type CallFrame = {
  type: string
  from: Address
  to?: Address
  value?: bigint
  gas: bigint
  gasUsed: bigint
  input: Uint8Array
  output?: Uint8Array
  error?: string
  revertReason?: string
  calls: CallFrame[]
  logs: CallLog[]
}
type OpenFrame = {
  call: CallFrame
  value: bigint
  last?: LastStep
  /** A CALL/CREATE that fails before entering a frame (depth, balance), as geth reports it. */
  unentered?: CallFrame
  selfdestruct?: CallFrame
}

const CALL_TYPES: Record<number, string> = {
  0xf0: 'CREATE',
  0xf1: 'CALL',
  0xf2: 'CALLCODE',
  0xf4: 'DELEGATECALL',
  0xf5: 'CREATE2',
  0xfa: 'STATICCALL',
}
const isCreate = (type: string) => type === 'CREATE' || type === 'CREATE2'

/** The `tracerConfig` options callTracer reads. */
export type CallTracerConfig = { onlyTopCall?: boolean; withLog?: boolean }

/**
 * geth's `callTracer`: the tree of call frames the transaction entered, with gas, input, output,
 * geth-worded errors and revert reasons, and (with `withLog`) the logs of frames that did not fail.
 */
export async function callTracer(vm: VM, opts: RunTxOpts, cfg: CallTracerConfig) {
  const open: OpenFrame[] = []
  let root: CallFrame | undefined
  const stipend = vm.common.param('callStipendGas')
  const attach = (to: OpenFrame, call: CallFrame) => cfg.onlyTopCall || to.call.calls.push(call)
  const result = await runHooked(vm, opts, {
    step(e) {
      const f = open[open.length - 1]
      if (f.unentered) attach(f, f.unentered)
      f.unentered = undefined
      f.last = lastStep(e)
      const op = e.opcode.code
      const s = e.stack
      if (op >= 0xa0 && op <= 0xa4 && cfg.withLog && !(cfg.onlyTopCall && e.depth > 0)) {
        const count = op - 0xa0
        const data = s.length >= 2 + count && readMemory(e.memory, s[s.length - 1], s[s.length - 2])
        if (data) {
          const topics = Array.from({ length: count }, (_, i) => s[s.length - 3 - i])
          f.call.logs.push({ address: e.address, topics, data, position: f.call.calls.length })
        }
      } else if (op === 0xff && s.length >= 1) {
        const to = stackAddress(s[s.length - 1])
        f.selfdestruct = frame(
          'SELFDESTRUCT',
          e.address,
          to,
          e.account.balance,
          0n,
          new Uint8Array(),
        )
      } else if (CALL_TYPES[op]) {
        f.unentered = unenteredCall(e, f.value, stipend)
      }
    },
    enter(m) {
      const parent = open[open.length - 1]
      if (parent) parent.unentered = undefined
      const type = parent ? (CALL_TYPES[parent.last?.op ?? -1] ?? messageType(m)) : messageType(m)
      const coded = type === 'DELEGATECALL' || type === 'CALLCODE'
      const from = type === 'DELEGATECALL' ? m.to! : m.caller
      const value = type === 'STATICCALL' ? undefined : m.value
      const gas = m.depth === 0 ? opts.tx.gasLimit : m.gasLimit
      open.push({
        call: frame(type, from, coded ? m.codeAddress : m.to, value, gas, m.data.slice()),
        value: m.value,
      })
    },
    exit(r) {
      const f = open.pop()!
      const { call } = f
      const { exceptionError: err, returnValue, executionGasUsed } = r.execResult
      if (!err && f.unentered) attach(f, f.unentered)
      if (!err && f.selfdestruct) attach(f, f.selfdestruct)
      call.gasUsed = executionGasUsed
      if (isCreate(call.type)) call.to = err ? undefined : r.createdAddress
      if (!err) call.output = returnValue.slice()
      else {
        call.error = gethError(err, f.last, isCreate(call.type))
        if (err.error === EVMError.errorMessages.REVERT && returnValue.length > 0) {
          call.output = returnValue.slice()
          call.revertReason = revertReason(returnValue)
        }
      }
      const parent = open[open.length - 1]
      if (parent) attach(parent, call)
      else root = call
    },
  })
  if (!root) throw new Error('the transaction entered no call frame')
  root.gasUsed = result.totalGasSpent
  if (cfg.withLog) clearFailedLogs(root, false)
  return encodeCall(root)
}

function frame(
  type: string,
  from: Address,
  to: Address | undefined,
  value: bigint | undefined,
  gas: bigint,
  input: Uint8Array,
): CallFrame {
  return { type, from, to, value, gas, gasUsed: 0n, input, calls: [], logs: [] }
}

function messageType(m: Message): string {
  if (!m.to) return m.salt ? 'CREATE2' : 'CREATE'
  return m.delegatecall ? 'DELEGATECALL' : 'CALL'
}

/**
 * The frame geth opens (and fails at once) for a CALL or CREATE that ethereumjs rejects before
 * emitting a message: past the depth limit, or with more value than the balance. Undefined when
 * neither applies (then a message follows, or the opcode itself fails).
 */
function unenteredCall(e: InterpreterStep, value: bigint, stipend: bigint): CallFrame | undefined {
  const op = e.opcode.code
  const type = CALL_TYPES[op]
  const s = e.stack
  const n = s.length
  const create = isCreate(type)
  const valued = op === 0xf1 || op === 0xf2 || create
  if (n < (create ? (op === 0xf5 ? 4 : 3) : valued ? 7 : 6)) return undefined
  const sent = valued ? s[create ? n - 1 : n - 3] : type === 'DELEGATECALL' ? value : 0n
  const tooDeep = e.depth >= 1024
  if (!tooDeep && !(valued && sent > e.account.balance)) return undefined
  const available = e.gasLeft - stepCost(e)
  const cap = available - available / 64n
  const [offset, size] = create
    ? [s[n - 2], s[n - 3]]
    : valued
      ? [s[n - 4], s[n - 5]]
      : [s[n - 3], s[n - 4]]
  const input = readMemory(e.memory, offset, size) || new Uint8Array()
  const to = create ? undefined : stackAddress(s[n - 2])
  const gas = create
    ? cap
    : (s[n - 1] < cap ? s[n - 1] : cap) + (valued && sent > 0n ? stipend : 0n)
  const call = frame(type, e.address, to, type === 'STATICCALL' ? undefined : sent, gas, input)
  call.error = tooDeep ? 'max call depth exceeded' : 'insufficient balance for transfer'
  return call
}

function clearFailedLogs(call: CallFrame, parentFailed: boolean) {
  const failed = parentFailed || call.error !== undefined
  if (failed) call.logs = []
  for (const child of call.calls) clearFailedLogs(child, failed)
}

/** geth's JSON for a call frame, fields in geth's order. */
function encodeCall(c: CallFrame): Record<string, unknown> {
  const out: Record<string, unknown> = {
    from: c.from.toString(),
    gas: qty(c.gas),
    gasUsed: qty(c.gasUsed),
  }
  if (c.to) out.to = c.to.toString()
  out.input = bytesToHex(c.input)
  if (c.output?.length) out.output = bytesToHex(c.output)
  if (c.error) out.error = c.error
  if (c.revertReason) out.revertReason = c.revertReason
  if (c.calls.length) out.calls = c.calls.map(encodeCall)
  if (c.logs.length)
    out.logs = c.logs.map((l) => ({
      address: l.address.toString(),
      topics: l.topics.map(word),
      data: bytesToHex(l.data),
      position: qty(BigInt(l.position)),
    }))
  if (c.value !== undefined) out.value = qty(c.value)
  out.type = c.type
  return out
}
