import { hexToBytes } from '@ethereumjs/util'
import { bytesToHex, type Hex } from 'viem'
import type { SequencerFault } from '../config.js'
import type { BatchBlock } from '../settlement/batchCodec.js'
import type { BlockHeader } from '@ethereumjs/block'
import type { ChainCore, SealResult } from '../chain/chainCore.js'
import type { DepositTx } from '../chain/depositTx.js'
import { MAX_SEQUENCER_DRIFT, type NextOrigin } from '../chain/l1Origins.js'
import { TransactionRejectedError } from '../errors.js'
import { BlockBuildFault } from '../execution/buildBlock.js'
import { blobToBytes } from '../state/sql.js'
import { restoreTransaction } from '../txpool/decodeRawTransaction.js'
import {
  DEFAULT_POOL_LIMITS,
  TxPool,
  txCost,
  type PoolEntry,
  type PoolLimits,
} from '../txpool/txPool.js'
import { validateTransaction } from '../txpool/validateTransaction.js'

/** A block built beside the sealed one on the same parent and never stored (the `equivocate` fault). */
export type Sibling = { hash: Hex; parentHash: Hex; block: BatchBlock }

/** The fee recipient of the `equivocate` fault's sibling blocks (any other than the real one's). */
const SIBLING_COINBASE: Hex = '0x000000000000000000000000000000000000dead'

/** Node faults in a row after which a transaction is dropped instead of retried. */
export const MAX_FAULTS = 3

