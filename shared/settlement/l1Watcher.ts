import type { Client, Hex, Transport, Chain } from 'viem'
import { getBlock, getBlockNumber, getLogs } from 'viem/actions'
import { depositFromLog, encodeDeposit, transactionDepositedEvent } from '../chain/depositTx.js'
import type { WatchedL1Block } from '../chain/l1Origins.js'
import type { ChainCore } from '../chain/chainCore.js'
import { RetryableError } from '../errors.js'

export type WatchOptions = {
  portal: Hex
  /** The first L1 block to read (the contracts' deployment). */
  startBlock: bigint
  /** L1 blocks a block must have on top of it before L2 takes anything from it. */
  confirmations: bigint
  /** Most L1 blocks read per call. */
  maxBlocks: bigint
}

/**
 * Reads the L1 blocks confirmed since the last call (header fields and the portal's
 * TransactionDeposited logs, decoded into deposits in log order) and records them for the sequencer.
 * A block still inside the confirmation depth is never read, so a reorg there does not reach L2; logs
 * are checked against the block hashes read with them, so a reorg between the two reads records
 * nothing. Returns how many blocks it recorded.
 */
export async function watchL1(
  client: Client<Transport, Chain | undefined>,
  chain: ChainCore,
  opts: WatchOptions,
): Promise<number> {
  const head = await getBlockNumber(client, { cacheTime: 0 })
  const target = head - opts.confirmations
  const latest = chain.origins.latest()
  const from = latest ? latest.number + 1n : opts.startBlock
  if (from > target) return 0
  const to = target < from + opts.maxBlocks - 1n ? target : from + opts.maxBlocks - 1n
  const numbers: bigint[] = []
  for (let n = from; n <= to; n++) numbers.push(n)
  const [logs, headers] = await Promise.all([
    getLogs(client, {
      address: opts.portal,
      event: transactionDepositedEvent,
      fromBlock: from,
      toBlock: to,
      strict: true,
    }),
    Promise.all(numbers.map((blockNumber) => getBlock(client, { blockNumber }))),
  ])
  const blocks: WatchedL1Block[] = headers.map((h) => ({
    number: h.number,
    hash: h.hash,
    parentHash: h.parentHash,
    timestamp: h.timestamp,
    baseFee: h.baseFeePerGas ?? 0n,
    deposits: [],
  }))
  const byNumber = new Map(blocks.map((b) => [b.number, b]))
  for (const log of logs.sort((a, b) =>
    a.blockNumber === b.blockNumber
      ? a.logIndex - b.logIndex
      : a.blockNumber < b.blockNumber
        ? -1
        : 1,
  )) {
    const block = byNumber.get(log.blockNumber)
    if (!block || block.hash !== log.blockHash)
      throw new RetryableError(
        `L1 changed while reading block ${log.blockNumber}; will read it again`,
      )
    block.deposits.push(encodeDeposit(depositFromLog(log)))
  }
  chain.recordL1Blocks(blocks)
  return blocks.length
}
