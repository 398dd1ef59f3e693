import { bytesToHex, type Hex } from 'viem'
import { isDepositRaw } from '../chain/depositTx.js'
import type { ChainCore } from '../chain/chainCore.js'
import type { BatchBlock } from '../settlement/batchCodec.js'

/**
 * The blocks `first..last` as a batch carries them: L1 origin, the non-deposit transactions and,
 * when it is not the genesis coinbase, the fee recipient.
 */
export function batchBlocks(chain: ChainCore, first: bigint, last: bigint): BatchBlock[] {
  const out: BatchBlock[] = []
  for (let n = first; n <= last; n++) {
    const header = chain.header(chain.store.blockByNumber(n)!)
    const origin = chain.origins.originOf(n)
    if (!origin) throw new Error(`L2 block ${n} has no L1 origin`)
    const coinbase = header.coinbase.toString() as Hex
    out.push({
      number: n,
      timestamp: header.timestamp,
      l1OriginNumber: origin.l1Number,
      l1OriginHash: origin.l1Hash,
      txs: chain.store
        .txsOfBlock(n)
        .filter((t) => !isDepositRaw(t.raw))
        .map((t) => bytesToHex(t.raw)),
      ...(!sameAddress(coinbase, chain.deps.genesis.coinbase) && { coinbase }),
    })
  }
  return out
}

/**
 * Whether two blocks as a batch carries them are the same block (same inputs: same hash); a block
 * that names no fee recipient has `defaultCoinbase`'s.
 */
export function sameBatchBlock(a: BatchBlock, b: BatchBlock, defaultCoinbase: Hex): boolean {
  return (
    a.number === b.number &&
    a.timestamp === b.timestamp &&
    a.l1OriginNumber === b.l1OriginNumber &&
    a.l1OriginHash.toLowerCase() === b.l1OriginHash.toLowerCase() &&
    sameAddress(a.coinbase ?? defaultCoinbase, b.coinbase ?? defaultCoinbase) &&
    a.txs.length === b.txs.length &&
    a.txs.every((t, i) => t.toLowerCase() === b.txs[i].toLowerCase())
  )
}

function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return a?.toLowerCase() === b?.toLowerCase()
}
