/**
 * What a node tells its `edge_rollup` subscribers each L1 round, for one shard: the rollup events L1
 * logged since the last round (`readRollupEvents`) and the output root this node computed for each
 * output block that became safe since then (`computed`). Two cursors in the chain's meta table say
 * how far it got; `commit` advances them once the events are published, so a failure (L1 down, the
 * feed unreachable) retries the same range. Events before a node's first round are not replayed.
 * Output blocks are taken on the grid of multiples of the oracle's SUBMISSION_INTERVAL (deploy-l1
 * starts the oracle at L2 block 0).
 */
import type { Address } from 'viem'
import { getBlockNumber, readContract } from 'viem/actions'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import type { ChainCore } from '../chain/chainCore.js'
import type { ShardL1 } from '../config.js'
import type { L1Client } from '../settlement/l1Sender.js'
import { readRollupEvents, type ComputedRootEvent, type RollupEvent } from './rollupEvents.js'
import { safeOutputRoot, type VerifierContext } from './verify.js'

const CURSOR = 'rollup.l1'
const COMPUTED = 'rollup.computed'
const MAX_RANGE = 2_000n

/** The oracle's submission interval, by oracle address (immutable: read once per isolate). */
const intervals = new Map<string, bigint>()

/** The next round's events, and `commit` to call once they are published. */
export async function nextRollupEvents(
  chain: ChainCore,
  l1: L1Client,
  contracts: ShardL1,
  fault?: VerifierContext['fault'],
): Promise<{ events: (RollupEvent | ComputedRootEvent)[]; commit: () => void }> {
  const oracle = contracts.l2OutputOracle as Address
  const head = await getBlockNumber(l1, { cacheTime: 0 })
  const cursor = chain.store.getMeta(CURSOR)
  const from = cursor === undefined ? head : BigInt(cursor) + 1n
  const to = head - from > MAX_RANGE ? from + MAX_RANGE : head
  const events: (RollupEvent | ComputedRootEvent)[] = await readRollupEvents(
    l1,
    {
      oracle,
      quorum: contracts.outputQuorum as Address | undefined,
      staking: contracts.verifierStaking as Address | undefined,
    },
    from,
    to,
  )
  let interval = intervals.get(oracle)
  if (interval === undefined) {
    interval = await readContract(l1, {
      address: oracle,
      abi: l2OutputOracleAbi,
      functionName: 'SUBMISSION_INTERVAL',
    })
    intervals.set(oracle, interval)
  }
  const safe = chain.safeHead()
  const lastOutputBlock = safe - (safe % interval)
  const done = BigInt(chain.store.getMeta(COMPUTED) ?? String(lastOutputBlock))
  for (let n = done + interval; n <= lastOutputBlock; n += interval) {
    // One state read per output interval (a verifier has it cached from its attestation).
    const root = await safeOutputRoot(chain, n, fault)
    if (root) events.push({ type: 'computed', l2BlockNumber: `0x${n.toString(16)}`, ...root })
  }
  const commit = () =>
    chain.transact(() => {
      chain.store.setMeta(CURSOR, String(to))
      chain.store.setMeta(COMPUTED, String(lastOutputBlock))
    })
  return { events, commit }
}
