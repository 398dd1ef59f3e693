import { DurableObject } from 'cloudflare:workers'
import type { Hex, RpcLog } from 'viem'
import genesis from '../genesis.json'
import { buildConfig, type Config } from '../shared/config.js'
import type { GenesisSpec } from '../shared/chain/genesis.js'
import { receiptLogs } from '../shared/chain/receiptLogs.js'
import { ShardChain, type SealResult, type Submission } from '../shared/chain/shardChain.js'
import { indexBlocks } from '../shared/db/indexBlocks.js'
import type { ResolvedLogQuery, RpcResult } from '../shared/rpc/edgeMethods.js'
import { sequencerMethods } from '../shared/rpc/sequencerMethods.js'
import { MethodNotFoundError } from '../shared/errors.js'
import { toRpcError } from '../shared/rpc/toRpcError.js'

const INDEX_BATCH = 32
const INDEX_RETRY_MS = 5_000
const INDEX_DELAY_MS = 250
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

  /** Admits a transaction the Worker decoded; the hash is returned once the pool row is stored. */
  async submit(chainId: number, s: Submission): Promise<RpcResult> {
    try {
      const chain = await this.open(chainId)
      const hash = await chain.submit(s)
      await this.schedule()
      return { result: hash }
    } catch (err) {
      return { error: toRpcError(err) }
    }
  }

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

  /** The alarm seals the next block (the durable schedule: it survives restarts). */
  override async alarm(): Promise<void> {
    this.alarmAt = undefined
    await this.sealNext()
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
      this.feed()
        .publish(chain.chainId, sealed)
        .catch((err) => console.error('feed publish failed', err))
      this.indexSoon(chain)
    }
    await this.schedule()
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
    })
    if (this.chain) return this.chain
    this.chain = chain
    await storage.put('chainId', chainId)
    await this.schedule()
    this.ctx.waitUntil(this.index(chain))
    return chain
  }

  /**
   * Schedules the next block when the pool has work. With a block time, an alarm a block time after
   * the last block. In automine (0) the block is sealed on the next turn of the event loop instead:
   * an alarm's own delay would pace blocks, and a restart re-runs `schedule` from the constructor.
   */
  private async schedule(): Promise<void> {
    if (!this.chain || this.kicked || this.alarmAt !== undefined || !(await this.chain.hasWork()))
      return
    if (this.config.blockTimeMs === 0) {
      this.kicked = true
      setTimeout(() => {
        this.kicked = false
        this.ctx.waitUntil(this.sealNext())
      }, 0)
      return
    }
    await this.setAlarm(Math.max(Date.now(), this.lastSealMs + this.config.blockTimeMs))
  }

  private async setAlarm(at: number): Promise<void> {
    this.alarmAt = at
    await this.ctx.storage.setAlarm(at)
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
    if (!caughtUp && this.alarmAt === undefined) await this.setAlarm(Date.now() + INDEX_RETRY_MS)
    return caughtUp
  }

  private async indexRange(chain: ShardChain): Promise<boolean> {
    const head = chain.headHeader.number
    let next = BigInt(chain.store.getMeta('indexed') ?? '-1') + 1n
    try {
      while (next <= head) {
        const blocks = []
        for (let n = next; n <= head && blocks.length < INDEX_BATCH; n++)
          blocks.push(chain.indexedBlock(n)!)
        await indexBlocks(this.env.DB, chain.chainId, blocks)
        next += BigInt(blocks.length)
        chain.store.setMeta('indexed', String(next - 1n))
      }
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
