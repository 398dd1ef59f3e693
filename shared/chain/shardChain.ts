import { createBlockHeaderFromRLP, type Block, type BlockHeader } from '@ethereumjs/block'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { zeroAddress, type Hex, type RpcLog, type RpcTransactionReceipt } from 'viem'
import type { ShardL1 } from '../config.js'
import { ResourceNotFoundError, TransactionRejectedError } from '../errors.js'
import type { BlockRef } from '../rpc/params.js'
import { buildBlock, type BlockOutcome } from '../execution/buildBlock.js'
import { createExecution, createState, type Execution } from '../execution/createExecution.js'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import {
  formatBlock,
  formatDepositReceipt,
  formatDepositTransaction,
  formatReceipt,
  formatTransaction,
  newHead,
  type RpcHeaderJson,
} from '../rpc/format.js'
import { blobToBytes, type Sql } from '../state/sql.js'
import { TRIE_NODES_SCHEMA, TrieNodeStore } from '../state/trieNodeStore.js'
import {
  decodeRawTransaction,
  restoreTransaction,
  type RecoverPublicKey,
} from '../txpool/decodeRawTransaction.js'
import type { BatchBlock } from '../settlement/batchCodec.js'
import {
  DEFAULT_POOL_LIMITS,
  TxPool,
  txCost,
  type PoolEntry,
  type PoolLimits,
} from '../txpool/txPool.js'
import { validateTransaction } from '../txpool/validateTransaction.js'
import { createChainCommon } from './chainCommon.js'
import { ChainStore, INDEXED_KEY, type StoredBlock, type StoredTx } from './chainStore.js'
import {
  buildGenesisAlloc,
  buildGenesisBlock,
  writeGenesisState,
  type GenesisSpec,
} from './genesis.js'
import { buildIndexedBlock, type IndexedBlock } from './indexedBlock.js'
import { depositHash, encodeDeposit, l1InfoDeposit, type DepositTx } from './depositTx.js'
import { L1Origins, type NextOrigin, type WatchedL1Block } from './l1Origins.js'

