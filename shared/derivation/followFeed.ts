import type { Address, Hex } from 'viem'
import type { SealResult, ChainCore } from '../chain/chainCore.js'
import { deriveBlock } from './deriveBlock.js'
import { isSignedBy, type SignedBlock } from './signedBlock.js'

/** What became of one block from the sequencer's live feed. */
export type FeedOutcome =
  | { kind: 'applied'; sealed: SealResult }
  /** The node has this block already (from the feed or from L1). */
  | { kind: 'known' }
  /** It does not follow the head yet: the blocks between are missing (fetch them, then retry). */
  | { kind: 'ahead'; head: bigint }
  /** Its L1 origin is not confirmed here yet: retry after the next L1 round. */
  | { kind: 'waiting' }
  /**
   * It replaces this node's unsafe blocks from its height on (`replaceUnsafe`): it builds on this
   * node's block below it, which is the safe head or above. Unwind to its parent, then apply it.
   */
  | { kind: 'replaces' }
  /** Refused, changing nothing: wrong chain, bad signature, conflicting, too far ahead, or it does not execute to its hash. */
  | { kind: 'ignored'; reason: string }

export type FollowOptions = {
  /** The sequencer's address: the only signer whose blocks count. */
  signer: Address
  coinbase: Hex
  /** Blocks past the head a feed block may be and still be worth fetching the gap for. */
  maxAhead: bigint
  /**
   * Whether the signer's block may replace unsafe blocks (not yet on L1) at its height: in a
   * pool-sequenced shard a new sequencer builds on what it has, which may be below what another
   * sequencer had sealed here before its turn ended.
   */
  replaceUnsafe?: boolean
}

/**
 * Applies one block of the sequencer's live feed ahead of L1 (op-node's unsafe blocks): it must be
 * this chain's, signed by the sequencer, and the next block; it is executed and kept only if it
 * comes out with the hash the sequencer signed. Anything else changes nothing. L1 derivation later
 * confirms it or unwinds it (`deriveFromL1`).
 */
export async function applyFeedBlock(
  chain: ChainCore,
  b: SignedBlock,
  opts: FollowOptions,
): Promise<FeedOutcome> {
  if (b.chainId !== chain.chainId)
    return { kind: 'ignored', reason: `chain ${b.chainId}, not ${chain.chainId}` }
  if (!(await isSignedBy(b, opts.signer)))
    return { kind: 'ignored', reason: `not signed by the sequencer ${opts.signer}` }
  const n = b.block.number
  const head = chain.headHeader.number
  if (n <= head) {
    if (chain.store.blockHash(n) === b.hash) return { kind: 'known' }
    if (
      opts.replaceUnsafe &&
      n > chain.safeHead() &&
      b.parentHash === chain.store.blockHash(n - 1n)
    )
      return { kind: 'replaces' }
    return { kind: 'ignored', reason: `conflicts with this node's block ${n}` }
  }
  if (n > head + 1n)
    return n - head > opts.maxAhead
      ? { kind: 'ignored', reason: `block ${n} is too far ahead of head ${head}` }
      : { kind: 'ahead', head }
  if (b.parentHash !== chain.store.blockHash(head))
    return { kind: 'ignored', reason: `block ${n} does not build on this node's head` }
  const watched = chain.origins.latest()
  if (!watched || b.block.l1OriginNumber > watched.number) return { kind: 'waiting' }
  try {
    return { kind: 'applied', sealed: await deriveBlock(chain, b.block, opts.coinbase, b.hash) }
  } catch (err) {
    return { kind: 'ignored', reason: err instanceof Error ? err.message : String(err) }
  }
}