const POOL_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS pool (hash TEXT PRIMARY KEY, sender TEXT NOT NULL, nonce INTEGER NOT NULL, raw BLOB NOT NULL, pubkey BLOB NOT NULL, seq INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS dropped (hash TEXT PRIMARY KEY, reason TEXT NOT NULL, block_number INTEGER NOT NULL)`,
]

/**
 * A transaction handed over by the Worker (`decodeRawTransaction`): raw bytes with their hash and
 * the sender it recovered. The sequencer trusts these: recovering and hashing happen once, where
 * they scale out.
 */
export type Submission = { raw: Uint8Array; hash: Hex; sender: Hex; pubkey: Uint8Array }

/**
 * The sequencer's step over the chain core: admission into the pool (persisted before a hash is
 * returned), and sealing the next block from it (reth's transaction pool and payload builder).
 */
export class Sequencing {
  readonly pool = new TxPool()
  private seq = 0

  private constructor(
    readonly core: ChainCore,
    private readonly limits: PoolLimits,
    private readonly fault?: SequencerFault,
  ) {}

  /**
   * Sequencing over `core`: the pool's tables, reloaded after a restart; `core.sequencing` is set to
   * it. `fault` is test-only (`SequencerFault`).
   */
  static open(
    core: ChainCore,
    limits: PoolLimits = DEFAULT_POOL_LIMITS,
    fault?: SequencerFault,
  ): Sequencing {
    for (const s of POOL_SCHEMA) core.deps.sql.exec(s)
    const sequencing = new Sequencing(core, limits, fault)
    sequencing.reloadPool()
    core.sequencing = sequencing
    return sequencing
  }

  /** The next nonce of `address` counting its pooled transactions (eth_getTransactionCount "pending"). */
  async pendingNonce(address: Hex): Promise<bigint> {
    const { nonce } = await this.core.headAccount(address)
    return this.pool.nextNonce(address.toLowerCase() as Hex, nonce)
  }

  /**
   * Admits a transaction to the pool (persisted before the hash is returned) or throws a
   * `TransactionRejectedError` in geth's words. Nothing changes on rejection.
   *
   * `persist: false` (eth_sendRawTransactionSync) keeps the pool row in memory only: that caller
   * learns the hash with the receipt, from a block that is durable by then, or from an answer
   * that `persistPooled` makes durable first. A crash before either loses a transaction whose hash
   * nobody was given (invariant 5 holds), and spares every mined one a row written and deleted.
   */
  async submit(s: Submission, opts: { persist?: boolean } = {}): Promise<Hex> {
    const sender = s.sender.toLowerCase() as Hex
    // The Worker's hash (keccak of the signed bytes) seeds the frozen tx's cache, which spares
    // re-serialising every field; like the sender's key, it is taken as the Worker found it.
    const hash = s.hash.toLowerCase() as Hex
    const tx = restoreTransaction(
      s.raw,
      { pubkey: s.pubkey, hash: hexToBytes(hash) },
      this.core.chainId,
    )
    const existing = this.pool.at(sender, tx.nonce)
    const account = await this.core.headAccount(sender)
    const verdict = validateTransaction(tx, {
      hash,
      sender,
      account,
      baseFee: this.core.nextBaseFee(),
      blockGasLimit: this.core.deps.blockGasLimit,
      txGasCap: tx.common.isActivatedEIP(7825)
        ? tx.common.param('maxTransactionGasLimit')
        : undefined,
      // Only a nonce below the account's can belong to a mined transaction: no lookup otherwise.
      alreadyKnown:
        this.pool.get(hash) !== undefined ||
        (tx.nonce < account.nonce && this.core.store.tx(hash) !== undefined),
      existing,
      pooledCost: this.pool
        .entriesOf(sender)
        .reduce((sum, e) => (e.nonce === tx.nonce ? sum : sum + txCost(e.tx)), 0n),
      senderCount: this.pool.countOf(sender),
      poolSize: this.pool.size,
      limits: this.limits ?? DEFAULT_POOL_LIMITS,
    })
    if (!verdict.ok) throw new TransactionRejectedError(verdict.error)
    const entry: PoolEntry = {
      hash,
      sender,
      tx,
      nonce: tx.nonce,
      raw: s.raw,
      pubkey: s.pubkey,
      seq: ++this.seq,
    }
    const persist = opts.persist ?? true
    const insert = () => {
      if (!persist) return
      // A hash returned now must not wait forever on an earlier nonce lost in a crash.
      if (this.unpersisted.size)
        for (const e of this.pool.entriesOf(sender)) this.persistPooled(e.hash)
      this.insertPoolRow(entry)
    }
    // A replaced transaction's row goes (if it has one) and is not written later.
    if (existing) this.unpersisted.delete(existing.hash)
    // A lone statement is atomic by itself; a replacement's removal and insert go together.
    if (!existing) insert()
    else
      this.core.deps.transact(() => {
        this.removeFromPoolSql(
          [],
          [{ hash: existing.hash, reason: `replaced by ${hash}` }],
          this.core.headHeader.number,
        )
        insert()
      })
    this.pool.add(entry)
    if (!persist) this.unpersisted.add(hash)
    return hash
  }

  /** Pooled transactions admitted with `persist: false` whose row is not written yet. */
  private readonly unpersisted = new Set<Hex>()

  /** Writes the pool row of a transaction admitted with `persist: false`, if it is still pooled. */
  persistPooled(hash: Hex): void {
    if (!this.unpersisted.delete(hash)) return
    const entry = this.pool.get(hash)
    if (entry) this.insertPoolRow(entry)
  }

  private insertPoolRow(e: PoolEntry): void {
    this.core.deps.sql.exec(
      'INSERT INTO pool (hash, sender, nonce, raw, pubkey, seq) VALUES (?, ?, ?, ?, ?, ?)',
      e.hash,
      e.sender,
      Number(e.nonce),
      e.raw,
      e.pubkey,
      e.seq,
    )
  }

  /**
   * Empties the pool (rows and memory) and returns what it held, oldest first: a pool sequencer
   * whose turn ended hands these to its outbox, to be forwarded to the next one. Detaches from the
   * core.
   */
  drain(): { hash: Hex; raw: Uint8Array; sender: Hex }[] {
    const out = this.pool
      .senders()
      .flatMap((sender) => this.pool.entriesOf(sender))
      .sort((a, b) => a.seq - b.seq)
    this.core.deps.transact(() => this.core.deps.sql.exec('DELETE FROM pool'))
    for (const e of out) this.unpool(e.hash)
    if (this.core.sequencing === this) this.core.sequencing = undefined
    return out.map((e) => ({ hash: e.hash, raw: e.raw, sender: e.sender }))
  }

  /** Why a transaction left the pool without being mined, if it did. */
  droppedReason(hash: Hex): string | undefined {
    const rows = this.core.deps.sql
      .exec<{ reason: string }>('SELECT reason FROM dropped WHERE hash = ?', hash.toLowerCase())
      .toArray()
    return rows[0]?.reason
  }

  /** The state nonce of every sender with pooled transactions. */
  async senderNonces(): Promise<Map<Hex, bigint>> {
    const out = new Map<Hex, bigint>()
    for (const sender of this.pool.senders())
      out.set(sender, (await this.core.headAccount(sender)).nonce)
    return out
  }

  /**
   * The time a block sealed now carries: this node's clock, or the newest watched L1 block's time if
   * that is later. An L1 whose clock runs ahead of this node's (anvil after a burst of automined
   * blocks, a server clock that lags) would otherwise hold the L1 origin back (an origin is not after
   * its L2 block's time), and an origin that lags L1 by a sequencing window is overtaken by forced
   * deposit-only blocks (pool-sequenced shards). Like OP's sequencer, L2 time keeps up with L1's.
   */
  private clock(nowSeconds: bigint): bigint {
    const newest = this.core.deps.l1 ? this.core.origins.latest()?.timestamp : undefined
    return newest !== undefined && newest > nowSeconds ? newest : nowSeconds
  }

  /** Whether a block sealed now would include anything: pooled transactions or a new L1 origin. */
  async hasWork(): Promise<boolean> {
    const l1 = this.core.deps.l1
    const now = this.clock(BigInt(Math.floor(Date.now() / 1000)))
    // Past the drift from the newest L1 block read, nothing can be sealed (`seal`): no work until
    // a newer one arrives (the L1 round asks again then).
    const newest = l1 && this.core.origins.latest()
    if (newest && now > newest.timestamp + MAX_SEQUENCER_DRIFT) return false
    if (l1 && this.core.origins.newOriginDue(this.core.headOrigin(), l1.startBlock, now))
      return true
    return (
      this.pool.candidates(await this.senderNonces(), this.core.nextBaseFee()).peek() !== undefined
    )
  }

  /**
   * Seals the next block from the pool: executes, then commits trie nodes, block, transactions,
   * receipts and pool removals in one storage transaction (invariant 1). Returns undefined when
   * there was nothing to include.
   */
  async seal(nowSeconds: bigint, coinbase: Hex): Promise<SealResult | undefined> {
    const nonces = await this.senderNonces()
    const candidates = this.pool.candidates(nonces, this.core.nextBaseFee())
    const parent = this.core.headHeader
    const now = this.clock(nowSeconds)
    const timestamp = now > parent.timestamp ? now : parent.timestamp + 1n
    // The test-only fault keeps the first origin: no later L1 block's deposits ever enter.
    const stale = this.fault === 'stale-origin' && parent.number > 0n
    const l1 = this.core.nextOrigin(stale ? 0n : timestamp)
    // In L1 mode a block needs an origin (none until the watcher has read L1), and is worth sealing
    // for its transactions or for a new origin (whose deposits must reach L2).
    if (this.core.deps.l1 && !l1) return undefined
    // Past the drift from the newest origin this node has (L1 unreachable that long): no block
    // until a newer one is read (derivation would refuse it).
    if (l1 && timestamp > l1.origin.timestamp + MAX_SEQUENCER_DRIFT) return undefined
    if (!candidates.peek() && l1?.seq !== 0n) return undefined
    const deposits = l1 ? this.core.blockDeposits(l1) : []
    if (this.fault === 'equivocate' && l1 && parent.number > 0n)
      this.sibling = await this.buildSibling(parent, timestamp, l1, deposits)
    let outcome
    try {
      outcome = await this.core.build(parent, candidates, { timestamp, coinbase, deposits })
    } catch (err) {
      await this.core.discard(parent)
      if (err instanceof BlockBuildFault) this.noteFault(err, parent.number)
      throw err
    }
    const dropped = outcome.dropped.map((d) => ({ hash: d.ready.hash, reason: d.reason }))
    if (outcome.included.length === 0 && l1?.seq !== 0n) {
      // Nothing valid to include after all: the state is dropped, the head stays.
      await this.core.discard(parent)
      this.removeFromPool([], dropped, parent.number)
      return undefined
    }
    const sealed = await this.core.commit(parent, outcome, l1, dropped, (mined, at) =>
      this.removeFromPoolSql(mined, dropped, at),
    )
    for (const t of sealed.indexed.transactions) this.unpool(t.hash)
    for (const d of dropped) this.unpool(d.hash)
    return sealed
  }

  /** The `equivocate` fault's sibling of the block sealed last, once (then undefined). */
  takeSibling(): Sibling | undefined {
    const sibling = this.sibling
    this.sibling = undefined
    return sibling
  }

  private sibling: Sibling | undefined

  /** Test only: an empty block on `parent` with another fee recipient, executed and discarded. */
  private async buildSibling(
    parent: BlockHeader,
    timestamp: bigint,
    l1: NextOrigin,
    deposits: DepositTx[],
  ): Promise<Sibling> {
    const none = { peek: () => undefined, shift: () => {}, pop: () => {} }
    const coinbase = SIBLING_COINBASE
    const { block } = await this.core.build(parent, none, { timestamp, coinbase, deposits })
    await this.core.discard(parent)
    return {
      hash: bytesToHex(block.hash()),
      parentHash: bytesToHex(parent.hash()),
      block: {
        number: parent.number + 1n,
        timestamp,
        l1OriginNumber: l1.origin.number,
        l1OriginHash: l1.origin.hash,
        txs: [],
        coinbase,
      },
    }
  }

  /**
   * A node fault while running a transaction keeps it pooled and the block is tried again; one that
   * faults MAX_FAULTS times in a row is dropped with the fault as its reason (edge_getTransactionStatus
   * reports it), so a transaction that trips a node bug cannot stall the chain.
   */
  private noteFault(err: BlockBuildFault, at: bigint): void {
    const n = (this.faults.get(err.hash) ?? 0) + 1
    this.faults.set(err.hash, n)
    if (n < MAX_FAULTS || !this.pool.get(err.hash)) return
    this.faults.delete(err.hash)
    const cause = err.cause instanceof Error ? err.cause.message : String(err.cause)
    this.removeFromPool([], [{ hash: err.hash, reason: `node fault: ${cause}` }], at)
  }

  private readonly faults = new Map<Hex, number>()

  private unpool(hash: Hex): void {
    this.pool.remove(hash)
    this.unpersisted.delete(hash)
  }

  private removeFromPool(mined: Hex[], dropped: { hash: Hex; reason: string }[], at: bigint): void {
    this.core.deps.transact(() => this.removeFromPoolSql(mined, dropped, at))
    for (const h of mined) this.unpool(h)
    for (const d of dropped) this.unpool(d.hash)
  }

  private removeFromPoolSql(
    mined: Hex[],
    dropped: { hash: Hex; reason: string }[],
    at: bigint,
  ): void {
    if (mined.length)
      this.core.deps.sql.exec(
        'DELETE FROM pool WHERE hash IN (SELECT value FROM json_each(?))',
        JSON.stringify(mined),
      )
    for (const d of dropped) {
      this.core.deps.sql.exec('DELETE FROM pool WHERE hash = ?', d.hash)
      this.core.deps.sql.exec(
        'INSERT OR REPLACE INTO dropped (hash, reason, block_number) VALUES (?, ?, ?)',
        d.hash,
        d.reason,
        Number(at),
      )
    }
  }

  private reloadPool(): void {
    const rows = this.core.deps.sql
      .exec<{
        hash: string
        sender: string
        nonce: number
        raw: ArrayBuffer
        pubkey: ArrayBuffer
        seq: number
      }>('SELECT * FROM pool ORDER BY seq')
      .toArray()
    for (const r of rows) {
      const raw = blobToBytes(r.raw)
      const pubkey = blobToBytes(r.pubkey)
      const tx = restoreTransaction(raw, { pubkey }, this.core.chainId)
      this.pool.add({
        hash: r.hash as Hex,
        sender: r.sender as Hex,
        tx,
        nonce: tx.nonce,
        raw,
        pubkey,
        seq: r.seq,
      })
      this.seq = Math.max(this.seq, r.seq)
    }
  }
}
