import { DurableObject } from 'cloudflare:workers'
import type { Hex, RpcLog } from 'viem'
import genesis from '../genesis.json'
import { buildConfig, nodeRole, poolSequenced, shardL1, type Config } from '../shared/config.js'
import { bytesToHex, formatEther, hexToBytes, keccak256, type Address } from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import { batchBlocks } from '../shared/derivation/batchBlocks.js'
import {
  batchSourceOf,
  deriveFromL1,
  derivedThrough,
  type DeriveReport,
} from '../shared/derivation/deriveFromL1.js'
import { FeedFollower } from '../shared/derivation/feedFollower.js'
import {
  signBlock,
  toSignedBlockJson,
  type SignedBlockJson,
} from '../shared/derivation/signedBlock.js'
import { Outbox } from '../shared/forwarding/outbox.js'
import { Forwarder } from '../shared/node/forwarder.js'
import { decodeRawTransaction } from '../shared/txpool/decodeRawTransaction.js'
import { rewindIndex } from '../shared/db/indexBlocks.js'
import { SequencerUnavailableError } from '../shared/errors.js'
import { recoverPublicKeyWasm } from './wasmSecp256k1.js'
import { adoptOutbox, handPoolToOutbox } from '../shared/sequencing/handover.js'
import { recordEquivocation, stepProveEquivocation } from '../shared/sequencing/equivocation.js'
import { stepPayout } from '../shared/sequencing/payout.js'
import { stepStall } from '../shared/sequencing/stallStep.js'
import { SignedChildren } from '../shared/sequencing/signedChildren.js'
import {
  dutyOf,
  readTurn,
  sameAccount,
  poolStep,
  stepSkip,
  type Duty,
  type Turn,
} from '../shared/sequencing/turn.js'
import { Scheduler } from '../shared/node/scheduler.js'
import type { GenesisSpec } from '../shared/chain/genesis.js'
import { receiptLogs } from '../shared/chain/receiptLogs.js'
import { blockNews, l1DepsOf, ChainCore, type SealResult } from '../shared/chain/chainCore.js'
import { Sequencing, type Submission } from '../shared/sequencing/sequencing.js'
import { indexNewBlocks, SealedBlocks } from '../shared/db/indexBlocks.js'
import { ReceiptWaiters } from '../shared/chain/receiptWaiters.js'
import { indexNewBatches } from '../shared/db/indexBatches.js'
import type { ResolvedLogQuery, RpcResult } from '../shared/rpc/edgeMethods.js'
import { sequencerMethods } from '../shared/rpc/sequencerMethods.js'
import { MethodNotFoundError } from '../shared/errors.js'
import { toRpcError } from '../shared/rpc/toRpcError.js'
import { settle, type SettleContext, type SettleReport } from '../shared/settlement/settle.js'
import { stepVerifier, type VerifierContext } from '../shared/verifiers/verify.js'
import { nextRollupEvents } from '../shared/verifiers/rollupFeed.js'
import { createL1Clients } from './l1Clients.js'
import type { HealthReport } from '../shared/settlement/nodeHealth.js'
import { L1Round } from '../shared/node/l1Round.js'

/** The jobs one alarm multiplexes (see `Scheduler`). */
type Job = 'seal' | 'l1' | 'index' | 'feed'

const INDEX_RETRY_MS = 5_000
const INDEX_DELAY_MS = 250
/** Longest a pending hash waits for the feed when no seal is under way to carry it. */
const PENDING_FLUSH_MS = 10
/** Delay before sealing again after a seal failed on a node fault. */
const SEAL_RETRY_MS = 1_000
/** Block filters report at most this many hashes per poll (the newest). */
const MAX_BLOCK_HASHES = 1024n

/** Signed feed blocks the sequencer keeps (the newest), so gap requests do not cost it signatures. */
const SIGNED_CACHE = 1024
/** Feed blocks a peer holds past its head while it fetches the gap. */
const FEED_MAX_AHEAD = 1024n
/** Delay before the live feed's websocket is opened again after it closed. */
const FEED_RECONNECT_MS = 1_000

/**
 * One shard's node: the chain in its SQLite, and the steps of its role (`nodeRole`). A sequencer
 * admits transactions, seals blocks on its alarm and signs them onto its live feed; a peer derives
 * the chain from L1, follows the sequencer's live feed ahead of L1 and forwards writes to it. Both
 * index history into D1 and publish to their own feed. A shell over `ChainCore` and the steps in
 * shared/derivation and shared/settlement. (The class keeps its name and binding, SEQUENCER: a
 * Durable Object class rename needs a storage migration on every deployed node.)
 */
