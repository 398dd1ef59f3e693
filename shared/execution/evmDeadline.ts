import { EVMError } from '@ethereumjs/evm'
import type { VM } from '@ethereumjs/vm'
import { BaseError } from '../errors.js'

/**
 * -32000 as geth answers a call, estimate or trace that ran past `--rpc.evmtimeout`:
 * "execution aborted (timeout = 5s)".
 */
export class EvmTimeoutError extends BaseError {
  static override code = -32000
  override name = 'EvmTimeoutError'
  constructor(timeoutMs: number) {
    super(`execution aborted (timeout = ${formatDuration(timeoutMs)})`)
  }
}

/** geth prints the timeout as a Go duration: 5s, 500ms, 1m30s. */
function formatDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`
  const s = ms / 1000
  if (s < 60) return `${s}s`
  return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`
}

type Slot = { active: boolean; deadline: number; expired: boolean; budget: number }
type OpEntry = {
  opcodeInfo: { isAsync: boolean; code: number }
  opHandler: (runState: { gasLeft: bigint }, common: unknown) => unknown
}
type PrecompileFn = (opts: { gasLimit: bigint }) => unknown
type EvmInternals = { _opcodeMap: OpEntry[]; precompiles: Map<string, PrecompileFn> }

/** Work units between two looks at the clock: a jump is 1, a precompile call 16 or all of it. */
const CHECK_EVERY = 4096
/** Precompiles cheap enough per call to count like a few jumps (sha256, ripemd160, identity). */
const CHEAP_PRECOMPILES = new Set(['02', '03', '04'].map((a) => a.padStart(40, '0')))
const JUMP = 0x56
const JUMPI = 0x57
const MARK = Symbol('evmDeadline')

const slots = new WeakMap<object, Slot>()

/**
 * Runs `fn` (EVM work on `vm`) under a wall-clock deadline of `timeoutMs` (0: none), as geth's
 * `--rpc.evmtimeout`: past it, every running frame stops at its next jump or precompile call as out
 * of gas (so the EVM unwinds its own journal), and the call ends with `EvmTimeoutError`.
 *
 * Every jump and precompile call counts; each CHECK_EVERY units the run yields one macrotask, which
 * also lets the clock move (workerd advances `Date.now()` only between tasks) and lets other
 * requests in. Loops need jumps and the costly opcodes per gas (KZG, pairings, modexp) are
 * precompiles, so the run cannot go long between checks. One deadline per VM at a time: the VM
 * `fn` uses must not run anything else meanwhile (ShardChain.withStateAt serialises its reader).
 */
export async function withEvmDeadline<T>(
  vm: VM,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  if (!(timeoutMs > 0)) return fn()
  const slot = install(vm)
  Object.assign(slot, {
    active: true,
    deadline: Date.now() + timeoutMs,
    expired: false,
    budget: CHECK_EVERY,
  })
  try {
    const out = await fn()
    if (slot.expired) throw new EvmTimeoutError(timeoutMs)
    return out
  } catch (err) {
    if (slot.expired) throw new EvmTimeoutError(timeoutMs)
    throw err
  } finally {
    slot.active = false
  }
}

/**
 * Wraps JUMP, JUMPI and the precompiles of this VM's EVM (once per opcode table: the EVM builds a new
 * one on a hardfork change). The wrapped table is a new array, so the jump-analysis cache keyed on
 * the table (jumpdestCache.ts) never hands this VM another VM's unwrapped handlers. These are
 * ethereumjs internals, pinned by version; evmDeadline.test.ts fails if they change.
 */
function install(vm: VM): Slot {
  const evm = vm.evm as unknown as EvmInternals
  let slot = slots.get(evm)
  if (!slot) slots.set(evm, (slot = { active: false, deadline: 0, expired: false, budget: 0 }))
  const s = slot
  const table = evm._opcodeMap as OpEntry[] & { [MARK]?: true }
  if (!table[MARK]) {
    const wrapped = table.slice() as OpEntry[] & { [MARK]?: true }
    for (const op of [JUMP, JUMPI]) wrapped[op] = wrapJump(table[op], s)
    wrapped[MARK] = true
    evm._opcodeMap = wrapped
  }
  for (const [address, fn] of evm.precompiles) {
    if ((fn as { [MARK]?: true })[MARK]) continue
    const weight = CHEAP_PRECOMPILES.has(address) ? 16 : CHECK_EVERY
    const guarded = async (opts: { gasLimit: bigint }) => {
      if (s.active && (await spend(s, weight))) return outOfGas(opts.gasLimit)
      return fn(opts)
    }
    evm.precompiles.set(address, Object.assign(guarded, { [MARK]: true as const }))
  }
  return s
}

function wrapJump(entry: OpEntry, s: Slot): OpEntry {
  const info = entry.opcodeInfo
  const asyncInfo = Object.freeze(
    Object.assign(Object.create(Object.getPrototypeOf(info)), info, { isAsync: true }),
  )
  const handler = entry.opHandler
  return {
    ...entry,
    opcodeInfo: asyncInfo,
    opHandler: async (runState, common) => {
      if (s.active && (await spend(s, 1))) {
        runState.gasLeft = 0n
        throw new EVMError(EVMError.errorMessages.OUT_OF_GAS)
      }
      return handler(runState, common)
    },
  }
}

/** Counts `units` of work; at each CHECK_EVERY, yields a task and reads the clock. True once expired. */
async function spend(s: Slot, units: number): Promise<boolean> {
  if (s.expired) return true
  s.budget -= units
  if (s.budget > 0) return false
  s.budget = CHECK_EVERY
  await new Promise((resolve) => setTimeout(resolve, 0))
  if (Date.now() >= s.deadline) s.expired = true
  return s.expired
}

function outOfGas(gasLimit: bigint) {
  return {
    returnValue: new Uint8Array(0),
    executionGasUsed: gasLimit,
    exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS),
  }
}
