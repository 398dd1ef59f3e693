import type { Hex, RpcLog, RpcTransactionReceipt } from 'viem'
import type { IndexedBlock } from '../db/indexBlocks.js'
import type { StoredBlock, StoredTx } from './chainStore.js'

export type { IndexedBlock }

/**
 * Builds the index rows of a stored block: the same function serves live indexing and catch-up.
 * A block just sealed passes its header and receipts as objects; a block read back from the store
 * has them parsed from its JSON.
 */
export function buildIndexedBlock(
  block: StoredBlock,
  txs: StoredTx[],
  parsed?: { header: { parentHash: Hex; timestamp: Hex }; receipts: RpcTransactionReceipt[] },
): IndexedBlock {
  const header = parsed?.header ?? (JSON.parse(block.rpc) as { parentHash: Hex; timestamp: Hex })
  const logs: IndexedBlock['logs'] = []
  const transactions = txs.map((t, i) => {
    const receipt = parsed?.receipts[i] ?? (JSON.parse(t.receipt) as RpcTransactionReceipt)
    for (const l of receipt.logs as RpcLog[])
      logs.push({
        logIndex: Number(l.logIndex),
        transactionIndex: t.index,
        transactionHash: t.hash,
        address: l.address,
        topics: l.topics,
        data: l.data,
      })
    return {
      hash: t.hash,
      index: t.index,
      from: receipt.from,
      to: receipt.to,
      rpc: t.rpc,
      receipt: t.receipt,
    }
  })
  return {
    number: block.number,
    hash: block.hash,
    parentHash: header.parentHash,
    timestamp: BigInt(header.timestamp),
    rpc: block.rpc,
    transactions,
    logs,
  }
}
