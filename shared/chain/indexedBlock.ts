import type { Hex, RpcLog, RpcTransactionReceipt } from 'viem'
import type { StoredBlock, StoredTx } from './chainStore.js'

/** A block with its transactions and logs, shaped for the D1 history index (shared/db). */
export type IndexedBlock = {
  number: bigint
  hash: Hex
  parentHash: Hex
  timestamp: bigint
  rpc: string
  transactions: { hash: Hex; index: number; from: Hex; to: Hex | null; rpc: string; receipt: string }[]
  logs: { logIndex: number; transactionIndex: number; transactionHash: Hex; address: Hex; topics: Hex[]; data: Hex }[]
}

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
    return { hash: t.hash, index: t.index, from: receipt.from, to: receipt.to, rpc: t.rpc, receipt: t.receipt }
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