const POOL_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS pool (hash TEXT PRIMARY KEY, sender TEXT NOT NULL, nonce INTEGER NOT NULL, raw BLOB NOT NULL, pubkey BLOB NOT NULL, seq INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS dropped (hash TEXT PRIMARY KEY, reason TEXT NOT NULL, block_number INTEGER NOT NULL)`,
]

/** Meta keys of the settlement heads (written by shared/settlement). */
export const SAFE_KEY = 'settle.safe'
export const FINALIZED_KEY = 'settle.finalized'

/** What the sequencer needs from its host: synchronous SQL and an atomic storage transaction. */
export type ShardChainDeps = {
  sql: Sql
  transact: (fn: () => void) => void
  chainId: number
  genesis: GenesisSpec
  blockGasLimit: bigint
  limits?: PoolLimits
  /**
   * Set when the shard settles on an L1: every block then opens with the L1-info deposit of its L1
   * origin and the deposits the origin brings. `startBlock` is the first L1 block watched (the
   * contracts' deployment); `batcher` goes into L1Block's batcherHash.
   */
  l1?: { startBlock: bigint; batcher: Hex }
  /** A faster sender recovery than the pure-JS default (derived blocks recover every sender). */
  recover?: RecoverPublicKey
}

/** What a sealed block tells websocket subscribers: newHeads' header and the block's logs. */
export type BlockNews = { head: Record<string, unknown>; logs: RpcLog[] }

export function blockNews(sealed: SealResult): BlockNews {
  return { head: newHead(sealed.header), logs: sealed.receipts.flatMap((r) => r.logs as RpcLog[]) }
}

/** The chain's L1 settings from its contracts' config (undefined: the shard settles on no L1). */
export function l1DepsOf(contracts: ShardL1 | undefined): ShardChainDeps['l1'] {
  if (!contracts) return undefined
  return {
    startBlock: BigInt(contracts.l1StartBlock),
    batcher: (contracts.batcher ?? zeroAddress) as Hex,
  }
}

/**
 * A transaction handed over by the Worker (`decodeRawTransaction`): raw bytes with their hash and
 * the sender it recovered. The sequencer trusts these: recovering and hashing happen once, where
 * they scale out.
 */
export type Submission = { raw: Uint8Array; hash: Hex; sender: Hex; pubkey: Uint8Array }

/**
 * A sealed block and what left the pool with it: its D1 index rows, and the same block as objects
 * (its JSON-RPC header and receipts, in block order) for those who answer from memory.
 */
export type SealResult = {
  indexed: IndexedBlock
  header: RpcHeaderJson
  receipts: RpcTransactionReceipt[]
  dropped: { hash: Hex; reason: string }[]
}

/**
 * One shard's chain as its sequencer holds it: world state, sealed blocks and the transaction pool,
 * all in the host's SQLite. Runtime-agnostic: the Durable Object passes in its storage.
 */
export class ShardChain {
  readonly pool = new TxPool()
  readonly store: ChainStore
  readonly origins: L1Origins
  private seq = 0

  private constructor(
    private readonly deps: ShardChainDeps,
    private exec: Execution,
    private head: Block | BlockHeader,
  ) {
    this.store = new ChainStore(deps.sql)
    this.origins = new L1Origins(deps.sql)
  }

  get chainId(): number {
    return this.deps.chainId
  }

  /** Opens the chain in `sql`, writing genesis on first use and reloading the pool after a restart. */
  static async open(deps: ShardChainDeps): Promise<ShardChain> {
    const { sql, chainId } = deps
    sql.exec(TRIE_NODES_SCHEMA)
    for (const s of POOL_SCHEMA) sql.exec(s)
    const store = new ChainStore(sql)
    const common = createChainCommon(chainId)
    const lookup = (n: bigint) => store.blockHash(n)
    let stored = store.head()
    let exec: Execution
    if (!stored) {
      exec = await createExecution(sql, common, undefined, lookup, { cached: true })
      const root = await writeGenesisState(exec.state, buildGenesisAlloc(deps.genesis))
      const genesis = buildGenesisBlock(common, deps.genesis, root)
      const nodes = exec.nodes.drain()
      deps.transact(() => {
        TrieNodeStore.write(sql, nodes)
        store.putBlock(toStoredBlock(genesis, formatBlock(genesis, [], [])), [])
      })
      stored = store.head()!
    }
    const header = createBlockHeaderFromRLP(stored.header, { common })
    exec ??= await createExecution(sql, common, header.stateRoot, lookup, { cached: true })
    const chain = new ShardChain(deps, exec, header)
    chain.reloadPool()
    return chain
  }

  /** The head header. */
  get headHeader(): BlockHeader {
    return 'header' in this.head ? this.head.header : this.head
  }

  /** The base fee the next block will charge. */
  nextBaseFee(): bigint {
    return this.headHeader.calcNextBaseFee()
  }

  /** The account at the head (nonce, balance) as the pool validates against it. */
  async headAccount(address: Hex): Promise<{ nonce: bigint; balance: bigint }> {
    const acct = await this.exec.state.getAccount(new Address(hexToBytes(address)))
    return { nonce: acct?.nonce ?? 0n, balance: acct?.balance ?? 0n }
  }

  /** The next nonce of `address` counting its pooled transactions (eth_getTransactionCount "pending"). */
  async pendingNonce(address: Hex): Promise<bigint> {
    const { nonce } = await this.headAccount(address)
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
    const tx = restoreTransaction(s.raw, { pubkey: s.pubkey, hash: hexToBytes(hash) }, this.chainId)
    const existing = this.pool.at(sender, tx.nonce)
    const account = await this.headAccount(sender)
    const verdict = validateTransaction(tx, {
      hash,
      sender,
      account,
      baseFee: this.nextBaseFee(),
      blockGasLimit: this.deps.blockGasLimit,
      txGasCap: tx.common.isActivatedEIP(7825)
        ? tx.common.param('maxTransactionGasLimit')
        : undefined,
      // Only a nonce below the account's can belong to a mined transaction: no lookup otherwise.
      alreadyKnown:
        this.pool.get(hash) !== undefined ||
        (tx.nonce < account.nonce && this.store.tx(hash) !== undefined),
      existing,
      pooledCost: this.pool
        .entriesOf(sender)
        .reduce((sum, e) => (e.nonce === tx.nonce ? sum : sum + txCost(e.tx)), 0n),
      senderCount: this.pool.countOf(sender),
      poolSize: this.pool.size,
      limits: this.deps.limits ?? DEFAULT_POOL_LIMITS,
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
      this.deps.transact(() => {
        this.removeFromPoolSql(
          [],
          [{ hash: existing.hash, reason: `replaced by ${hash}` }],
          this.headHeader.number,
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
    this.deps.sql.exec(
      'INSERT INTO pool (hash, sender, nonce, raw, pubkey, seq) VALUES (?, ?, ?, ?, ?, ?)',
      e.hash,
      e.sender,
      Number(e.nonce),
      e.raw,
      e.pubkey,
      e.seq,
    )
  }

  /** Why a transaction left the pool without being mined, if it did. */
  droppedReason(hash: Hex): string | undefined {
    const rows = this.deps.sql
      .exec<{ reason: string }>('SELECT reason FROM dropped WHERE hash = ?', hash.toLowerCase())
      .toArray()
    return rows[0]?.reason
  }

  /** The state nonce of every sender with pooled transactions. */
  async senderNonces(): Promise<Map<Hex, bigint>> {
    const out = new Map<Hex, bigint>()
    for (const sender of this.pool.senders())
      out.set(sender, (await this.headAccount(sender)).nonce)
    return out
  }

  /** Whether a block sealed now would include anything: pooled transactions or a new L1 origin. */
  async hasWork(): Promise<boolean> {
    const l1 = this.deps.l1
    if (
      l1 &&
      this.origins.newOriginDue(
        this.headOrigin(),
        l1.startBlock,
        BigInt(Math.floor(Date.now() / 1000)),
      )
    )
      return true
    return this.pool.candidates(await this.senderNonces(), this.nextBaseFee()).peek() !== undefined
  }

  /** Highest L2 block whose batch is on L1 ("safe"). */
  safeHead(): bigint {
    return BigInt(this.store.getMeta(SAFE_KEY) ?? '0')
  }

  /**
   * Highest L2 block with a final output root on L1 ("finalized"), never past the safe head (a peer
   * still deriving may know of a final output beyond the blocks it has).
   */
  finalizedHead(): bigint {
    const finalized = BigInt(this.store.getMeta(FINALIZED_KEY) ?? '0')
    const safe = this.safeHead()
    return finalized < safe ? finalized : safe
  }

  /** Records confirmed L1 blocks the watcher read (all or none). */
  recordL1Blocks(blocks: WatchedL1Block[]): void {
    this.deps.transact(() => this.origins.add(blocks))
  }

  /** Runs `fn` in one storage transaction (settlement bookkeeping). */
  transact(fn: () => void): void {
    this.deps.transact(fn)
  }

  /** What the next block takes from L1 at `timestamp` (L1 mode only). */
  private l1Next(timestamp: bigint): NextOrigin | undefined {
    const l1 = this.deps.l1
    return l1 && this.origins.next(this.headOrigin(), l1.startBlock, timestamp)
  }

  /** The deposits a block with this L1 origin opens with: the L1-info deposit, then the origin's own. */
  private blockDeposits(next: NextOrigin): DepositTx[] {
    return [l1InfoDeposit(next.origin, next.seq, this.deps.l1!.batcher), ...next.deposits]
  }

  /** The head's L1 origin (genesis has none). */
  private headOrigin() {
    const head = this.headHeader.number
    return head === 0n ? undefined : this.origins.originOf(head)
  }

  /**
   * Seals the next block from the pool: executes, then commits trie nodes, block, transactions,
   * receipts and pool removals in one storage transaction (invariant 1). Returns undefined when
   * there was nothing to include.
   */
  async seal(nowSeconds: bigint, coinbase: Hex): Promise<SealResult | undefined> {
    const nonces = await this.senderNonces()
    const candidates = this.pool.candidates(nonces, this.nextBaseFee())
    const parent = this.headHeader
    const timestamp = nowSeconds > parent.timestamp ? nowSeconds : parent.timestamp + 1n
    const l1 = this.l1Next(timestamp)
    // In L1 mode a block needs an origin (none until the watcher has read L1), and is worth sealing
    // for its transactions or for a new origin (whose deposits must reach L2).
    if (this.deps.l1 && !l1) return undefined
    if (!candidates.peek() && l1?.seq !== 0n) return undefined
    const deposits = l1 ? this.blockDeposits(l1) : []
    const outcome = await buildBlock(this.exec, parent, candidates, {
      timestamp,
      coinbase,
      gasLimit: this.deps.blockGasLimit,
      deposits,
    })
    const dropped = outcome.dropped.map((d) => ({ hash: d.ready.hash, reason: d.reason }))
    if (outcome.included.length === 0 && l1?.seq !== 0n) {
      // Nothing valid to include after all: the state is dropped, the head stays.
      await this.resetState(parent)
      this.removeFromPool([], dropped, parent.number)
      return undefined
    }
    return this.commit(parent, outcome, l1, dropped)
  }

  /**
   * Re-creates a block from a batch (a peer deriving the chain from L1): its L1 origin must be a
   * watched L1 block, its deposits are the ones that origin brings, and its transactions run in the
   * batch's order at the batch's timestamp. Throws, changing nothing, when the block cannot be
   * derived (unknown origin, a transaction that does not apply). Deterministic: the same batches
   * and L1 blocks give the same block hashes as the sequencer's (invariant 3).
   */
  async deriveBlock(b: BatchBlock, coinbase: Hex, expectHash?: Hex): Promise<SealResult> {
    const l1 = this.deps.l1
    if (!l1) throw new Error('deriving blocks needs an L1')
    const parent = this.headHeader
    if (b.number !== parent.number + 1n)
      throw new Error(`batch block ${b.number} does not follow head ${parent.number}`)
    const next = this.origins.originAt(this.headOrigin(), l1.startBlock, b.l1OriginNumber)
    if (!next || next.origin.hash !== b.l1OriginHash)
      throw new Error(
        `block ${b.number}: L1 origin ${b.l1OriginNumber} is not a watched block that can follow`,
      )
    const ready = b.txs.map((raw) => decodeRawTransaction(raw, this.chainId, this.deps.recover))
    // The batch's order, all or nothing: a transaction that cannot be included ends the block early.
    let i = 0
    let stopped = false
    const candidates = {
      peek: () => (stopped ? undefined : ready[i]),
      shift: () => void i++,
      pop: () => void (stopped = true),
    }
    const outcome = await buildBlock(this.exec, parent, candidates, {
      timestamp: b.timestamp,
      coinbase,
      gasLimit: this.deps.blockGasLimit,
      deposits: this.blockDeposits(next),
    })
    if (i < ready.length || outcome.block.header.timestamp !== b.timestamp) {
      await this.resetState(parent)
      const why = outcome.dropped[0]?.reason ?? 'does not fit (gas limit or base fee)'
      throw new Error(
        i < ready.length
          ? `block ${b.number}: transaction ${ready[i].hash} cannot be included: ${why}`
          : `block ${b.number}: timestamp ${b.timestamp} is not after its parent's`,
      )
    }
    if (expectHash && bytesToHex(outcome.block.hash()) !== expectHash.toLowerCase()) {
      await this.resetState(parent)
      throw new Error(
        `block ${b.number}: executes to ${bytesToHex(outcome.block.hash())}, not the announced ${expectHash}`,
      )
    }
    return this.commit(parent, outcome, next, [])
  }

  /**
   * Unwinds the chain to block `n` (reth's `unwind`): blocks above it, their transactions and L1
   * origins go in one storage transaction, and the head state is block `n`'s again. Only blocks no
   * L1 batch has confirmed are unwound (a peer replacing what the live feed gave it by what L1 says);
   * the trie nodes stay (content-addressed, shared with the kept blocks). Returns how many went.
   */
  async unwindTo(n: bigint): Promise<number> {
    const head = this.headHeader.number
    if (n >= head) return 0
    if (n < this.safeHead()) throw new Error(`cannot unwind below the safe head ${this.safeHead()}`)
    const target = this.store.blockByNumber(n)
    if (!target) throw new Error(`no block ${n} to unwind to`)
    this.deps.transact(() => {
      this.store.deleteAbove(n)
      this.origins.deleteOriginsAbove(n)
      const indexed = this.store.getMeta(INDEXED_KEY)
      if (indexed !== undefined && BigInt(indexed) > n) this.store.setMeta(INDEXED_KEY, String(n))
    })
    const header = this.header(target)
    await this.resetState(header)
    this.head = header
    return Number(head - n)
  }

  /** Puts the in-memory state back on `parent` (after a block that was not committed). */
  private async resetState(parent: BlockHeader): Promise<void> {
    this.exec.nodes.discard()
    this.exec.state.clearCaches()
    await this.exec.state.setStateRoot(parent.stateRoot)
  }

  /**
   * Commits a built block: trie nodes, block, transactions with receipts, its L1 origin and pool
   * removals in one storage transaction (invariant 1), then moves the head.
   */
  private async commit(
    parent: BlockHeader,
    outcome: BlockOutcome,
    l1: NextOrigin | undefined,
    dropped: { hash: Hex; reason: string }[],
  ): Promise<SealResult> {
    const { block } = outcome
    const number = block.header.number
    const nodes = this.exec.nodes.drain()
    const { txs, receipts } = storedTxs(outcome)
    const userTxs = txs.slice(outcome.deposits.length)
    const header = formatBlock(
      block,
      txs.map((t) => t.hash),
      txs.map((t) => t.raw),
    )
    const stored = toStoredBlock(block, header)
    try {
      this.deps.transact(() => {
        TrieNodeStore.write(this.deps.sql, nodes)
        this.store.putBlock(stored, txs)
        if (l1)
          this.origins.putOrigin(number, {
            l1Number: l1.origin.number,
            l1Hash: l1.origin.hash,
            seq: l1.seq,
          })
        this.removeFromPoolSql(
          userTxs.map((t) => t.hash),
          dropped,
          number,
        )
      })
    } catch (err) {
      // The storage transaction rolled back: put the in-memory state back on the old head.
      await this.resetState(parent)
      throw err
    }
    this.exec.nodes.persisted(nodes)
    for (const t of userTxs) this.unpool(t.hash)
    for (const d of dropped) this.unpool(d.hash)
    this.head = block
    return {
      indexed: buildIndexedBlock(stored, txs, { header, receipts }),
      header,
      receipts,
      dropped,
    }
  }

  /** The stored block a block parameter names, or undefined if there is none (yet). */
  resolve(ref: BlockRef): StoredBlock | undefined {
    if ('tag' in ref) {
      if (ref.tag === 'earliest') return this.store.blockByNumber(0n)
      // Without an L1 the sequencer's word is all there is: safe and finalized are the head.
      if (this.deps.l1 && ref.tag === 'safe') return this.store.blockByNumber(this.safeHead())
      if (this.deps.l1 && ref.tag === 'finalized')
        return this.store.blockByNumber(this.finalizedHead())
      return this.store.head()
    }
    if ('number' in ref) return this.store.blockByNumber(ref.number)
    return this.store.blockByHash(ref.hash)
  }

  /** Like `resolve`, but a missing block is geth's "header not found" error. */
  resolveOrThrow(ref: BlockRef): StoredBlock {
    const block = this.resolve(ref)
    if (!block) throw new ResourceNotFoundError('header not found')
    return block
  }

  /** The decoded header of a stored block. */
  header(block: StoredBlock): BlockHeader {
    return createBlockHeaderFromRLP(block.header, { common: this.exec.common })
  }

  /**
   * Runs `fn` with a VM over the state after `block` (archive: any past block), then reverts all it
   * changed. One reader VM is kept and re-pointed (building a VM per call costs more than the call);
   * uses are serialized so none sees another's writes.
   */
  async withStateAt<T>(
    block: StoredBlock,
    fn: (exec: Execution, header: BlockHeader) => Promise<T>,
  ): Promise<T> {
    const header = this.header(block)
    const run = async () => {
      this.reader ??= await createExecution(
        this.deps.sql,
        createChainCommon(this.chainId),
        undefined,
        (n) => this.store.blockHash(n),
      )
      const exec = this.reader
      await exec.state.setStateRoot(header.stateRoot)
      await exec.state.checkpoint()
      try {
        return await fn(exec, header)
      } finally {
        await exec.state.revert()
        exec.nodes.discard()
      }
    }
    const next = this.readerQueue.then(run, run)
    this.readerQueue = next.catch(() => undefined)
    return next
  }

  private reader?: Execution
  private readerQueue: Promise<unknown> = Promise.resolve()

  /** The state after `block` without a VM (cheaper): balance, nonce, code, storage, proofs. */
  async stateOnlyAt(block: StoredBlock): Promise<MerkleStateManager> {
    const { state } = await createState(
      this.deps.sql,
      this.exec.common,
      this.header(block).stateRoot,
    )
    return state
  }

  private unpool(hash: Hex): void {
    this.pool.remove(hash)
    this.unpersisted.delete(hash)
  }

  private removeFromPool(mined: Hex[], dropped: { hash: Hex; reason: string }[], at: bigint): void {
    this.deps.transact(() => this.removeFromPoolSql(mined, dropped, at))
    for (const h of mined) this.unpool(h)
    for (const d of dropped) this.unpool(d.hash)
  }

  private removeFromPoolSql(
    mined: Hex[],
    dropped: { hash: Hex; reason: string }[],
    at: bigint,
  ): void {
    if (mined.length)
      this.deps.sql.exec(
        'DELETE FROM pool WHERE hash IN (SELECT value FROM json_each(?))',
        JSON.stringify(mined),
      )
    for (const d of dropped) {
      this.deps.sql.exec('DELETE FROM pool WHERE hash = ?', d.hash)
      this.deps.sql.exec(
        'INSERT OR REPLACE INTO dropped (hash, reason, block_number) VALUES (?, ?, ?)',
        d.hash,
        d.reason,
        Number(at),
      )
    }
  }

  private reloadPool(): void {
    const rows = this.deps.sql
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
      const tx = restoreTransaction(raw, { pubkey }, this.chainId)
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

function toStoredBlock(block: Block, rpc: RpcHeaderJson): StoredBlock {
  return {
    number: block.header.number,
    hash: rpc.hash,
    header: block.header.serialize(),
    rpc: JSON.stringify(rpc),
  }
}

/**
 * A built block's transactions as stored (deposits first, then the others, with RPC JSON and
 * receipts), and their receipts as objects.
 */
function storedTxs(outcome: BlockOutcome): { txs: StoredTx[]; receipts: RpcTransactionReceipt[] } {
  const { block } = outcome
  const loc = {
    blockHash: bytesToHex(block.hash()) as Hex,
    blockNumber: block.header.number,
    baseFee: block.header.baseFeePerGas ?? 0n,
    timestamp: block.header.timestamp,
  }
  let firstLogIndex = 0
  let cumulativeGasUsed = 0n
  const receipts: RpcTransactionReceipt[] = []
  const deposits: StoredTx[] = outcome.deposits.map((o, index) => {
    const hash = depositHash(o.deposit)
    cumulativeGasUsed += o.gasUsed
    const receipt = formatDepositReceipt(o, hash, {
      ...loc,
      index,
      firstLogIndex,
      cumulativeGasUsed,
    })
    firstLogIndex += o.result?.receipt.logs.length ?? 0
    receipts.push(receipt)
    return {
      hash,
      blockNumber: loc.blockNumber,
      index,
      raw: hexToBytes(encodeDeposit(o.deposit)),
      rpc: JSON.stringify(formatDepositTransaction(o, hash, { ...loc, index })),
      receipt: JSON.stringify(receipt),
    }
  })
  const others: StoredTx[] = outcome.included.map(({ ready, result }, i) => {
    const index = deposits.length + i
    const receipt = formatReceipt(ready.tx, ready.sender, result, { ...loc, index, firstLogIndex })
    firstLogIndex += result.receipt.logs.length
    receipts.push(receipt)
    return {
      hash: ready.hash,
      blockNumber: loc.blockNumber,
      index,
      raw: ready.raw,
      rpc: JSON.stringify(formatTransaction(ready.tx, ready.sender, { ...loc, index })),
      receipt: JSON.stringify(receipt),
    }
  })
  return { txs: [...deposits, ...others], receipts }
}
