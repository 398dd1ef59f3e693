// The interpreter is not in @ethereumjs/evm's exports map; imported by its file, it is the same module
// instance the EVM runs (bundlers and Node key modules by resolved path).
import { Interpreter } from '../../node_modules/@ethereumjs/evm/dist/esm/interpreter.js'

/**
 * ethereumjs's interpreter analyses a contract's code (jump destinations, push values, opcode table)
 * on every call into it: ~0.15 ms per ERC20 transfer here, for the same bytes each time. This
 * memoises the analysis per code array (the state manager's code cache hands out the same array for
 * the same contract) and per opcode table (the table depends on the hardfork). Code arrays are never
 * written, so a hit is always the analysis of the same bytes; a miss simply analyses again.
 */
type Analysis = { jumps: Uint8Array; pushes: Record<number, bigint>; opcodesCached: unknown[] }
type InterpreterLike = {
  _evm: { _opcodeMap: object }
  _getValidJumpDestinations(code: Uint8Array): Analysis
}

const proto = (Interpreter as unknown as { prototype: InterpreterLike }).prototype
const analyse = proto._getValidJumpDestinations
const cache = new WeakMap<object, WeakMap<Uint8Array, Analysis>>()

if (typeof analyse === 'function' && !(analyse as { memoised?: true }).memoised) {
  const memoised = function (this: InterpreterLike, code: Uint8Array): Analysis {
    const table = this._evm._opcodeMap
    let byCode = cache.get(table)
    if (!byCode) cache.set(table, (byCode = new WeakMap()))
    let analysis = byCode.get(code)
    if (!analysis) byCode.set(code, (analysis = analyse.call(this, code)))
    return analysis
  }
  proto._getValidJumpDestinations = Object.assign(memoised, { memoised: true as const })
}

export {}
