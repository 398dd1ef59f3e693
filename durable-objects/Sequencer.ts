import { DurableObject } from 'cloudflare:workers'
import type { Hex, RpcLog } from 'viem'
import genesis from '../genesis.json'
import { buildConfig, shardL1, type Config } from '../shared/config.js'
import type { GenesisSpec } from '../shared/chain/genesis.js'
import { receiptLogs } from '../shared/chain/receiptLogs.js'
import {
  blockNews,
  l1DepsOf,
  ShardChain,
  type SealResult,
  type Submission,
} from '../shared/chain/shardChain.js'
import { indexNewBlocks, SealedBlocks } from '../shared/db/indexBlocks.js'
import { ReceiptWaiters } from '../shared/chain/receiptWaiters.js'
import { indexNewBatches } from '../shared/db/indexBatches.js'
import type { ResolvedLogQuery, RpcResult } from '../shared/rpc/edgeMethods.js'
import { sequencerMethods } from '../shared/rpc/sequencerMethods.js'
import { MethodNotFoundError } from '../shared/errors.js'
import { toRpcError } from '../shared/rpc/toRpcError.js'
import { settle, type SettleContext, type SettleReport } from '../shared/settlement/settle.js'
import { createL1Clients } from './l1Clients.js'

const INDEX_RETRY_MS = 5_000
const INDEX_DELAY_MS = 250
/** Longest a pending hash waits for the feed when no seal is under way to carry it. */
const PENDING_FLUSH_MS = 10
/** Block filters report at most this many hashes per poll (the newest). */
const MAX_BLOCK_HASHES = 1024n

/**
 * The sequencer of one shard: admits transactions, seals blocks on its alarm, keeps the chain in its
 * SQLite, then indexes history into D1 and publishes to the feed. A shell over `ShardChain`.
 */
