import { EVMError, type EVMResult, type InterpreterStep, type Message } from '@ethereumjs/evm'
import { revertReason } from './revertReason.js'
import {
  Address,
  bigIntToBytes,
  bytesToHex,
  createZeroAddress,
  generateAddress,
  generateAddress2,
  setLengthLeft,
} from '@ethereumjs/util'
import { runTx, type RunTxOpts, type RunTxResult, type VM } from '@ethereumjs/vm'
import type { Hex } from 'viem'

/** The options of debug_traceTransaction / debug_traceCall, as geth takes them (`TraceConfig`). */
export type TraceConfig = {
  tracer?: 'callTracer' | 'prestateTracer' | string
  tracerConfig?: {
    onlyTopCall?: boolean
    withLog?: boolean
    /** prestateTracer only; `diffMode` is not supported and is rejected. */
    diffMode?: boolean
    disableCode?: boolean
    disableStorage?: boolean
  }
  disableStorage?: boolean
  disableStack?: boolean
  enableMemory?: boolean
  enableReturnData?: boolean
}

/**
 * debug_traceTransaction / debug_traceCall: runs `runTx(vm, opts)` while listening to the EVM's
 * `beforeMessage`, `afterMessage` and `step` events, and returns what geth's tracer of that name
 * returns: the struct logger (no tracer), `callTracer` or `prestateTracer` (non-diff mode). Any other
 * tracer throws `tracer not supported: <name>`. The run changes state like `runTx`; the caller
 * checkpoints and reverts around it. Listeners are removed afterwards, also when `runTx` throws.
 */
export async function traceTransaction(
  vm: VM,
  opts: RunTxOpts,
  config: TraceConfig,
): Promise<unknown> {
  const name = config.tracer ?? ''
  if (name === '') return traceStructLogs(vm, opts, config)
  if (name === 'callTracer') return traceCalls(vm, opts, config.tracerConfig ?? {})
  if (name === 'prestateTracer' && !config.tracerConfig?.diffMode)
    return tracePrestate(vm, opts, config.tracerConfig ?? {})
  throw new Error(
    `tracer not supported: ${name}${config.tracerConfig?.diffMode ? ' (diffMode)' : ''}`,
  )
}

type Hook<T> = (data: T) => void | Promise<void>
type Hooks = { step?: Hook<InterpreterStep>; enter?: Hook<Message>; exit?: Hook<EVMResult> }

/** Runs the transaction with the hooks attached (awaited, as the EVM awaits two-argument listeners). */
async function runHooked(vm: VM, opts: RunTxOpts, hooks: Hooks): Promise<RunTxResult> {
  const events = vm.evm.events
  if (!events) throw new Error('the EVM has no event emitter to trace with')
  let failure: { error: unknown } | undefined
  const listen =
    <T>(hook: Hook<T>) =>
    (data: T, resolve?: () => void) => {
      const fail = (error: unknown) => ((failure ??= { error }), resolve?.())
      try {
        const pending = failure ? undefined : hook(data)
        if (pending) pending.then(() => resolve?.(), fail)
        else resolve?.()
      } catch (error) {
        fail(error)
      }
    }
  const step = hooks.step && listen(hooks.step)
  const enter = hooks.enter && listen(hooks.enter)
  const exit = hooks.exit && listen(hooks.exit)
  if (step) events.on('step', step)
  if (enter) events.on('beforeMessage', enter)
  if (exit) events.on('afterMessage', exit)
  try {
    const result = await runTx(vm, opts)
    if (failure) throw failure.error
    return result
  } finally {
    if (step) events.off('step', step)
    if (enter) events.off('beforeMessage', enter)
    if (exit) events.off('afterMessage', exit)
  }
}

// ---------------------------------------------------------------------------------------------
// callTracer (geth eth/tracers/native/call.go)

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
/** The last opcode a frame ran: enough to word its failure as geth does. */
type LastStep = { op: number; name: string; stackLen: number; gasLeft: bigint; cost: bigint }
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

