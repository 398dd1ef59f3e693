/**
 * Whether the holder of a pool shard's turn is stalled as this node derives it (issue 22: a holder
 * posting junk batches resets `skip`'s silence clock, so only `SequencerPool.skipStalled` on the
 * EIP-712 word `Stalled` of ≥ 2/3 of the other stake replaces it). Pure: the word follows from L1
 * history alone, so every honest node that derived as far computes the same one and their
 * signatures add up.
 *
 * The word: `l1Block` = max(turn start, L1 block of the last batch derivation accepted) + maxSilence,
 * the first L1 block at which the turn has derived nothing for maxSilence blocks; `safeL2Block` = the
 * last L2 block of that batch (0: none), the batch-safe head (forced deposit-only blocks are nobody's
 * batch and are left out). The node states it only once it has derived L1 through `l1Block` and L1 is
 * past it (`skipStalled` takes a past block), and only while no batch was accepted since.
 */
import { isAddressEqual, zeroAddress, type Address } from 'viem'
import type { StoredBatch } from '../chain/chainStore.js'

/** EIP-712 domain name and version of SequencerPool's `Stalled` word. */
export const STALLED_DOMAIN = { name: 'edge-l2 SequencerPool', version: '1' } as const
/** EIP-712 types of `Stalled`, as SequencerPool's STALLED_TYPEHASH. */
export const STALLED_TYPES = {
  Stalled: [
    { name: 'chainId', type: 'uint256' },
    { name: 'epoch', type: 'uint256' },
    { name: 'holder', type: 'address' },
    { name: 'safeL2Block', type: 'uint256' },
    { name: 'l1Block', type: 'uint256' },
  ],
} as const

/** The `Stalled` message. */
export type StallWord = {
  chainId: bigint
  epoch: bigint
  holder: Address
  safeL2Block: bigint
  l1Block: bigint
}

/** What L1 states of the turn (read at `head`) and what this node derived. */
export type StallView = {
  chainId: bigint
  epoch: bigint
  holder: Address
  /** SequencerPool.turnStartOf: the turn's handover, else the epoch's start. */
  turnStart: bigint
  maxSilence: bigint
  head: bigint
  derivedThrough: bigint
  /** The last batch derivation accepted (chain store), if any. */
  lastBatch?: Pick<StoredBatch, 'last' | 'l1Block'>
}

/** The word this node would sign now, or why not (`reason`). */
export function stallWordOf(v: StallView): { word: StallWord } | { reason: string } {
  if (v.holder === zeroAddress) return { reason: 'nobody holds the turn' }
  const batchAt = v.lastBatch ? BigInt(v.lastBatch.l1Block) : -1n
  const from = batchAt > v.turnStart ? batchAt : v.turnStart
  const l1Block = from + v.maxSilence
  if (v.derivedThrough < l1Block)
    return { reason: `derived L1 through ${v.derivedThrough}, not yet through ${l1Block}` }
  if (v.head <= l1Block) return { reason: `L1 is at ${v.head}, not past ${l1Block}` }
  return {
    word: {
      chainId: v.chainId,
      epoch: v.epoch,
      holder: v.holder,
      safeL2Block: BigInt(v.lastBatch?.last ?? 0),
      l1Block,
    },
  }
}

/** Whether `a` and `b` are the same word. */
export function sameWord(a: StallWord, b: StallWord): boolean {
  return (
    a.chainId === b.chainId &&
    a.epoch === b.epoch &&
    isAddressEqual(a.holder, b.holder) &&
    a.safeL2Block === b.safeL2Block &&
    a.l1Block === b.l1Block
  )
}

/**
 * Whether the signatures of `signers` (stake each) reach `skipStalled`'s quorum: ≥ 2/3 of the active
 * stake but the holder's, the holder's own signature not counted.
 */
export function stallQuorum(
  signed: readonly { account: Address; stake: bigint }[],
  activeStake: bigint,
  holder: { account: Address; stake: bigint; active: boolean },
): boolean {
  const active = activeStake - (holder.active ? holder.stake : 0n)
  const total = signed
    .filter((s) => !isAddressEqual(s.account, holder.account))
    .reduce((sum, s) => sum + s.stake, 0n)
  return active > 0n && total * 3n >= active * 2n
}

/** JSON of a word (meta and the wire): decimal strings. */
export const wordToJson = (w: StallWord) => ({
  chainId: String(w.chainId),
  epoch: String(w.epoch),
  holder: w.holder,
  safeL2Block: String(w.safeL2Block),
  l1Block: String(w.l1Block),
})

/** The inverse of `wordToJson`. */
export const wordFromJson = (j: ReturnType<typeof wordToJson>): StallWord => ({
  chainId: BigInt(j.chainId),
  epoch: BigInt(j.epoch),
  holder: j.holder,
  safeL2Block: BigInt(j.safeL2Block),
  l1Block: BigInt(j.l1Block),
})
