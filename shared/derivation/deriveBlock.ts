import { bytesToHex } from '@ethereumjs/util'
import type { Hex } from 'viem'
import type { ChainCore, SealResult } from '../chain/chainCore.js'
import { MAX_SEQUENCER_DRIFT } from '../chain/l1Origins.js'
import { InvalidBlockError } from '../errors.js'
import type { BatchBlock } from '../settlement/batchCodec.js'
import { decodeRawTransaction } from '../txpool/decodeRawTransaction.js'

/**
 * Re-creates a block from what a batch (or the live feed) carries of it, on the chain's head: its L1
 * origin must be a watched L1 block that can follow the head's, its deposits are the ones that
 * origin brings, its timestamp is not before that origin's nor more than `MAX_SEQUENCER_DRIFT`
 * after it, and its transactions run in the given order at that timestamp. With
 * `expectHash` the block must come out with that hash. Its fee recipient is the one it names, else
 * `coinbase`. Throws `InvalidBlockError` (not retryable:
 * the data is wrong, not the node), changing nothing, when the block cannot be derived.
 * Deterministic: the same batches and L1 blocks give the sequencer's block hashes (invariant 3).
 */
export async function deriveBlock(
  core: ChainCore,
  b: BatchBlock,
  coinbase: Hex,
  expectHash?: Hex,
): Promise<SealResult> {
  const l1 = core.deps.l1
  if (!l1) throw new Error('deriving blocks needs an L1')
  const parent = core.headHeader
  if (b.number !== parent.number + 1n)
    throw new InvalidBlockError(`batch block ${b.number} does not follow head ${parent.number}`)
  const next = core.origins.originAt(core.headOrigin(), l1.startBlock, b.l1OriginNumber)
  if (!next || next.origin.hash !== b.l1OriginHash)
    throw new InvalidBlockError(
      `block ${b.number}: L1 origin ${b.l1OriginNumber} is not a watched block that can follow`,
    )
  const originTime = next.origin.timestamp
  if (b.timestamp < originTime || b.timestamp > originTime + MAX_SEQUENCER_DRIFT)
    throw new InvalidBlockError(
      `block ${b.number}: timestamp ${b.timestamp} is not within ${MAX_SEQUENCER_DRIFT} s from its L1 origin's (${originTime})`,
    )
  let ready
  try {
    ready = b.txs.map((raw) => decodeRawTransaction(raw, core.chainId, core.deps.recover))
  } catch (err) {
    throw new InvalidBlockError(`block ${b.number}: ${err instanceof Error ? err.message : err}`)
  }
  // The given order, all or nothing: a transaction that cannot be included ends the block early.
  let i = 0
  let stopped = false
  const candidates = {
    peek: () => (stopped ? undefined : ready[i]),
    shift: () => void i++,
    pop: () => void (stopped = true),
  }
  const outcome = await core.build(parent, candidates, {
    timestamp: b.timestamp,
    coinbase: b.coinbase ?? coinbase,
    deposits: core.blockDeposits(next),
  })
  if (i < ready.length || outcome.block.header.timestamp !== b.timestamp) {
    await core.discard(parent)
    const why = outcome.dropped[0]?.reason ?? 'does not fit (gas limit or base fee)'
    throw new InvalidBlockError(
      i < ready.length
        ? `block ${b.number}: transaction ${ready[i].hash} cannot be included: ${why}`
        : `block ${b.number}: timestamp ${b.timestamp} is not after its parent's`,
    )
  }
  const hash = bytesToHex(outcome.block.hash())
  if (expectHash && hash !== expectHash.toLowerCase()) {
    await core.discard(parent)
    throw new InvalidBlockError(
      `block ${b.number}: executes to ${hash}, not the announced ${expectHash}`,
    )
  }
  return core.commit(parent, outcome, next)
}