async function traceCalls(vm: VM, opts: RunTxOpts, cfg: NonNullable<TraceConfig['tracerConfig']>) {
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

// ---------------------------------------------------------------------------------------------
// struct logger (geth eth/tracers/logger/logger.go, legacy JSON)

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

async function traceStructLogs(vm: VM, opts: RunTxOpts, cfg: TraceConfig) {
  const logs: (StructLog & StructLogDetail)[] = []
  const open: { last?: LastStep; lastIndex?: number; returnData: Uint8Array }[] = []
  const storage = new Map<string, Map<string, string>>()
  let top: EVMResult | undefined
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
      f.lastIndex =
        logs.push({ ...log, ...detail(e.stack, e.memory, e.gasRefund, f.returnData) }) - 1
      if (!cfg.disableStorage && (op === 0x54 || op === 0x55) && e.stack.length >= op - 0x53) {
        const s = e.stack
        const key = s[s.length - 1]
        const value =
          op === 0x55 ? s[s.length - 2] : BigInt(bytesToHex(await readSlot(e, e.address, key)))
        const slots = storage.get(e.address.toString()) ?? new Map<string, string>()
        storage.set(e.address.toString(), slots.set(word(key).slice(2), word(value).slice(2)))
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

// ---------------------------------------------------------------------------------------------
// prestateTracer (geth eth/tracers/native/prestate.go, non-diff mode)

type PreAccount = {
  balance: bigint
  nonce: bigint
  code: Uint8Array
  storage: Map<bigint, bigint>
  empty: boolean
}

async function tracePrestate(
  vm: VM,
  opts: RunTxOpts,
  cfg: NonNullable<TraceConfig['tracerConfig']>,
) {
  const pre = new Map<string, PreAccount>()
  const created = new Set<string>()
  const state = vm.stateManager
  const lookup = async (address: Address) => {
    if (pre.has(address.toString())) return
    const account = await state.getAccount(address)
    const code = await state.getCode(address)
    const [balance, nonce] = [account?.balance ?? 0n, account?.nonce ?? 0n]
    const empty = balance === 0n && nonce === 0n && code.length === 0
    pre.set(address.toString(), { balance, nonce, code, storage: new Map(), empty })
  }
  const from = opts.tx.getSenderAddress()
  let to = opts.tx.to
  if (!to) {
    const nonce = (await state.getAccount(from))?.nonce ?? 0n
    to = new Address(generateAddress(from.bytes, bigIntToBytes(nonce)))
    created.add(to.toString())
  }
  await lookup(from)
  await lookup(to)
  await lookup(opts.block?.header.coinbase ?? createZeroAddress())
  await runHooked(vm, opts, {
    async step(e) {
      const op = e.opcode.code
      const s = e.stack
      const n = s.length
      if ((op === 0x54 || op === 0x55) && n >= 1) {
        await lookup(e.address)
        const slots = pre.get(e.address.toString())!.storage
        if (!slots.has(s[n - 1]))
          slots.set(s[n - 1], BigInt(bytesToHex(await readSlot(e, e.address, s[n - 1]))))
      } else if ([0x31, 0x3b, 0x3c, 0x3f, 0xff].includes(op) && n >= 1) {
        await lookup(stackAddress(s[n - 1]))
      } else if ([0xf1, 0xf2, 0xf4, 0xfa].includes(op) && n >= 5) {
        await lookup(stackAddress(s[n - 2]))
      } else if (op === 0xf0 || (op === 0xf5 && n >= 4)) {
        const init = op === 0xf5 && readMemory(e.memory, s[n - 2], s[n - 3])
        if (op === 0xf5 && !init) return
        const address = new Address(
          init
            ? generateAddress2(e.address.bytes, setLengthLeft(bigIntToBytes(s[n - 4]), 32), init)
            : generateAddress(e.address.bytes, bigIntToBytes(e.account.nonce)),
        )
        await lookup(address)
        created.add(address.toString())
      }
    },
  })
  for (const address of created) if (pre.get(address)?.empty) pre.delete(address)
  const out: Record<string, Record<string, unknown>> = {}
  for (const [address, a] of [...pre].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const json: Record<string, unknown> = { balance: qty(a.balance) }
    if (!cfg.disableCode && a.code.length) json.code = bytesToHex(a.code)
    if (a.nonce > 0n) json.nonce = Number(a.nonce)
    if (!cfg.disableStorage && a.storage.size)
      json.storage = Object.fromEntries(
        [...a.storage].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [word(k), word(v)]),
      )
    out[address] = json
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// shared helpers

const qty = (n: bigint): Hex => `0x${n.toString(16)}`
const word = (n: bigint): Hex => `0x${n.toString(16).padStart(64, '0')}`
const stackAddress = (n: bigint) =>
  new Address(setLengthLeft(bigIntToBytes(n & ((1n << 160n) - 1n)), 20))
const stepCost = (e: InterpreterStep) => e.opcode.dynamicFee ?? BigInt(e.opcode.fee)

function lastStep(e: InterpreterStep): LastStep {
  // geth has no PREVRANDAO name for 0x44
  const name = e.opcode.name === 'PREVRANDAO' ? 'DIFFICULTY' : e.opcode.name
  return {
    op: e.opcode.code,
    name,
    stackLen: e.stack.length,
    gasLeft: e.gasLeft,
    cost: stepCost(e),
  }
}

async function readSlot(e: InterpreterStep, address: Address, key: bigint): Promise<Uint8Array> {
  const value = await e.stateManager.getStorage(address, setLengthLeft(bigIntToBytes(key), 32))
  return setLengthLeft(value, 32)
}

/**
 * Memory at [offset, offset+size) as the opcode will see it (zeros past the current end). False when
 * the range could never be paid for (above 32 MiB), so the opcode is bound to fail.
 */
function readMemory(memory: Uint8Array, offset: bigint, size: bigint): Uint8Array | false {
  if (size === 0n) return new Uint8Array()
  if (offset + size > 1n << 25n) return false
  const out = new Uint8Array(Number(size))
  out.set(memory.subarray(Number(offset), Number(offset + size)))
  return out
}

const GETH_ERRORS: Record<string, string> = {
  [EVMError.errorMessages.REVERT]: 'execution reverted',
  [EVMError.errorMessages.INVALID_JUMP]: 'invalid jump destination',
  [EVMError.errorMessages.STATIC_STATE_CHANGE]: 'write protection',
  [EVMError.errorMessages.OUT_OF_RANGE]: 'return data out of bounds',
  [EVMError.errorMessages.CODESTORE_OUT_OF_GAS]: 'contract creation code storage out of gas',
  [EVMError.errorMessages.CODESIZE_EXCEEDS_MAXIMUM]: 'max code size exceeded',
  [EVMError.errorMessages.INVALID_BYTECODE_RESULT]: 'invalid code: must not begin with 0xef',
  [EVMError.errorMessages.INITCODE_SIZE_VIOLATION]: 'max initcode size exceeded',
  [EVMError.errorMessages.CREATE_COLLISION]: 'contract address collision',
  [EVMError.errorMessages.INSUFFICIENT_BALANCE]: 'insufficient balance for transfer',
}

/** An EVM error worded as geth's `core/vm/errors.go` words it, given the frame's last opcode. */
function gethError(err: EVMError, last: LastStep | undefined, create: boolean): string {
  const m = EVMError.errorMessages
  switch (err.error) {
    case m.STACK_UNDERFLOW:
      return last
        ? `stack underflow (${last.stackLen} <=> ${stackInputs(last.op)})`
        : 'stack underflow'
    case m.STACK_OVERFLOW:
      return last ? `stack limit reached ${last.stackLen} (1023)` : 'stack overflow'
    case m.INVALID_OPCODE:
      return `invalid opcode: ${last?.name ?? 'INVALID'}`
    case m.OUT_OF_GAS:
      if (last?.op === 0x55 && last.gasLeft <= 2300n)
        return 'out of gas: not enough gas for reentrancy sentry'
      // RETURN was paid for, so it is the code deposit that ran out
      if (create && last?.op === 0xf3 && last.gasLeft >= last.cost)
        return 'contract creation code storage out of gas'
      return 'out of gas'
  }
  return GETH_ERRORS[err.error] ?? err.error
}

const INPUTS = new Map<number, number>(
  (
    [
      [
        1,
        [0x15, 0x19, 0x1e, 0x31, 0x35, 0x3b, 0x3f, 0x40, 0x49, 0x50, 0x51, 0x54, 0x56, 0x5c, 0xff],
      ],
      [2, [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14]],
      [
        2,
        [0x16, 0x17, 0x18, 0x1a, 0x1b, 0x1c, 0x1d, 0x20, 0x52, 0x53, 0x55, 0x57, 0x5d, 0xf3, 0xfd],
      ],
      [3, [0x08, 0x09, 0x37, 0x39, 0x3e, 0x5e, 0xf0]],
      [4, [0x3c, 0xf5]],
      [6, [0xf4, 0xfa]],
      [7, [0xf1, 0xf2]],
    ] as const
  ).flatMap(([count, ops]) => ops.map((op) => [op, count] as const)),
)

/** How many stack items an opcode takes (geth's `minStack`). */
function stackInputs(op: number): number {
  if (op >= 0x80 && op <= 0x8f) return op - 0x7f
  if (op >= 0x90 && op <= 0x9f) return op - 0x8e
  if (op >= 0xa0 && op <= 0xa4) return op - 0x9e
  return INPUTS.get(op) ?? 0
}
