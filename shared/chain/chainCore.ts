import { createBlockHeaderFromRLP, type Block, type BlockHeader } from '@ethereumjs/block'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { zeroAddress, type Hex, type RpcLog, type RpcTransactionReceipt } from 'viem'
import type { ShardL1 } from '../config.js'
import { ResourceNotFoundError } from '../errors.js'
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
import type { Sql } from '../state/sql.js'
import { TRIE_NODES_SCHEMA, TrieNodeStore } from '../state/trieNodeStore.js'
import type { RecoverPublicKey } from '../txpool/decodeRawTransaction.js'
import type { Sequencing } from '../sequencing/sequencing.js'
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

/** Meta keys of the settlement heads (written by shared/settlement). */
export const SAFE_KEY = 'settle.safe'
export const FINALIZED_KEY = 'settle.finalized'

/** What the chain needs from its host: synchronous SQL and an atomic storage transaction. */
export type ChainDeps = {
  sql: Sql
  transact: (fn: () => void) => void
  chainId: number
  genesis: GenesisSpec
  blockGasLimit: bigint
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
export function l1DepsOf(contracts: ShardL1 | undefined): ChainDeps['l1'] {
  if (!contracts) return undefined
  return {
    startBlock: BigInt(contracts.l1StartBlock),
    batcher: (contracts.batcher ?? zeroAddress) as Hex,
  }
}

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
 * A shard's chain core (reth's provider): world state as trie nodes, blocks, receipts and L1 origins
 * in the host's SQLite, the block tags (latest, safe, finalized), state readers at any block, and the
 * one path every block takes into storage (`build` → `commit`, or `unwindTo`). Sequencing
 * (shared/sequencing) and derivation (shared/derivation) are steps over it; the RPC, output-root and
 * withdrawal code read it. Runtime-agnostic: the Durable Object passes in its storage.
 */
export class ChainCore {
  readonly store: ChainStore
  readonly origins: L1Origins
  /** The pool's view, when this node sequences (a peer has none): pending nonces, pooled transactions. */
  sequencing?: Sequencing

  private constructor(
    readonly deps: ChainDeps,
    private readonly exec: Execution,
    private head: Block | BlockHeader,
  ) {
    this.store = new ChainStore(deps.sql)
    this.origins = new L1Origins(deps.sql)
  }

  get chainId(): number {
    return this.deps.chainId
  }

  /** Opens the chain in `sql`, writing genesis on first use. */
  static async open(deps: ChainDeps): Promise<ChainCore> {
    const { sql, chainId } = deps
    sql.exec(TRIE_NODES_SCHEMA)
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
    return new ChainCore(deps, exec, header)
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
  nextOrigin(timestamp: bigint): NextOrigin | undefined {
    const l1 = this.deps.l1
    return l1 && this.origins.next(this.headOrigin(), l1.startBlock, timestamp)
  }

  /** The deposits a block with this L1 origin opens with: the L1-info deposit, then the origin's own. */
  blockDeposits(next: NextOrigin): DepositTx[] {
    return [l1InfoDeposit(next.origin, next.seq, this.deps.l1!.batcher), ...next.deposits]
  }

  /** The head's L1 origin (genesis has none). */
  headOrigin() {
    const head = this.headHeader.number
    return head === 0n ? undefined : this.origins.originOf(head)
  }

  /** Executes a block on the head's state (nothing is stored until `commit`; `discard` undoes it). */
  build(
    parent: BlockHeader,
    candidates: Parameters<typeof buildBlock>[2],
    opts: Omit<Parameters<typeof buildBlock>[3], 'gasLimit'>,
  ): Promise<BlockOutcome> {
    return buildBlock(this.exec, parent, candidates, { ...opts, gasLimit: this.deps.blockGasLimit })
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
    await this.discard(header)
    this.head = header
    return Number(head - n)
  }

  /** Puts the in-memory state back on `parent` (after a built block that is not committed). */
  async discard(parent: BlockHeader): Promise<void> {
    this.exec.nodes.discard()
    this.exec.state.clearCaches()
    await this.exec.state.setStateRoot(parent.stateRoot)
  }

  /**
   * The one path every block takes into the chain, sealed or derived: trie nodes, block,
   * transactions with receipts, its L1 origin and whatever `alsoWrite` adds (the pool's removals)
   * in one storage transaction (invariant 1), then the head moves. On failure nothing changed.
   */
  async commit(
    parent: BlockHeader,
    outcome: BlockOutcome,
    l1: NextOrigin | undefined,
    dropped: { hash: Hex; reason: string }[] = [],
    alsoWrite?: (mined: Hex[], at: bigint) => void,
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
        alsoWrite?.(
          userTxs.map((t) => t.hash),
          number,
        )
      })
    } catch (err) {
      // The storage transaction rolled back: put the in-memory state back on the old head.
      await this.discard(parent)
      throw err
    }
    this.exec.nodes.persisted(nodes)
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
