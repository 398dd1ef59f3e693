import {
  decodeFunctionData,
  hexToBytes,
  isAddressEqual,
  keccak256,
  parseAbiItem,
  type Hex,
} from 'viem'
import { getLogs, getTransaction } from 'viem/actions'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import { SAFE_KEY, type SealResult, type ChainCore } from '../chain/chainCore.js'
import type { StoredBatch } from '../chain/chainStore.js'
import { decodeBatch, type Batch } from '../settlement/batchCodec.js'
import { batchBlocks, sameBatchBlock } from './batchBlocks.js'
import { deriveBlock } from './deriveBlock.js'
import { forceDeposits, unsafeTxs } from './forcedBlocks.js'
import { PoolWindows } from './poolWindows.js'
import type { L1Client } from '../settlement/l1Sender.js'
import type { ShardL1 } from '../config.js'

export const batchSubmittedEvent = parseAbiItem(
  'event BatchSubmitted(bytes32 indexed batchHash, address indexed batcher)',
)

export const poolBatchSubmittedEvent = parseAbiItem(
  'event BatchSubmitted(uint256 indexed chainId, bytes32 indexed batchHash, address indexed sequencer, uint256 epoch, uint256 lastL2Block, uint256 lastL1Origin)',
)

/**
 * Where a shard's batches are read from on L1: its BatchInbox (one batcher key, the fixed
 * sequencer), or the SequencerPool's `submitBatch` (only the scheduled sequencer's batches land;
 * L1 refuses every other sender).
 */
export type BatchSource =
  { kind: 'inbox'; address: Hex } | { kind: 'pool'; address: Hex; chainId: number }

/** Meta key: the last L1 block whose inbox batches this node has applied. */
const DERIVED_L1_KEY = 'derive.l1'
/** L1 blocks whose inbox logs one round reads at most. */
const MAX_L1_RANGE = 1000n
/** Batches one round applies at most (each up to 256 blocks): the rest waits for the next round. */
const MAX_BATCHES_PER_ROUND = 64
/** Blocks one round derives at most: reads interleave with a long sync (the object is single-threaded). */
const MAX_BLOCKS_PER_ROUND = 256

/** A batch as read from L1: its L1 transaction and block, and its decoded content (or why not). */
export type L1Batch = {
  l1Tx: Hex
  l1Block: bigint
  bytes: number
  batch?: Batch
  invalid?: string
  /** The last L2 block a pool batch declared (the batch must end there). */
  lastL2Block?: bigint
  /**
   * The L1 origin a pool batch declared for its last block (it must be that block's): the pool
   * refuses a batch whose declared origin is older than its sequencing window.
   */
  lastL1Origin?: bigint
}

/** Reads the batches its source accepted in L1 blocks `from..to`, in L1 order. */
export async function readBatches(
  l1: L1Client,
  source: BatchSource,
  from: bigint,
  to: bigint,
): Promise<L1Batch[]> {
  if (from > to) return []
  const logs =
    source.kind === 'inbox'
      ? await getLogs(l1, {
          address: source.address,
          event: batchSubmittedEvent,
          fromBlock: from,
          toBlock: to,
        })
      : await getLogs(l1, {
          address: source.address,
          event: poolBatchSubmittedEvent,
          args: { chainId: BigInt(source.chainId) },
          fromBlock: from,
          toBlock: to,
        })
  // One request each, sent together (the L1 client batches concurrent calls into one HTTP request).
  const txs = await Promise.all(
    logs.map((log) => getTransaction(l1, { hash: log.transactionHash! })),
  )
  return Promise.all(
    logs.map(async (log, i): Promise<L1Batch> => {
      const entry: L1Batch = {
        l1Tx: log.transactionHash!,
        l1Block: log.blockNumber!,
        bytes: 0,
      }
      let input: Uint8Array
      if (source.kind === 'inbox') input = hexToBytes(txs[i].input)
      else {
        const args = (
          log as { args: { batchHash?: Hex; lastL2Block?: bigint; lastL1Origin?: bigint } }
        ).args
        const data = poolBatchData(txs[i], source.address, args.batchHash)
        if (typeof data === 'string') return { ...entry, invalid: data }
        input = data
        entry.lastL2Block = args.lastL2Block
        entry.lastL1Origin = args.lastL1Origin
      }
      entry.bytes = input.length
      try {
        entry.batch = await decodeBatch(input)
      } catch (err) {
        entry.invalid = err instanceof Error ? err.message : String(err)
      }
      return entry
    }),
  )
}

/**
 * The batch bytes of a pool `submitBatch` transaction: its input's `data` argument, which must hash
 * to the event's batchHash (the pool requires the sender to call it directly, so the input is the
 * call). A string says why not.
 */
