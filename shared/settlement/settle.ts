import {
  BaseError,
  bytesToHex,
  ContractFunctionRevertedError,
  encodeFunctionData,
  ExecutionRevertedError,
  type Hex,
} from 'viem'
import { getBlockNumber, readContract } from 'viem/actions'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import { FINALIZED_KEY, type ChainCore } from '../chain/chainCore.js'
import type { ShardL1 } from '../config.js'
import { encodeBatch } from './batchCodec.js'
import { batchSourceOf, readBatches, recordSafe } from '../derivation/deriveFromL1.js'
import { batchBlocks } from '../derivation/batchBlocks.js'
import { L1Sender, type StepResult } from './l1Sender.js'
import { watchL1 } from './l1Watcher.js'
import type { L1Client, L1Wallet } from './l1Sender.js'

/** What the settlement of one shard needs: its chain, the L1, its contracts and (optionally) keys. */
export type SettleContext = {
  chain: ChainCore
  l1: L1Client
  contracts: ShardL1
  /**
   * Absent: this node posts no batches (a peer, or a pool member out of its turn). In a
   * pool-sequenced shard it is the operator's wallet and batches go through the pool. Outputs are
   * the verifiers' (shared/verifiers/).
   */
  batcher?: L1Wallet
  /**
   * Whether a new batch may be sent now (default: yes). A pool member out of its turn still settles
   * a batch in flight, but sends none.
   */
  batching?: boolean
  confirmations: bigint
}

/** The L2 blocks a batch transaction carries. */
export type BatchTag = { first: number; last: number; bytes: number }

const BATCH_PENDING = 'settle.batch'
/**
 * Pool-sequenced shards: the last block this node's batches put on L1, with its hash. There the safe
 * head is only what L1 derivation says (a batch that landed past the sequencing window may not
 * count), so the next batch starts after this one, as long as the block is still in the chain.
 */
const BATCHED_KEY = 'settle.batched'

/** Most L2 blocks and bytes (compressed) per batch: one L1 transaction stays well under 128 KiB. */
const MAX_BATCH_BLOCKS = 256
const MAX_BATCH_BYTES = 96 * 1024
const MAX_L1_BLOCKS_PER_READ = 256n

export type SettleReport = {
  watched: number
  batch?: StepResult<BatchTag>
  /** Pool-sequenced: why L1 refused the batch this node tried to send (its turn had ended). */
  batchRefused?: string
  finalized: bigint
}

/**
 * One round of a shard's L1 work, each part idempotent and resumable: read newly confirmed L1
 * blocks (deposits), post the next batch, and follow finality (outputs are attested by the
 * verifiers, `shared/verifiers/verify.ts`). A failing
 * part (L1 down) throws after the parts before it have been done; the next round picks up.
 */
export async function settle(ctx: SettleContext): Promise<SettleReport> {
  const watched = await watchL1(ctx.l1, ctx.chain, {
    portal: ctx.contracts.portal as Hex,
    startBlock: BigInt(ctx.contracts.l1StartBlock),
    confirmations: ctx.confirmations,
    maxBlocks: MAX_L1_BLOCKS_PER_READ,
  })
  let batch: StepResult<BatchTag> | undefined
  let batchRefused: string | undefined
  try {
    batch = ctx.batcher ? await stepBatcher(ctx, ctx.batcher) : undefined
  } catch (err) {
    // Pool-sequenced, the pool refuses a batch from a holder whose turn has ended (skipped, or
    // the epoch over): the node learns so later in the round, which must go on (nothing was sent).
    if (batchSourceOf(ctx.contracts, ctx.chain.chainId).kind !== 'pool' || !isRevert(err)) throw err
    batchRefused = err instanceof BaseError ? err.shortMessage : String(err)
  }
  const finalized = await followFinality(ctx)
  return { watched, batch, batchRefused, finalized }
}

