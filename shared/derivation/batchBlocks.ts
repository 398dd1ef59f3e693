import { bytesToHex } from 'viem'
import { isDepositRaw } from '../chain/depositTx.js'
import type { ChainCore } from '../chain/chainCore.js'
import type { BatchBlock } from '../settlement/batchCodec.js'

/** The blocks `first..last` as a batch carries them: L1 origin and the non-deposit transactions. */
export function batchBlocks(chain: ChainCore, first: bigint, last: bigint): BatchBlock[] {
  const out: BatchBlock[] = []
  for (let n = first; n <= last; n++) {
    const header = chain.header(chain.store.blockByNumber(n)!)
    const origin = chain.origins.originOf(n)
    if (!origin) throw new Error(`L2 block ${n} has no L1 origin`)
    out.push({
      number: n,
      timestamp: header.timestamp,
      l1OriginNumber: origin.l1Number,
      l1OriginHash: origin.l1Hash,
      txs: chain.store
        .txsOfBlock(n)
        .filter((t) => !isDepositRaw(t.raw))
        .map((t) => bytesToHex(t.raw)),
    })
  }
  return out
}

/** Whether two blocks as a batch carries them are the same block (same inputs: same hash). */
export function sameBatchBlock(a: BatchBlock, b: BatchBlock): boolean {
  return (
    a.number === b.number &&
    a.timestamp === b.timestamp &&
    a.l1OriginNumber === b.l1OriginNumber &&
    a.l1OriginHash.toLowerCase() === b.l1OriginHash.toLowerCase() &&
    a.txs.length === b.txs.length &&
    a.txs.every((t, i) => t.toLowerCase() === b.txs[i].toLowerCase())
  )
}