function poolBatchData(
  tx: { to: Hex | null; input: Hex },
  pool: Hex,
  batchHash: Hex | undefined,
): Uint8Array | string {
  if (!tx.to || !isAddressEqual(tx.to, pool)) return 'not a direct call of the pool'
  let data: Hex
  try {
    const call = decodeFunctionData({ abi: sequencerPoolAbi, data: tx.input })
    if (call.functionName !== 'submitBatch') return `calls ${call.functionName}, not submitBatch`
    data = call.args[3]
  } catch {
    return 'input is not a submitBatch call'
  }
  if (keccak256(data) !== batchHash) return 'batch bytes do not hash to the logged batchHash'
  return hexToBytes(data)
}

/** A shard's batch source as its L1 config names it (`ShardL1.sequencing`). */
export function batchSourceOf(contracts: ShardL1, chainId: number): BatchSource {
  return contracts.sequencing === 'pool' && contracts.sequencerPool
    ? { kind: 'pool', address: contracts.sequencerPool as Hex, chainId }
    : { kind: 'inbox', address: contracts.batchInbox as Hex }
}

/** What the L1 derivation step needs: the chain, the L1, where the shard's batches land and where it starts. */
export type DeriveContext = {
  chain: ChainCore
  l1: L1Client
  batches: BatchSource
  l1StartBlock: bigint
  /** The fee recipient of a block that names none (the genesis coinbase). */
  coinbase: Hex
  /**
   * Runs the part that writes the chain while nothing else does (a sequencing node's seal): L1 is
   * read before, so an L1 that hangs never holds the chain.
   */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>
  log?: (line: string) => void
}

/** What one round of derivation did. */
export type DeriveReport = {
  /** Batches applied (their blocks are now safe). */
  batches: number
  /** Blocks the node already had (from the live feed) that L1 confirmed as they were. */
  confirmed: number
  /** Blocks executed from L1 data, in order (to index and announce). */
  derived: SealResult[]
  /** Set when blocks from the feed were unwound because L1 says otherwise: the new head before re-deriving. */
  unwoundTo?: bigint
  /** The non-deposit transactions of the unwound blocks (to be sequenced again). */
  unwoundTxs: Hex[]
  /** Deposit-only blocks L1 forced past the sequencing window (pool-sequenced shards). */
  forced: number
  /** Whether more L1 data is waiting for the next round. */
  more: boolean
}

/**
 * The derivation pipeline of a node that does not sequence (op-node's L1 → L2 derivation): reads the
 * batches its inbox took in the L1 blocks the watcher has confirmed, in L1 order, and applies each
 * one that continues the safe chain (first block = safe + 1, parent hash = the safe block's hash).
 * A block the node already has from the live feed is kept when it is the batch's block, otherwise
 * it and everything above it are unwound and the batch's block is executed instead: L1 is the only
 * truth. A batch that does not continue the safe chain or does not decode is skipped (logged); a
 * block that cannot be executed ends its batch. Idempotent and resumable: a crash re-reads from the
 * last L1 block recorded, and a half-applied batch is confirmed block by block again.
 */
export async function deriveFromL1(ctx: DeriveContext): Promise<DeriveReport> {
  const { chain } = ctx
  const report: DeriveReport = {
    batches: 0,
    confirmed: 0,
    derived: [],
    more: false,
    unwoundTxs: [],
    forced: 0,
  }
  const watched = chain.origins.latest()
  if (!watched) return report
  const cursor = BigInt(chain.store.getMeta(DERIVED_L1_KEY) ?? String(ctx.l1StartBlock - 1n))
  const to = watched.number < cursor + MAX_L1_RANGE ? watched.number : cursor + MAX_L1_RANGE
  const batches = await readBatches(ctx.l1, ctx.batches, cursor + 1n, to)
  // Pool-sequenced: the deposit-only blocks due before each batch and up to `to` (`forceDeposits`).
  const source = ctx.batches
  // The window's history from the pool's events, read before the chain is locked.
  if (source.kind === 'pool') await poolWindows(ctx, source.address).sync(ctx.l1, to)
  const exclusive = ctx.exclusive ?? ((fn) => fn())
  return exclusive(() => applyRange(ctx, batches, to, watched.number, report))
}

