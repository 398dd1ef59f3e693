import type { Hex, RpcLog, RpcTransactionReceipt } from 'viem'
import type { IndexedBlock } from '../db/indexBlocks.js'
import type { StoredBlock, StoredTx } from './chainStore.js'

export type { IndexedBlock }

/** Builds the index rows of a stored block: the same function serves live indexing and catch-up. */
export function buildIndexedBlock(block: StoredBlock, txs: StoredTx[]): IndexedBlock {
  const rpc = JSON.parse(block.rpc) as { parentHash: Hex; timestamp: Hex }
  const logs: IndexedBlock['logs'] = []
  const transactions = txs.map((t) => {
    const receipt = JSON.parse(t.receipt) as RpcTransactionReceipt
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
    parentHash: rpc.parentHash,
    timestamp: BigInt(rpc.timestamp),
    rpc: block.rpc,
    transactions,
    logs,
  }
}