export class Sequencer extends DurableObject<Env> {
  private readonly config: Config
  /** What this node is for its shard (`nodeRole`), known once the chain is opened. */
  private role: 'sequencer' | 'peer' = 'sequencer'
  private chain?: ChainCore
  /** The sequencer role's step over the chain (admission, pool, seal); a peer has none. */
  private sequencing?: Sequencing
  private lastSealMs = 0

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.config = buildConfig(env)
    this.l1Round = new L1Round<SettleReport>({
      now: Date.now,
      log: (line) => console.error(`[${this.chain?.chainId}] ${line}`),
      pollMs: this.config.l1PollMs,
      next: async (delayMs) => {
        this.jobs.at('l1', Date.now() + delayMs, { replace: true })
        await this.arm()
      },
    })
    // A failed start-up resets the object (the next request tries again); it is logged, not left uncaught.
    ctx
      .blockConcurrencyWhile(async () => {
        const chainId = await ctx.storage.get<number>('chainId')
        if (chainId !== undefined) await this.open(chainId)
      })
      .catch((err) => console.error('sequencer start-up failed', err))
  }

  /** Answers a sequencer-side JSON-RPC method; errors come back as data. */
  async rpc(chainId: number, method: string, params: unknown[]): Promise<RpcResult> {
    try {
      const fn = sequencerMethods.get(method)
      if (!fn) throw new MethodNotFoundError(method)
      return { result: await fn(await this.open(chainId), params, this.config, this.outbox) }
    } catch (err) {
      return { error: toRpcError(err, { method }) }
    }
  }

  /**
   * Admits a transaction the Worker decoded; the hash is returned once the pool row is stored. With
   * `waitMs` (eth_sendRawTransactionSync, EIP-7966) the answer is the receipt once a seal mines it.
   */
  async submit(
    chainId: number,
    s: Submission,
    waitMs?: number,
    forwarded = false,
  ): Promise<RpcResult> {
    try {
      const chain = await this.open(chainId)
      // Not sequencing: the write goes to the sequencer (across a handover in a pool); this node
      // may become the sequencer meanwhile and admit it itself.
      if (this.role === 'peer') {
        const there = await this.forwarder(chain).submit(s, waitMs, forwarded)
        if (there) return there
      }
      // A synchronous caller is answered from a durable block, or after its row is written.
      const sequencing = this.sequencing!
      const hash = await sequencing.submit(s, { persist: waitMs === undefined })
      await this.schedule()
      this.notePending(hash)
      if (waitMs === undefined) return { result: hash }
      return { result: await this.waiters.wait(sequencing, hash, waitMs) }
    } catch (err) {
      return { error: toRpcError(err) }
    }
  }

  private readonly waiters = new ReceiptWaiters()

  /**
   * What this node is for the shard right now (`GET /chains`): its role, and the sequencer's RPC it
   * forwards to and whose feed it follows; in a pool-sequenced shard both follow the pool's turn.
   */
  async status(chainId: number): Promise<{
    role: 'sequencer' | 'peer'
    sequencing: 'pool' | 'fixed'
    follows?: string
    health: HealthReport
  }> {
    await this.open(chainId)
    return {
      role: this.role,
      sequencing: this.pooled ? 'pool' : 'fixed',
      health: this.l1Round.report(),
      ...(this.role === 'peer' && { follows: this.sequencerRpcUrl(chainId) }),
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

  /**
   * One storage alarm serves every job (the durable schedules: they survive restarts): sealing, the
   * round of L1 work, retrying D1 indexing, reconnecting the live feed. Each runs when due; the alarm
   * is re-armed for the next.
   */
  override async alarm(): Promise<void> {
    const chain = this.chain
    const run = {
      l1: () => this.settleRound(),
      index: () => chain && this.index(chain),
      seal: () => this.sealNext(),
      feed: () => this.connectFeed(),
    } satisfies Record<Job, () => unknown>
    await Promise.all(this.jobs.take(Date.now()).map((job) => run[job]()))
    await this.arm()
  }

  /** When each job is next due: sealing, the L1 round, D1 indexing retries, the feed's reconnect. */
  private readonly jobs = new Scheduler<Job>()

  /** Sets the storage alarm to the earliest due job, if it is not set for that already. */
  private async arm(): Promise<void> {
    const at = this.jobs.toArm()
    if (at !== undefined) await this.ctx.storage.setAlarm(at)
  }

  /** Runs one round of L1 work now (the cron trigger calls this; so does the alarm). */
  async settle(chainId: number): Promise<SettleReport | { error: string } | undefined> {
    await this.open(chainId)
    return this.settleRound()
  }

  /**
   * One round of the shard's L1 work (`L1Round`: its parts in order, each failing alone, one round
   * at a time); the next is scheduled L1_POLL_MS later whatever happened.
   */
  private async settleRound(): Promise<SettleReport | { error: string } | undefined> {
    const ctx = this.settleContext()
    if (!ctx) return undefined
    // Pool-sequenced, the holder derives too: its safe head is what L1 says (forced inclusion).
    const derives = this.role === 'peer' || this.pooled
    return this.l1Round.run({
      settle: async () => {
        const report = await settle(ctx)
        if (report.batchRefused) console.log(`L1 refused this node's batch: ${report.batchRefused}`)
        if (report.watched > 0) await this.schedule()
        return report
      },
      ...(derives && { derive: () => this.peerRound(ctx) }),
      ...(this.pooled && { pool: () => this.poolRound(ctx) }),
      verifier: () => this.verifierRound(ctx),
      rollup: () => this.rollupRound(ctx),
      batchIndex: () => indexNewBatches(this.env.DB, ctx.chain.store, ctx.chain.chainId),
    })
  }

  /** The shard's L1 round and the failures of its parts, by part (`GET /health`, `GET /chains`). */
  private readonly l1Round: L1Round<SettleReport>

  /**
   * Publishes the round's rollup events to `edge_rollup` subscribers (`nextRollupEvents`: L1's and
   * the node's own computed roots). A failure is logged and retried next round from the same cursor.
   */
  private async rollupRound(ctx: SettleContext): Promise<void> {
    const { chain } = ctx
    const { events, commit } = await nextRollupEvents(
      chain,
      ctx.l1,
      ctx.contracts,
      this.config.verifierFault,
    )
    if (events.length > 0) await this.feed().publishRollup(chain.chainId, events)
    commit()
  }

  /**
   * The verifier's share of an L1 round, with an operator key (`VERIFIER_KEY`) and the shard's
   * verifier contracts configured: `stepVerifier` until it has nothing more to send right now (a
   * transaction in flight waits for the next round). Its failure (L1 down) does not stop the round.
   */
  private async verifierRound(ctx: SettleContext): Promise<void> {
    const l1 = this.config.l1
    const { contracts, chain } = ctx
    const wallet = this.l1?.verifier
    if (!l1 || !wallet || !contracts.outputQuorum || !contracts.verifierStaking) return
    const vctx: VerifierContext = {
      chain,
      l1: ctx.l1,
      wallet,
      staking: contracts.verifierStaking as Address,
      domain: {
        l1ChainId: l1.chainId,
        quorum: contracts.outputQuorum as Address,
        l2ChainId: chain.chainId,
        oracle: contracts.l2OutputOracle as Address,
      },
      pool: contracts.sequencerPool as Address | undefined,
      publicUrl: this.config.publicUrl,
      fault: this.config.verifierFault,
      log: (line) => console.log(`[verify ${chain.chainId}] ${line}`),
    }
    for (let i = 0; i < 4; i++) {
      const step = await stepVerifier(vctx)
      if (step.kind === 'idle' || step.kind === 'sent' || step.kind === 'waiting') break
    }
  }

  private l1?: ReturnType<typeof createL1Clients>

  /** The settlement context when this shard has an L1, undefined otherwise. */
  private settleContext(): SettleContext | undefined {
    const chain = this.chain
    const l1 = this.config.l1
    const contracts = chain && shardL1(this.config, chain.chainId)
    if (!chain || !l1 || !contracts) return undefined
    this.l1 ??= createL1Clients(l1, this.config)
    const ctx = { chain, contracts, confirmations: this.config.l1Confirmations, ...this.l1 }
    // In a pool-sequenced shard the operator batches through the pool, and only in its turn.
    if (this.pooled)
      return {
        ...ctx,
        batcher: this.l1.verifier,
        batching: this.role === 'sequencer' && this.duty.holds,
      }
    return ctx
  }

  /**
   * Seals one block if there is work, publishes it to the feed, starts D1 indexing beside it and
   * schedules the next. One seal at a time: a call while sealing waits for that one.
   */
  private async sealNext(): Promise<void> {
    const chain = this.chain
    const sequencing = this.sequencing
    if (!chain || !sequencing || !this.maySeal()) return
    if (this.sealing) return this.sealing
    let sealed: SealResult | undefined
    this.sealing = (async () => {
      try {
        const now = BigInt(Math.floor(Date.now() / 1000))
        // Pool-sequenced, L1 derivation may unwind this node's blocks: never while one is sealed.
        sealed = this.pooled
          ? await this.exclusive(() => sequencing.seal(now, this.feeRecipient()))
          : await sequencing.seal(now, this.feeRecipient())
      } catch (err) {
        // A node fault (storage, a bug; not a transaction's invalidity, which drops it): nothing was
        // committed and the pool is as it was. The block is tried again later, not in a hot loop.
        console.error(`sealing failed; retrying in ${SEAL_RETRY_MS} ms`, err)
        this.jobs.at('seal', Date.now() + SEAL_RETRY_MS, { replace: true })
        await this.arm()
      }
    })()
    await this.sealing
    this.sealing = undefined
    if (sealed) this.lastSealMs = Date.now()
    this.afterBlock(chain, sealed)
    await this.schedule()
  }

  /** What follows a new head, sealed or derived: waiting callers, D1 indexing, the feed. */
  private afterBlock(chain: ChainCore, sealed: SealResult | undefined): void {
    if (sealed) {
      this.waiters.sealed(sealed)
      this.unindexed.add(sealed.indexed)
      this.indexSoon(chain)
    }
    this.announce(sealed)
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
    const chain = this.chain!
    const news = { pending, sealed: sealed && blockNews(sealed) }
    // Signed only while a peer follows (signing costs the sequencer's thread); one in order after another.
    const sign = sealed && this.feedWantsBlocks && this.feedKey()
    // Test only (SEQUENCER_FAULT=equivocate): a signed sibling goes out before the real block.
    const sibling = sealed && this.sequencing?.takeSibling()
    this.publishing = this.publishing
      .then(async () => {
        if (sign && sibling) {
          const { hash, parentHash, block } = sibling
          const signed = await signBlock(sign, chain.chainId, hash, parentHash, block)
          await this.feed().publish(chain.chainId, {
            pending: [],
            block: toSignedBlockJson(signed),
          })
        }
        const block = sign ? await this.signedBlock(chain, BigInt(sealed.header.number)) : undefined
        const reply = await this.feed().publish(chain.chainId, { ...news, block })
        this.feedWantsBlocks = reply.blockSubscribers > 0
      })
      .catch((err) => console.error('feed publish failed', err))
  }

  private publishing: Promise<void> = Promise.resolve()
  /** Whether the feed had signed-block subscribers when it last answered (the first publish asks). */
  private feedWantsBlocks = true

  /**
   * A stored block as the live feed carries it, signed with the sequencer's key; undefined when the
   * key signed another child of its parent before (`SignedChildren`: never two).
   */
  private async signedBlock(chain: ChainCore, n: bigint): Promise<SignedBlockJson | undefined> {
    const stored = chain.store.blockByNumber(n)
    if (!stored) return undefined
    const cached = this.signed.get(n)
    if (cached?.hash === stored.hash) return cached
    const parentHash = bytesToHex(chain.header(stored).parentHash)
    this.signedChildren ??= new SignedChildren(this.ctx.storage.sql)
    if (!this.signedChildren.claim(parentHash, stored.hash as Hex, n)) return undefined
    const [block] = batchBlocks(chain, n, n)
    const json = toSignedBlockJson(
      await signBlock(this.feedKey()!, chain.chainId, stored.hash, parentHash, block),
    )
    // Recent blocks stay signed: peers catching up ask for the same ones, and asking must not make
    // the sequencer sign again (anyone can ask).
    this.signed.set(n, json)
    if (this.signed.size > SIGNED_CACHE) this.signed.delete(this.signed.keys().next().value!)
    return json
  }

  private readonly signed = new Map<bigint, SignedBlockJson>()
  private signedChildren?: SignedChildren

  /**
   * Stored blocks `from..from+count-1` (at most the head) as the live feed carries them: how a peer
   * fills a gap. Only a sequencer signs; others answer an error.
   */
  async signedBlocks(chainId: number, from: bigint, count: number): Promise<RpcResult> {
    try {
      const chain = await this.open(chainId)
      if (this.role !== 'sequencer' || !this.feedKey() || !chain.origins.latest())
        throw new SequencerUnavailableError('this node is not the sequencer: it signs no blocks')
      const out: SignedBlockJson[] = []
      for (let n = from > 0n ? from : 1n; n <= chain.headHeader.number && out.length < count; n++) {
        const signed = await this.signedBlock(chain, n)
        // Not signable (its key signed another child of its parent): the rest builds on it; L1 brings them.
        if (!signed) break
        out.push(signed)
      }
      return { result: out }
    } catch (err) {
      return { error: toRpcError(err) }
    }
  }

  /**
   * Indexing into D1 runs beside sealing, never in its way, and coalesces the blocks of the next
   * INDEX_DELAY_MS into one batch; eth_getLogs reads blocks above the index head from receipts.
   */
  private indexSoon(chain: ChainCore): void {
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

  private async open(chainId: number): Promise<ChainCore> {
    if (this.chain) {
      if (this.chain.chainId !== chainId)
        throw new Error(`sequencer of chain ${this.chain.chainId} asked for ${chainId}`)
      return this.chain
    }
    const storage = this.ctx.storage
    const chain = await ChainCore.open({
      sql: storage.sql,
      transact: (fn) => storage.transactionSync(fn),
      chainId,
      genesis: genesis as GenesisSpec,
      blockGasLimit: this.config.blockGasLimit,
      l1: l1DepsOf(shardL1(this.config, chainId)),
      recover: recoverPublicKeyWasm,
    })
    if (this.chain) return this.chain
    this.chain = chain
    this.role = nodeRole(this.config, chainId)
    this.pooled = poolSequenced(this.config, chainId)
    if (this.role === 'sequencer') this.sequencing = Sequencing.open(chain)
    await storage.put('chainId', chainId)
    await this.schedule()
    if (this.settleContext()) {
      this.jobs.at('l1', Date.now())
      await this.arm()
    }
    this.ctx.waitUntil(
      this.index(chain).catch((err) => console.error('D1 indexing failed; will retry', err)),
    )
    if (this.role === 'peer') {
      this.outbox = new Outbox(storage.sql)
      // A pool member that sequenced before a restart starts as a peer: what its pool still holds
      // (hashes it returned) goes to the outbox, to the holder, or back into its pool in its turn.
      if (this.pooled) {
        const handed = handPoolToOutbox(Sequencing.open(chain), this.outbox, Date.now())
        if (handed > 0)
          console.log(
            `[pool ${chainId}] ${handed} pooled transactions from before a restart go to the outbox`,
          )
      }
      this.ctx.waitUntil(this.connectFeed())
    }
    return chain
  }

  /** The key that signs this node's live feed: the operator's in a pool-sequenced shard. */
  private feedKey(): `0x${string}` | undefined {
    return this.pooled ? this.config.verifierKey : this.config.sequencerKey
  }

  /**
   * Who earns the fees of the blocks this node seals: in a pool-sequenced shard the operator (each
   * sequencer names itself in its blocks, and derivation keeps what a block names), else the
   * genesis coinbase.
   */
  private feeRecipient(): Hex {
    const key = this.pooled && this.config.verifierKey
    if (!key) return genesis.coinbase as Hex
    return (this.operatorAddress ??= privateKeyToAddress(key))
  }
  private operatorAddress: Hex | undefined

  /** Whether sealing is allowed now: always for a fixed sequencer, in its turn for a pool member. */
  private maySeal(): boolean {
    return !this.pooled || (this.role === 'sequencer' && this.duty.seal)
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
      this.role !== 'sequencer' ||
      !this.maySeal() ||
      this.kicked ||
      this.sealing ||
      this.jobs.has('seal') ||
      !(await this.sequencing?.hasWork())
    )
      return
    if (this.config.blockTimeMs === 0) {
      this.kicked = true
      setTimeout(() => {
        this.kicked = false
        this.ctx.waitUntil(
          this.sealNext().catch((err) => console.error('sealing the next block failed', err)),
        )
      }, 0)
      return
    }
    this.jobs.at('seal', Math.max(Date.now(), this.lastSealMs + this.config.blockTimeMs), {
      replace: true,
    })
    await this.arm()
  }

  /** Indexes every block the D1 history lacks (idempotent; resumes after any failure). Returns whether it caught up. */
  private async index(chain: ChainCore): Promise<boolean> {
    this.indexing ??= this.indexOnce(chain).finally(() => (this.indexing = undefined))
    return this.indexing
  }

  private indexing?: Promise<boolean>

  /** Indexes until caught up; after a failure, retries on a later alarm. */
  private async indexOnce(chain: ChainCore): Promise<boolean> {
    const caughtUp = await this.indexRange(chain)
    if (!caughtUp && !this.jobs.has('index')) {
      this.jobs.at('index', Date.now() + INDEX_RETRY_MS, { replace: true })
      await this.arm()
    }
    return caughtUp
  }

  private async indexRange(chain: ChainCore): Promise<boolean> {
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

  // ── Peer role ─────────────────────────────────────────────────────────────────────────────────

  private outbox?: Outbox
  private follower?: FeedFollower
  private feedSocket?: WebSocket
  private chainLock: Promise<unknown> = Promise.resolve()
  private syncStats?: { startMs: number; blocks: number; lastLogMs: number }

  /** Runs `fn` when no other write to the chain (L1 derivation, a feed block) is running. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chainLock.then(fn, fn)
    this.chainLock = run.catch(() => undefined)
    return run
  }

  /** The address whose signature a feed block needs: the shard's sequencer (its batcher by default). */
  private feedSigner(chainId: number): Address | undefined {
    if (this.pooled) return this.turn && !this.duty.holds ? this.turn.holder : undefined
    const l1 = shardL1(this.config, chainId)
    return (l1?.sequencer ?? l1?.batcher) as Address | undefined
  }

  /** The sequencer node's JSON-RPC URL for this shard. */
  private sequencerRpcUrl(chainId: number): string | undefined {
    if (this.pooled) {
      // Not to itself: a node taking over answers its writes once it has derived up to its turn.
      if (!this.turn?.url || this.duty.holds) return undefined
      return `${this.turn.url}/chain/${chainId}`
    }
    return this.config.sequencerUrl && `${this.config.sequencerUrl}/chain/${chainId}`
  }

  /**
   * A peer's share of an L1 round: derive the blocks the inbox's batches carry (unwinding feed blocks
   * L1 contradicts), then retry feed blocks that waited for their L1 origin and resend forwarded
   * transactions the sequencer may have lost.
   */
  private async peerRound(ctx: SettleContext): Promise<{ more: boolean }> {
    const chain = ctx.chain
    const contracts = ctx.contracts
    const startMs = Date.now()
    const report: DeriveReport = await deriveFromL1({
      chain,
      l1: ctx.l1,
      batches: batchSourceOf(contracts, chain.chainId),
      l1StartBlock: BigInt(contracts.l1StartBlock),
      coinbase: genesis.coinbase as `0x${string}`,
      exclusive: (fn) => this.exclusive(fn),
      log: (line) => console.log(`[derive ${chain.chainId}] ${line}`),
    })
    if (report.unwoundTo !== undefined)
      await rewindIndex(this.env.DB, chain.chainId, report.unwoundTo)
    if (this.pooled && report.unwoundTxs.length > 0) await this.resequence(chain, report.unwoundTxs)
    for (const sealed of report.derived) this.afterBlock(chain, sealed)
    this.logSync(chain, report, startMs)
    await this.follower?.retry()
    if (this.outbox) await this.forwarder(chain).resend()
    return { more: report.more }
  }

  /**
   * Pool-sequenced: transactions of unsafe blocks L1 replaced (a batch with other blocks, or blocks
   * forced past the sequencing window) are sequenced again: they go to the outbox, sent to the sequencer from there
   * or, when this node sequences, taken into its own pool at once (invariant 5).
   */
  private async resequence(chain: ChainCore, raws: Hex[]): Promise<void> {
    const outbox = (this.outbox ??= new Outbox(this.ctx.storage.sql))
    const now = Date.now()
    for (const raw of raws) {
      const { sender } = decodeRawTransaction(raw, chain.chainId, recoverPublicKeyWasm)
      outbox.add({ hash: keccak256(raw), raw: hexToBytes(raw), sender }, now, 0)
    }
    if (this.role !== 'sequencer' || !this.sequencing) return
    const { adopted, refused } = await adoptOutbox(
      chain,
      this.sequencing,
      outbox,
      recoverPublicKeyWasm,
    )
    console.log(
      `[derive ${chain.chainId}] ${adopted} transactions of replaced blocks back in the pool${refused.length ? `; ${refused.length} refused` : ''}`,
    )
  }

  // ── Pool role (a pool-sequenced shard) ───────────────────────────────────────────────────────

  /** Whether the shard is pool-sequenced (`poolSequenced`): the role then follows the pool's turns. */
  private pooled = false
  /** The shard's turn as last read from L1, and what it asks of this node. */
  private turn?: Turn
  private duty: Duty = { holds: false, seal: false, skip: false }
  /** The L1 head at which this node saw its turn begin: it sequences once it has derived that far. */
  private takeoverAt?: bigint

  /**
   * A pool member's share of an L1 round: read the turn; on a new holder, send the outbox to it and
   * follow its feed; hand the pool over when this node's turn has ended, take the sequencer's role
   * once it has derived L1 up to where its turn began (so it builds on every batch of the previous
   * holder), and replace a silent holder (`skip`). A failure (L1 down) waits for the next round.
   */
  private async poolRound(ctx: SettleContext): Promise<void> {
    const { chain } = ctx
    const say = (line: string) => console.log(`[pool ${chain.chainId}] ${line}`)
    const pool = ctx.contracts.sequencerPool as Address
    const wallet = this.l1?.verifier
    const turn = await readTurn(ctx.l1, pool, chain.chainId)
    const before = this.turn
    this.turn = turn
    this.duty = dutyOf(turn, wallet?.account.address)
    if (!before || !sameAccount(before.holder, turn.holder) || before.url !== turn.url) {
      say(`epoch ${turn.epoch}: the sequencer is ${turn.holder} at ${turn.url || '(no URL)'}`)
      this.outbox?.resendAll()
      this.followHolder()
    }
    const next = poolStep({
      role: this.role,
      holds: this.duty.holds,
      head: turn.head,
      derivedThrough: derivedThrough(chain),
      takeoverAt: this.takeoverAt,
    })
    this.takeoverAt = next.takeoverAt
    if (next.step === 'stepDown') await this.stepDown(chain, say)
    if (next.step === 'stepUp') await this.stepUp(chain, say)
    if (wallet) {
      const skip = await stepSkip(
        { l1: ctx.l1, wallet, meta: chain.store, pool, chainId: chain.chainId },
        this.duty,
        turn,
      )
      if (skip.kind === 'sent')
        say(`the sequencer ${turn.holder} is silent since L1 block ${turn.skippableAt}: skip sent`)
      const proof = await stepProveEquivocation({ l1: ctx.l1, wallet, meta: chain.store, pool })
      if (proof.kind !== 'idle' && proof.kind !== 'waiting')
        say(`equivocation proof at height ${proof.pending.tag.number}: ${proof.kind}`)
      const paid = await stepPayout(
        { l1: ctx.l1, wallet, meta: chain.store, pool, chainId: chain.chainId },
        turn.epoch,
      )
      if (paid.kind !== 'idle' && paid.kind !== 'waiting')
        say(
          `reward of epoch ${paid.pending.tag.epoch} (${formatEther(BigInt(paid.pending.tag.amount))} EDGE): payout ${paid.kind}`,
        )
      // Last: its L1 reads and the other nodes it asks fail alone (the round's health reports it).
      const stall = await stepStall(
        {
          l1: ctx.l1,
          wallet,
          meta: chain.store,
          pool,
          chainId: chain.chainId,
          derived: { through: derivedThrough(chain), lastBatch: chain.store.lastBatch() },
          fetch: (input, init) => fetch(input, init),
        },
        turn,
      )
      if (stall.kind === 'sent')
        say(
          `the sequencer ${turn.holder} derived nothing through L1 block ${stall.pending.tag.l1Block}: skipStalled sent`,
        )
    }
    await this.schedule()
  }

  /** Drops the live feed of the previous holder and, as a peer, follows the current one. */
  private followHolder(): void {
    const socket = this.feedSocket
    this.feedSocket = undefined
    this.follower = undefined
    try {
      socket?.close()
    } catch {
      // already closed
    }
    if (this.role === 'peer') this.ctx.waitUntil(this.connectFeed())
  }

  /**
   * This node's turn has ended: no more sealing; what its pool holds goes to its outbox, to be sent
   * to the next sequencer (invariant 5 for hashes it returned), and it follows that one's feed.
   */
  private async stepDown(chain: ChainCore, say: (line: string) => void): Promise<void> {
    await this.sealing
    this.jobs.cancel('seal')
    this.outbox ??= new Outbox(this.ctx.storage.sql)
    const handed = this.sequencing ? handPoolToOutbox(this.sequencing, this.outbox, Date.now()) : 0
    this.sequencing = undefined
    this.role = 'peer'
    say(
      `turn over at head ${chain.headHeader.number}: ${handed} pooled transactions go to the next sequencer`,
    )
    this.followHolder()
  }

  /**
   * This node's turn has begun and it has derived L1 up to its start: it sequences on its own head
   * (the previous holder's blocks it has, batched or not), taking the transactions its outbox still
   * holds into its pool.
   */
  private async stepUp(chain: ChainCore, say: (line: string) => void): Promise<void> {
    this.followHolder()
    const sequencing = Sequencing.open(chain, undefined, this.config.sequencerFault)
    this.sequencing = sequencing
    this.role = 'sequencer'
    this.outbox ??= new Outbox(this.ctx.storage.sql)
    const { adopted, refused } = await adoptOutbox(
      chain,
      sequencing,
      this.outbox,
      recoverPublicKeyWasm,
    )
    for (const why of refused) say(`outbox: not taken into the pool: ${why}`)
    say(
      `sequencing from head ${chain.headHeader.number} (safe ${chain.safeHead()}); ${adopted} forwarded transactions taken into the pool`,
    )
    await this.schedule()
  }

  /** Sync progress in the log while a peer derives a backlog: blocks derived, L1 blocks to go, rate. */
  private logSync(chain: ChainCore, report: DeriveReport, roundStartMs: number): void {
    const now = Date.now()
    if (report.derived.length === 0 && !report.more) {
      if (this.syncStats && this.syncStats.blocks > 0)
        console.log(
          `[derive ${chain.chainId}] synced from L1: head ${chain.headHeader.number}, safe ${chain.safeHead()}`,
        )
      this.syncStats = undefined
      return
    }
    // Following L1 block by block (a caught-up peer) is not a sync worth a log line.
    if (!this.syncStats && !report.more && report.derived.length < 16) return
    const st = (this.syncStats ??= { startMs: roundStartMs, blocks: 0, lastLogMs: 0 })
    st.blocks += report.derived.length
    if (now - st.lastLogMs < 2_000 && report.more) return
    st.lastLogMs = now
    const minutes = (now - st.startMs) / 60_000
    const toGo =
      (chain.origins.latest()?.number ?? 0n) - BigInt(chain.store.getMeta('derive.l1') ?? '0')
    console.log(
      `[derive ${chain.chainId}] derived ${st.blocks} blocks from L1 (head ${chain.headHeader.number}, safe ${chain.safeHead()}), ${toGo} L1 blocks to go, ${minutes > 0 ? Math.round(st.blocks / minutes) : 0} blocks/min`,
    )
  }

  /**
   * Opens the websocket to the sequencer's live feed (a peer with SEQUENCER_URL) and follows it;
   * when it closes, another try is due FEED_RECONNECT_MS later.
   */
  private async connectFeed(): Promise<void> {
    const chain = this.chain
    if (!chain || this.role !== 'peer' || this.feedSocket) return
    const url = this.sequencerRpcUrl(chain.chainId)
    const signer = this.feedSigner(chain.chainId)
    if (!url || !signer) return
    const retry = async () => {
      this.feedSocket = undefined
      this.jobs.at('feed', Date.now() + FEED_RECONNECT_MS)
      await this.arm()
    }
    let ws: WebSocket | null
    try {
      const res = await fetch(url, { headers: { upgrade: 'websocket' } })
      ws = res.webSocket
      if (!ws) throw new Error(`no websocket (HTTP ${res.status})`)
    } catch (err) {
      if (!this.feedDownLogged) console.error(`live feed: cannot connect to ${url}:`, String(err))
      this.feedDownLogged = true
      return retry()
    }
    ws.accept()
    this.feedSocket = ws
    this.feedDownLogged = false
    console.log(`live feed: following ${url}`)
    const socket = ws
    this.follower = new FeedFollower(
      chain,
      {
        signer,
        coinbase: genesis.coinbase as `0x${string}`,
        maxAhead: FEED_MAX_AHEAD,
        replaceUnsafe: this.pooled,
      },
      {
        send: (m) => socket.send(m),
        exclusive: (fn) => this.exclusive(fn),
        applied: (sealed) => this.afterBlock(chain, sealed),
        unwound: (head) =>
          this.ctx.waitUntil(
            rewindIndex(this.env.DB, chain.chainId, head).catch((err) =>
              console.error('D1 rewind failed; indexing catches up', err),
            ),
          ),
        equivocation: (e) => {
          let kept = false
          chain.transact(() => {
            kept = recordEquivocation(chain.store, {
              ...e,
              chainId: chain.chainId,
              number: String(e.number),
            })
          })
          console.log(
            `[pool ${chain.chainId}] equivocation by ${signer} at ${e.number}: ${kept ? 'proof to send' : 'another proof is pending'}`,
          )
        },
        log: (line) => console.log(line),
      },
    )
    const follower = this.follower
    socket.addEventListener('message', (ev) => {
      const text =
        typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer)
      follower.message(text).catch((err) => console.error('live feed: message failed', err))
    })
    const closed = () => {
      if (this.feedSocket !== socket) return
      console.log(`live feed: ${url} closed; reconnecting`)
      retry().catch((err) => console.error('live feed: reconnect scheduling failed', err))
    }
    socket.addEventListener('close', closed)
    socket.addEventListener('error', closed)
    follower.opened()
  }

  private feedDownLogged = false

  /** The forwarding policy over this node's outbox and the sequencer it follows now (`Forwarder`). */
  private forwarder(chain: ChainCore): Forwarder {
    return (this.forwarding ??= new Forwarder(
      {
        fetch: (input, init) => fetch(input, init),
        now: Date.now,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        log: (line) => console.log(line),
        sequencerUrl: () => this.sequencerRpcUrl(chain.chainId),
        sequences: () => this.role === 'sequencer',
        outbox: () => (this.outbox ??= new Outbox(this.ctx.storage.sql)),
      },
      chain,
      this.pooled,
    ))
  }

  private forwarding?: Forwarder

  private feedStub?: DurableObjectStub<import('./Feed.js').Feed>
  private feed() {
    const id = this.env.FEED.idFromName(`feed:${this.chain!.chainId}`)
    return (this.feedStub ??= this.env.FEED.get(id) as DurableObjectStub<import('./Feed.js').Feed>)
  }
}
