import type { RpcBlock, RpcTransaction } from 'viem'
import type { NetworkReport } from '../../../shared/verifiers/network.js'
import type { PoolView } from '../../../shared/sequencing/poolView.js'

/** A block as eth_getBlockByNumber(n, true) answers it. */
export type Block = RpcBlock<'latest', true, RpcTransaction>

/** What edge_getBatchByBlock answers: the L1 transaction whose batch carries a block. */
export type Batch = {
  firstBlock: string
  lastBlock: string
  l1TransactionHash: string
  l1BlockNumber: string
  bytes: string
}

/** This node's entry of GET /chains for the shard. */
export type ChainEntry = {
  chainId: number
  name: string
  role?: 'sequencer' | 'peer'
  sequencing?: 'pool' | 'fixed'
  follows?: string
}

/** An edge_rollup notification (shared/verifiers/rollupEvents.ts): its type and fields. */
export type RollupEvent = { type: string; l1Tx?: string; l2BlockNumber?: string } & Record<
  string,
  unknown
>

/** What the page knows, all of it read from the node (JSON-RPC, websocket, GET endpoints). */
export type PageState = {
  /** The page's origin: this node's URL as an operator publishes it in the pool. */
  origin: string
  chain?: ChainEntry
  heads: { latest?: Block; safe?: Block; finalized?: Block }
  /** optimism_syncStatus: the L1 block the node has read up to. */
  l1Seen?: number
  /** The last blocks by number (full transactions), at most `KEEP_BLOCKS`. */
  blocks: Map<number, Block>
  /** Batches by their first block. */
  batches: Map<number, Batch>
  network?: (NetworkReport & { sequencing?: PoolView }) | { error: string }
  /** L2 block timestamps of output blocks (for time to finality). */
  outputTimes: Map<number, number>
  /** L1 transactions of outputs seen on the websocket, by L2 block. */
  outputTxs: Map<number, string>
  /** The last rollup events, newest first. */
  events: RollupEvent[]
  live: boolean
}

/** Blocks kept for the lists and charts (at a block a second, the last two minutes). */
export const KEEP_BLOCKS = 120
