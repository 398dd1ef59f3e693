import { Common, Hardfork, Mainnet, createCustomCommon } from '@ethereumjs/common'
import { paramsBlock } from '@ethereumjs/block'
import { paramsEVM } from '@ethereumjs/evm'
import { paramsTx } from '@ethereumjs/tx'
import { paramsVM } from '@ethereumjs/vm'
import { keccak256 } from './keccak.js'
import { pointEvaluationKzg } from './kzg.js'

/** The hardfork every shard runs: the newest one @ethereumjs/vm 10 implements as final. */
export const HARDFORK = Hardfork.Osaka

const cache = new Map<number, Common>()

/**
 * The parameter sets of the ethereumjs packages, merged once into every shard `Common`. Each
 * transaction, header and VM constructor calls `common.updateParams(itsParams)` on its own copy, which
 * deep-copies the sets and rebuilds the whole parameter cache: about half a millisecond per
 * transaction decoded. Merging them up front makes those calls no-ops with the same outcome.
 */
const PREMERGED: ReadonlySet<object> = new Set([paramsTx, paramsBlock, paramsVM, paramsEVM])

/**
 * The ethereumjs `Common` for a shard: mainnet rules at `HARDFORK` from genesis, with the shard's
 * chain id (a number: ethereumjs wants numbers here). Returns a fresh copy so callers may mutate it.
 */
export function createChainCommon(chainId: number): Common {
  let common = cache.get(chainId)
  if (!common) {
    common = createCustomCommon({ chainId, name: `edge-l2-${chainId}` }, Mainnet, {
      hardfork: HARDFORK,
      customCrypto: { kzg: pointEvaluationKzg, keccak256 },
    })
    for (const params of PREMERGED) common.updateParams(params as never)
    const update = Common.prototype.updateParams
    // An own property, so `copy()` (Object.assign) carries it to every copy.
    common.updateParams = function (this: Common, params) {
      if (!PREMERGED.has(params)) update.call(this, params)
    }
    cache.set(chainId, common)
  }
  return common.copy()
}