export class Sequencer extends DurableObject<Env> {
  private readonly config: Config
  private chain?: ShardChain
  private alarmAt?: number
  private lastSealMs = 0

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.config = buildConfig(env)
    ctx.blockConcurrencyWhile(async () => {
      const chainId = await ctx.storage.get<number>('chainId')
      if (chainId !== undefined) await this.open(chainId)
    })
  }

  /** Answers a sequencer-side JSON-RPC method; errors come back as data. */
  async rpc(chainId: number, method: string, params: unknown[]): Promise<RpcResult> {
    try {
      const fn = sequencerMethods[method]
      if (!fn) throw new MethodNotFoundError(method)
      return { result: await fn(await this.open(chainId), params) }
    } catch (err) {
      return { error: toRpcError(err) }
    }
  }

  /**
   * Admits a transaction the Worker decoded; the hash is returned once the pool row is stored. With
   * `waitMs` (eth_sendRawTransactionSync, EIP-7966) the answer is the receipt once a seal mines it.
   */
  async submit(chainId: number, s: Submission, waitMs?: number): Promise<RpcResult> {
    try {
      const chain = await this.open(chainId)
      // A synchronous caller is answered from a durable block, or after its row is written.
      const hash = await chain.submit(s, { persist: waitMs === undefined })
      await this.schedule()
      this.notePending(hash)
      if (waitMs === undefined) return { result: hash }
      return { result: await this.waiters.wait(chain, hash, waitMs) }
    } catch (err) {
      return { error: toRpcError(err) }
    }
  }

  private readonly waiters = new ReceiptWaiters()

  /** Hashes of blocks `from..to` for block filters; the range is capped so no caller can stall the sequencer. */
  async blockHashes(chainId: number, from: bigint, to: bigint): Promise<Hex[]> {
    const store = (await this.open(chainId)).store
    const out: Hex[] = []
    if (to - from >= MAX_BLOCK_HASHES) from = to - MAX_BLOCK_HASHES + 1n
    for (let n = from; n <= to; n++) {
      const h = store.blockHash(n)
      if (h) out.push(h)
    }
    return out
  }

  /** Logs of blocks above the D1 index head, from the receipts. */
  async logs(chainId: number, q: ResolvedLogQuery): Promise<RpcLog[]> {
    return receiptLogs((await this.open(chainId)).store, q.fromBlock, q.toBlock, q)
  }

  /**
   * One alarm serves three schedules (the durable ones: they survive restarts): sealing, the round
   * of L1 work, and retrying D1 indexing. Each runs when due; the alarm is re-armed for the next.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = undefined
    const now = Date.now()
    const due = (k: keyof typeof this.due) => {
      const at = this.due[k]
      if (at === undefined || at > now) return false
      this.due[k] = undefined
      return true
    }
    const work: Promise<unknown>[] = []
    if (due('l1')) work.push(this.settleRound())
    if (due('index') && this.chain) work.push(this.index(this.chain))
    if (due('seal')) work.push(this.sealNext())
    await Promise.all(work)
    await this.arm()
  }

  /** When each schedule is next due (ms since epoch). */
  private readonly due: { seal?: number; l1?: number; index?: number } = {}

  /** Sets the storage alarm to the earliest due schedule. */
  private async arm(): Promise<void> {
    const times = Object.values(this.due).filter((t): t is number => t !== undefined)
    if (times.length === 0) return
    const at = Math.min(...times)
    if (this.alarmAt !== undefined && this.alarmAt <= at) return
    this.alarmAt = at
    await this.ctx.storage.setAlarm(at)
  }

  /** Runs one round of L1 work now (the cron trigger calls this; so does the alarm). */
  async settle(chainId: number): Promise<SettleReport | { error: string } | undefined> {
    await this.open(chainId)
    return this.settleRound()
  }

  /**
   * One round of the shard's L1 work (`shared/settlement/settle.ts`), one at a time; the next round
   * is scheduled L1_POLL_MS later whatever happened (an L1 outage is retried, never fatal).
   */
  private async settleRound(): Promise<SettleReport | { error: string } | undefined> {
    const ctx = this.settleContext()
    if (!ctx) return undefined
    this.settling ??= (async () => {
      try {
        const report = await settle(ctx)
        if (report.watched > 0) await this.schedule()
        await indexNewBatches(this.env.DB, ctx.chain.store, ctx.chain.chainId)
        return report
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err)
        console.error('L1 round failed; will retry:', error.split('\n')[0])
        return { error }
      } finally {
        this.settling = undefined
        this.due.l1 = Date.now() + this.config.l1PollMs
        await this.arm()
      }
    })()
    return this.settling
  }

  private settling?: Promise<SettleReport | { error: string }>

  private l1?: ReturnType<typeof createL1Clients>

  /** The settlement context when this shard has an L1, undefined otherwise. */
  private settleContext(): SettleContext | undefined {
    const chain = this.chain
    const l1 = this.config.l1
    const contracts = chain && shardL1(this.config, chain.chainId)
    if (!chain || !l1 || !contracts) return undefined
    this.l1 ??= createL1Clients(l1, this.config)
    return { chain, contracts, confirmations: this.config.l1Confirmations, ...this.l1 }
  }

  /**
   * Seals one block if there is work, publishes it to the feed, starts D1 indexing beside it and
   * schedules the next. One seal at a time: a call while sealing waits for that one.
   */
  private async sealNext(): Promise<void> {
    const chain = this.chain
    if (!chain) return
    if (this.sealing) return this.sealing
    let sealed: SealResult | undefined
    this.sealing = (async () => {
      try {
        sealed = await chain.seal(
          BigInt(Math.floor(Date.now() / 1000)),
          genesis.coinbase as `0x${string}`,
        )
      } catch (err) {
        console.error('sealing failed', err)
      }
    })()
    await this.sealing
    this.sealing = undefined
    if (sealed) {
      this.lastSealMs = Date.now()
      this.waiters.sealed(sealed)
      this.unindexed.add(sealed.indexed)
      this.indexSoon(chain)
    }
    this.announce(sealed)
    await this.schedule()
  }

  /**
   * Hashes admitted since the feed last heard, for pending subscribers and filters: they go with
   * the next seal's news, or after PENDING_FLUSH_MS when no seal is under way (one call to the feed
   * per block or per flush, not one per transaction).
   */
  private notePending(hash: Hex): void {
    this.pendingHashes.push(hash)
    if (this.pendingTimer || this.sealing || this.kicked) return
    this.pendingTimer = true
    setTimeout(() => {
      this.pendingTimer = false
      this.announce(undefined)
    }, PENDING_FLUSH_MS)
  }

  private pendingHashes: Hex[] = []
  private pendingTimer = false

  /** Tells the feed what entered the pool and, if a block was sealed, the block. */
  private announce(sealed: SealResult | undefined): void {
    const pending = this.pendingHashes
    if (!sealed && pending.length === 0) return
    this.pendingHashes = []
    this.feed()
      .publish(this.chain!.chainId, { pending, sealed: sealed && blockNews(sealed) })
      .catch((err) => console.error('feed publish failed', err))
  }

  /**
   * Indexing into D1 runs beside sealing, never in its way, and coalesces the blocks of the next
   * INDEX_DELAY_MS into one batch; eth_getLogs reads blocks above the index head from receipts.
   */
  private indexSoon(chain: ShardChain): void {
    if (this.indexTimer) return
    this.indexTimer = true
    this.ctx.waitUntil(
      new Promise<void>((resolve) =>
        setTimeout(() => {
          this.indexTimer = false
          this.index(chain).then(() => resolve(), resolve)
        }, INDEX_DELAY_MS),
      ),
    )
  }

  private indexTimer = false
  /** Index rows of sealed blocks D1 does not have yet. */
  private readonly unindexed = new SealedBlocks()
  private sealing?: Promise<void>
  private kicked = false

  private async open(chainId: number): Promise<ShardChain> {
    if (this.chain) {
      if (this.chain.chainId !== chainId)
        throw new Error(`sequencer of chain ${this.chain.chainId} asked for ${chainId}`)
      return this.chain
    }
    const storage = this.ctx.storage
    const chain = await ShardChain.open({
      sql: storage.sql,
      transact: (fn) => storage.transactionSync(fn),
      chainId,
      genesis: genesis as GenesisSpec,
      blockGasLimit: this.config.blockGasLimit,
      l1: l1DepsOf(shardL1(this.config, chainId)),
    })
    if (this.chain) return this.chain
    this.chain = chain
    await storage.put('chainId', chainId)
    await this.schedule()
    if (this.settleContext()) {
      this.due.l1 ??= Date.now()
      await this.arm()
    }
    this.ctx.waitUntil(this.index(chain))
    return chain
  }

  /**
   * Schedules the next block when the pool has work. With a block time, an alarm a block time after
   * the last block. In automine (0) the block is sealed on the next turn of the event loop instead:
   * an alarm's own delay would pace blocks, and a restart re-runs `schedule` from the constructor.
   */
  private async schedule(): Promise<void> {
    // A seal in progress schedules again when it ends, so submits meanwhile need not ask hasWork
    // (which reads every pooled sender's account).
    if (
      !this.chain ||
      this.kicked ||
      this.sealing ||
      this.due.seal !== undefined ||
      !(await this.chain.hasWork())
    )
      return
    if (this.config.blockTimeMs === 0) {
      this.kicked = true
      setTimeout(() => {
        this.kicked = false
        this.ctx.waitUntil(this.sealNext())
      }, 0)
      return
    }
    this.due.seal = Math.max(Date.now(), this.lastSealMs + this.config.blockTimeMs)
    await this.arm()
  }

  /** Indexes every block the D1 history lacks (idempotent; resumes after any failure). Returns whether it caught up. */
  private async index(chain: ShardChain): Promise<boolean> {
    this.indexing ??= this.indexOnce(chain).finally(() => (this.indexing = undefined))
    return this.indexing
  }

  private indexing?: Promise<boolean>

  /** Indexes until caught up; after a failure, retries on a later alarm. */
  private async indexOnce(chain: ShardChain): Promise<boolean> {
    const caughtUp = await this.indexRange(chain)
    if (!caughtUp && this.due.index === undefined) {
      this.due.index = Date.now() + INDEX_RETRY_MS
      await this.arm()
    }
    return caughtUp
  }

  private async indexRange(chain: ShardChain): Promise<boolean> {
    try {
      await indexNewBlocks(
        this.env.DB,
        chain.store,
        chain.chainId,
        chain.headHeader.number,
        this.unindexed,
      )
      return true
    } catch (err) {
      console.error('indexing into D1 failed; will retry', err)
      return false
    }
  }

  private feedStub?: DurableObjectStub<import('./Feed.js').Feed>
  private feed() {
    const id = this.env.FEED.idFromName(`feed:${this.chain!.chainId}`)
    return (this.feedStub ??= this.env.FEED.get(id) as DurableObjectStub<import('./Feed.js').Feed>)
  }
}