/** Posts the blocks after the safe head as one batch, or settles the batch in flight. */
export async function stepBatcher(
  ctx: SettleContext,
  wallet: L1Wallet,
): Promise<StepResult<BatchTag>> {
  const { chain } = ctx
  const sender = new L1Sender<BatchTag>(wallet, chain.store, BATCH_PENDING)
  const source = batchSourceOf(ctx.contracts, chain.chainId)
  const result = await sender.step(async () => {
    if (ctx.batching === false) return undefined
    if (source.kind === 'inbox') await reconcileBatches(ctx)
    const first = batchedThrough(chain) + 1n
    const head = chain.headHeader.number
    if (first > head) return undefined
    let last =
      head - first + 1n > BigInt(MAX_BATCH_BLOCKS) ? first + BigInt(MAX_BATCH_BLOCKS) - 1n : head
    for (;;) {
      const data = await encodeBatch({
        chainId: chain.chainId,
        parentHash: chain.store.blockHash(first - 1n)!,
        blocks: batchBlocks(chain, first, last),
      })
      if (data.length <= MAX_BATCH_BYTES || last === first) {
        const tag = { first: Number(first), last: Number(last), bytes: data.length }
        const lastOrigin = chain.origins.originOf(last)?.l1Number ?? 0n
        if (source.kind === 'inbox') return { to: source.address, data: bytesToHex(data), tag }
        return {
          to: source.address,
          data: encodeFunctionData({
            abi: sequencerPoolAbi,
            functionName: 'submitBatch',
            args: [BigInt(chain.chainId), last, lastOrigin, bytesToHex(data)],
          }),
          tag,
        }
      }
      last = first + (last - first) / 2n
    }
  })
  if (result.kind === 'mined' && source.kind === 'pool') {
    const last = BigInt(result.pending.tag.last)
    const hash = chain.store.blockHash(last)
    if (hash) chain.transact(() => chain.store.setMeta(BATCHED_KEY, `${last}:${hash}`))
  } else if (result.kind === 'mined') {
    const { tag } = result.pending
    recordSafe(chain, {
      ...tag,
      l1Tx: result.receipt.transactionHash,
      l1Block: Number(result.receipt.blockNumber),
    })
  }
  return result
}

/** The last block on L1 by this node's batches or derivation: the safe head or, pool-sequenced, later. */
export function batchedThrough(chain: ChainCore): bigint {
  const safe = chain.safeHead()
  const [n, hash] = (chain.store.getMeta(BATCHED_KEY) ?? '').split(':')
  if (!hash) return safe
  const last = BigInt(n)
  return last > safe && chain.store.blockHash(last) === hash ? last : safe
}

/**
 * Adopts batches that reached L1 without this node seeing their receipt (a crash between broadcast
 * and receipt, an L1 that restarted from saved state and mined an old copy): the inbox's logs since
 * the last recorded batch are read back, and a batch of this shard that continues the safe head
 * (first block = safe + 1, parent hash = that block's hash) is recorded as if its receipt had been
 * seen. Run before every new batch, so a block already on L1 is never posted again.
 */
export async function reconcileBatches(ctx: SettleContext): Promise<void> {
  const { chain } = ctx
  const last = chain.store.lastBatch()
  const batches = await readBatches(
    ctx.l1,
    batchSourceOf(ctx.contracts, chain.chainId),
    last ? BigInt(last.l1Block) : BigInt(ctx.contracts.l1StartBlock),
    await getBlockNumber(ctx.l1, { cacheTime: 0 }),
  )
  for (const { l1Tx, l1Block, bytes, batch } of batches) {
    if (l1Tx === last?.l1Tx || !batch || batch.chainId !== chain.chainId) continue
    const first = batch.blocks[0].number
    const lastBlock = batch.blocks[batch.blocks.length - 1].number
    if (first !== chain.safeHead() + 1n) continue
    if (batch.parentHash !== chain.store.blockHash(first - 1n)) continue
    recordSafe(chain, {
      first: Number(first),
      last: Number(lastBlock),
      l1Tx,
      l1Block: Number(l1Block),
      bytes,
    })
  }
}

/** Moves the finalized head to the newest output the oracle reports final. */
export async function followFinality(ctx: SettleContext): Promise<bigint> {
  const { chain } = ctx
  const oracle = ctx.contracts.l2OutputOracle as Hex
  let finalized = chain.finalizedHead()
  const index = BigInt(chain.store.getMeta(`${FINALIZED_KEY}.index`) ?? '-1')
  const next = await readContract(ctx.l1, {
    address: oracle,
    abi: l2OutputOracleAbi,
    functionName: 'nextOutputIndex',
  })
  let i = index + 1n
  for (; i < next; i++) {
    const final = await readContract(ctx.l1, {
      address: oracle,
      abi: l2OutputOracleAbi,
      functionName: 'isOutputFinalized',
      args: [i],
    })
    if (!final) break
    const output = await readContract(ctx.l1, {
      address: oracle,
      abi: l2OutputOracleAbi,
      functionName: 'getL2Output',
      args: [i],
    })
    finalized = output.l2BlockNumber
  }
  if (i - 1n !== index)
    chain.transact(() => {
      chain.store.setMeta(FINALIZED_KEY, String(finalized))
      chain.store.setMeta(`${FINALIZED_KEY}.index`, String(i - 1n))
    })
  return finalized
}

/** Whether `err` is L1 refusing a call (a revert), not L1 being unreachable. */
function isRevert(err: unknown): boolean {
  return (
    err instanceof BaseError &&
    err.walk(
      (e) => e instanceof ContractFunctionRevertedError || e instanceof ExecutionRevertedError,
    ) !== null
  )
}
