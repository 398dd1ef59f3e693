import { type Hex } from 'viem'
import { getLogs } from 'viem/actions'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import type { MetaStore } from '../settlement/l1Sender.js'
import type { L1Client } from '../settlement/l1Sender.js'
import { DeterministicError } from '../errors.js'

/** Meta keys: the window changes read so far (`[l1Block, window]` pairs, JSON) and the last L1 block read. */
const CHANGES_KEY = 'pool.windows'
const CURSOR_KEY = 'pool.windows.l1'
/** L1 blocks one getLogs spans at most (public endpoints cap the range). */
const LOG_RANGE = 1000n
/** How far before the shard's start block a pool deployed earlier is looked for (blocks). */
const LOOK_BACK = 8n * LOG_RANGE

/**
 * The SequencerPool's sequencing window through L1 history, from its `ParametersUpdated` events
 * (emitted by the constructor and by every `setParameters`), the way op-node reads SystemConfig
 * changes from `ConfigUpdate` logs: no state is read at an old L1 block, so an L1 endpoint that
 * keeps state only near its head (anvil after loading saved state, most non-archive plans) serves
 * it. The changes and the last L1 block read are kept in the node's storage: a restart resumes
 * there. The window at L1 block `b` is the one set by the last change at or before `b` (the state
 * after block `b`, as `eth_call` at `b` would read it); before the pool's first change (the shard's
 * first L1 blocks may precede the pool's deployment), the window it was deployed with.
 */
export class PoolWindows {
  constructor(
    private readonly meta: MetaStore,
    private readonly pool: Hex,
    private readonly startBlock: bigint,
  ) {}

  /** The changes read so far, oldest first. */
  changes(): Array<[bigint, bigint]> {
    const v = this.meta.getMeta(CHANGES_KEY)
    if (!v) return []
    const parsed = JSON.parse(v) as Array<[string, string]>
    return parsed.map(([b, w]) => [BigInt(b), BigInt(w)])
  }

  /** Reads the pool's changes up to L1 block `through` (a confirmed block), resuming where it stopped. */
  async sync(l1: L1Client, through: bigint): Promise<void> {
    const cursorValue = this.meta.getMeta(CURSOR_KEY)
    let from = cursorValue === undefined ? this.startBlock : BigInt(cursorValue) + 1n
    const changes = this.changes()
    if (cursorValue === undefined) {
      // A pool deployed before the shard's start block: its last change before that block.
      for (let end = this.startBlock - 1n; end >= 0n && this.startBlock - end <= LOOK_BACK;) {
        const start = end - LOG_RANGE + 1n > 0n ? end - LOG_RANGE + 1n : 0n
        const found = await this.read(l1, start, end)
        if (found.length > 0) {
          changes.push(found[found.length - 1])
          break
        }
        end = start - 1n
      }
    }
    while (from <= through) {
      const to = from + LOG_RANGE - 1n < through ? from + LOG_RANGE - 1n : through
      changes.push(...(await this.read(l1, from, to)))
      this.meta.setMeta(
        CHANGES_KEY,
        JSON.stringify(changes.map(([b, w]) => [String(b), String(w)])),
      )
      this.meta.setMeta(CURSOR_KEY, String(to))
      from = to + 1n
    }
  }

  /** The window at L1 block `at`, from the changes read (call `sync` through `at` first). */
  windowAt(at: bigint): bigint {
    const changes = this.changes()
    if (changes.length === 0)
      throw new DeterministicError(
        `the SequencerPool ${this.pool} has no ParametersUpdated event up to L1 block ${this.meta.getMeta(CURSOR_KEY) ?? '?'}`,
        {
          details:
            'the configured pool address is wrong, or the L1 is not the one the shard was deployed on',
        },
      )
    let window = changes[0][1]
    for (const [block, w] of changes) if (block <= at) window = w
    return window
  }

  private async read(
    l1: L1Client,
    fromBlock: bigint,
    toBlock: bigint,
  ): Promise<Array<[bigint, bigint]>> {
    const logs = await getLogs(l1, {
      address: this.pool,
      event: sequencerPoolAbi.find(
        (item): item is Extract<(typeof sequencerPoolAbi)[number], { name: 'ParametersUpdated' }> =>
          item.type === 'event' && item.name === 'ParametersUpdated',
      )!,
      fromBlock,
      toBlock,
      strict: true,
    })
    return logs
      .sort((a, b) =>
        a.blockNumber === b.blockNumber
          ? a.logIndex - b.logIndex
          : a.blockNumber < b.blockNumber
            ? -1
            : 1,
      )
      .map((log) => [log.blockNumber, log.args.sequencingWindow])
  }
}
