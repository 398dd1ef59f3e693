import { Common, Hardfork, Mainnet, createCustomCommon } from '@ethereumjs/common'
import { pointEvaluationKzg } from './kzg.js'

/** The hardfork every shard runs: the newest one @ethereumjs/vm 10 implements as final. */
export const HARDFORK = Hardfork.Osaka

const cache = new Map<number, Common>()

/**
 * The ethereumjs `Common` for a shard: mainnet rules at `HARDFORK` from genesis, with the shard's
 * chain id (a number: ethereumjs wants numbers here). Returns a fresh copy so callers may mutate it.
 */
export function createChainCommon(chainId: number): Common {
  let common = cache.get(chainId)
  if (!common) {
    common = createCustomCommon({ chainId, name: `edge-l2-${chainId}` }, Mainnet, {
      hardfork: HARDFORK,
      customCrypto: { kzg: pointEvaluationKzg },
    })
    cache.set(chainId, common)
  }
  return common.copy()
}