/** Applies the batches read for L1 blocks up to `to` and the blocks forced among them. */
async function applyRange(
  ctx: DeriveContext,
  batches: L1Batch[],
  to: bigint,
  watched: bigint,
  report: DeriveReport,
): Promise<DeriveReport> {
  const { chain } = ctx
  const source = ctx.batches
  const force = (through: bigint) =>
    source.kind !== 'pool'
      ? Promise.resolve(true)
      : forceDeposits(
          chain,
          {
            windowAt: async (at) => poolWindows(ctx, source.address).windowAt(at),
            l1StartBlock: ctx.l1StartBlock,
            coinbase: ctx.coinbase,
            through,
            maxBlocks: MAX_BLOCKS_PER_ROUND,
          },
          report,
        )
  let done = to
  let applied = 0
  for (const b of batches) {
    if (
      applied >= MAX_BATCHES_PER_ROUND ||
      report.derived.length >= MAX_BLOCKS_PER_ROUND ||
      !(await force(b.l1Block - 1n))
    ) {
      done = b.l1Block - 1n
      report.more = true
      break
    }
    if (await applyBatch(ctx, b, report)) applied++
  }
  if (!report.more && !(await force(done))) report.more = true
  if (report.forced > 0)
    ctx.log?.(
      `${report.forced} deposit-only block(s) forced past the sequencing window: safe head ${chain.safeHead()}, L1 origin ${chain.origins.originOf(chain.safeHead())?.l1Number}`,
    )
  chain.transact(() => chain.store.setMeta(DERIVED_L1_KEY, String(done)))
  if (done < watched) report.more = true
  return report
}

/** Applies one batch read from L1; returns whether it moved the safe head. */
async function applyBatch(ctx: DeriveContext, b: L1Batch, report: DeriveReport): Promise<boolean> {
  const { chain } = ctx
  const say = (msg: string) => ctx.log?.(`batch ${b.l1Tx} (L1 block ${b.l1Block}): ${msg}`)
  if (!b.batch) return (say(`skipped, does not decode: ${b.invalid}`), false)
  const { batch } = b
  if (batch.chainId !== chain.chainId) return false
  const safe = chain.safeHead()
  const first = batch.blocks[0].number
  const last = batch.blocks[batch.blocks.length - 1].number
  if (b.lastL2Block !== undefined && b.lastL2Block !== last)
    return (say(`skipped, declares last block ${b.lastL2Block} but carries ${last}`), false)
  const lastOrigin = batch.blocks[batch.blocks.length - 1].l1OriginNumber
  if (b.lastL1Origin !== undefined && b.lastL1Origin !== lastOrigin)
    return (
      say(`skipped, declares L1 origin ${b.lastL1Origin} for its last block but has ${lastOrigin}`),
      false
    )
  if (last <= safe) return false // already applied (a re-read after a crash)
  if (first !== safe + 1n || batch.parentHash !== chain.store.blockHash(safe))
    return (say(`skipped, does not continue the safe block ${safe}`), false)
  let good = safe
  for (const block of batch.blocks) {
    const n = block.number
    const local = chain.store.blockByNumber(n)
    if (local) {
      if (sameBatchBlock(batchBlocks(chain, n, n)[0], block, ctx.coinbase)) {
        report.confirmed++
        good = n
        continue
      }
      const head = chain.headHeader.number
      report.unwoundTxs.push(...unsafeTxs(chain, n - 1n))
      await chain.unwindTo(n - 1n)
      report.unwoundTo = n - 1n
      ctx.log?.(
        `L1 replaces blocks ${n}..${head} from the live feed: the batch in ${b.l1Tx} has a different block ${n}`,
      )
    }
    try {
      report.derived.push(await deriveBlock(chain, block, ctx.coinbase))
      good = n
    } catch (err) {
      say(`ends at block ${n}: ${err instanceof Error ? err.message : String(err)}`)
      break
    }
  }
  if (good === safe) return false
  recordSafe(chain, {
    first: Number(first),
    last: Number(good),
    l1Tx: b.l1Tx,
    l1Block: Number(b.l1Block),
    bytes: b.bytes,
  })
  report.batches++
  return true
}

/** The pool's sequencing window through L1 history (from its events, never state at an old block). */
function poolWindows(ctx: DeriveContext, pool: Hex): PoolWindows {
  return new PoolWindows(ctx.chain.store, pool, ctx.l1StartBlock)
}

/** The last L1 block whose batches this node has applied (-1: none yet). */
export function derivedThrough(chain: ChainCore): bigint {
  return BigInt(chain.store.getMeta(DERIVED_L1_KEY) ?? '-1')
}

/** Records a batch on L1 and moves the safe head to its last block, together. */
export function recordSafe(chain: ChainCore, batch: StoredBatch): void {
  chain.transact(() => {
    chain.store.setMeta(SAFE_KEY, String(batch.last))
    chain.store.putBatch(batch)
  })
}
