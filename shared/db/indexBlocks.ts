import { drizzleD1, type D1, type D1Statement } from './d1.js'
import { eq, getTableColumns, getTableName, type Table } from 'drizzle-orm'
import type { Hex } from 'viem'
import { INDEXED_KEY, type ChainStore } from '../chain/chainStore.js'
import { buildIndexedBlock } from '../chain/indexedBlock.js'
import { multiRowInsert, type SqlValue } from '../state/sql.js'
import { blocks as blockTable, indexCursor, logs, transactions } from './schema.js'

/** Blocks per `indexBlocks` call while catching up. */
const INDEX_BATCH = 32

/**
 * Index rows of blocks sealed lately, by number, kept until D1 has them so indexing need not read
 * them back from the store. Bounded: after a long D1 outage the oldest are read from the store.
 */
export class SealedBlocks {
  private readonly byNumber = new Map<bigint, IndexedBlock>()

  constructor(private readonly limit = 256) {}

  add(block: IndexedBlock): void {
    this.byNumber.set(block.number, block)
    if (this.byNumber.size > this.limit) this.byNumber.delete(this.byNumber.keys().next().value!)
  }

  get(n: bigint): IndexedBlock | undefined {
    return this.byNumber.get(n)
  }

  delete(n: bigint): void {
    this.byNumber.delete(n)
  }
}

/**
 * Copies the blocks up to `head` that D1 lacks into it, resuming after the last one copied, in
 * batches of INDEX_BATCH (idempotent: a failure throws and leaves the mark after the last batch that
 * landed, and the next call sends the rest again). `sealed` holds index rows of blocks sealed lately,
 * by number: those are taken from it instead of the store, and leave it once indexed.
 */
export async function indexNewBlocks(
  db: D1,
  store: ChainStore,
  chainId: number,
  head: bigint,
  sealed?: SealedBlocks,
): Promise<void> {
  let next = BigInt(store.getMeta(INDEXED_KEY) ?? '-1') + 1n
  while (next <= head) {
    const blocks: IndexedBlock[] = []
    for (let n = next; n <= head && blocks.length < INDEX_BATCH; n++)
      blocks.push(sealed?.get(n) ?? buildIndexedBlock(store.blockByNumber(n)!, store.txsOfBlock(n)))
    await indexBlocks(db, chainId, blocks)
    next += BigInt(blocks.length)
    store.setMeta(INDEXED_KEY, String(next - 1n))
    for (const b of blocks) sealed?.delete(b.number)
  }
}

/** A log as the index stores it: its position in the block and transaction, emitter, topics, data. */
export type IndexedLog = {
  logIndex: number
  transactionIndex: number
  transactionHash: Hex
  address: Hex
  topics: Hex[]
  data: Hex
}

/** A transaction as the index stores it: `rpc` is its JSON-RPC object, `receipt` its JSON-RPC receipt. */
export type IndexedTransaction = {
  hash: Hex
  index: number
  from: Hex
  to: Hex | null
  rpc: string
  receipt: string
}

/** A block with its transactions and logs, shaped for the index; `rpc` is the JSON-RPC block with tx hashes. */
export type IndexedBlock = {
  number: bigint
  hash: Hex
  parentHash: Hex
  timestamp: bigint
  rpc: string
  transactions: IndexedTransaction[]
  logs: IndexedLog[]
}

/**
 * Writes blocks into the D1 history index of one chain in a single `db.batch()` (one implicit
 * transaction: all of it lands or none). Per block number it first deletes whatever rows are there,
 * then inserts the given block, so indexing is idempotent and re-indexing a number with a different
 * block (a reorg) replaces it. A transaction hash already indexed at another number moves to the new
 * one. The cursor is set to the highest number in `blocks`: reads see blocks up to it, and rows a
 * replaced chain left above it stay invisible until indexing overwrites them. If `blocks` holds a
 * number twice, the later block wins.
 *
 * The statements are plain SQL over the drizzle schema's table and column names, built once per
 * shape: for every block, drizzle's query builder took four times the CPU of sending the batch.
 */
export async function indexBlocks(db: D1, chainId: number, blocks: IndexedBlock[]): Promise<void> {
  const byNumber = new Map<number, IndexedBlock>()
  for (const b of blocks) byNumber.set(toInteger(b.number, 'block number'), b)
  if (byNumber.size === 0) return
  const numbers = [...byNumber.keys()].sort((a, b) => a - b)
  const head = numbers[numbers.length - 1]

  const blockRows: SqlValue[][] = []
  const txRows: SqlValue[][] = []
  const logRows: SqlValue[][] = []
  for (const number of numbers) {
    const b = byNumber.get(number)!
    const blockHash = lower(b.hash)
    blockRows.push([
      chainId,
      number,
      blockHash,
      lower(b.parentHash),
      toInteger(b.timestamp, 'timestamp'),
      b.rpc,
    ])
    for (const t of b.transactions)
      txRows.push([
        chainId,
        lower(t.hash),
        number,
        t.index,
        lower(t.from),
        t.to && lower(t.to),
        t.rpc,
        t.receipt,
      ])
    for (const l of b.logs) {
      if (l.topics.length > 4)
        throw new Error(
          `log ${l.logIndex} of block ${number} has ${l.topics.length} topics (max 4)`,
        )
      const [topic0, topic1, topic2, topic3] = l.topics.map(lower)
      logRows.push([
        chainId,
        number,
        l.logIndex,
        l.transactionIndex,
        lower(l.transactionHash),
        blockHash,
        lower(l.address),
        topic0 ?? null,
        topic1 ?? null,
        topic2 ?? null,
        topic3 ?? null,
        lower(l.data),
      ])
    }
  }

  const numbersJson = JSON.stringify(numbers)
  const statements: D1Statement[] = [
    db.prepare(DELETE_LOGS).bind(chainId, numbersJson),
    db.prepare(DELETE_TRANSACTIONS).bind(chainId, numbersJson),
    db.prepare(DELETE_BLOCKS).bind(chainId, numbersJson),
  ]
  for (const [insert, rows] of [
    [INSERT_BLOCKS, blockRows],
    [INSERT_TRANSACTIONS, txRows],
    [INSERT_LOGS, logRows],
  ] as const)
    for (const s of insert.statements(rows)) statements.push(db.prepare(s.text).bind(...s.params))
  statements.push(db.prepare(SET_CURSOR).bind(chainId, head))
  await db.batch(statements)
}

/** A column's SQL name (quoted) from the drizzle schema, by its key there. */
function col(table: Table, key: string): string {
  const column = (getTableColumns(table) as Record<string, { name: string } | undefined>)[key]
  if (!column) throw new Error(`no column ${key} in ${getTableName(table)}`)
  return `"${column.name}"`
}

/** The multi-row `INSERT INTO table (columns) VALUES …` of the columns with these schema keys. */
function insertOf(table: Table, keys: readonly string[], tail = '') {
  const columns = keys.map((k) => col(table, k)).join(', ')
  return multiRowInsert(
    `INSERT INTO "${getTableName(table)}" (${columns}) VALUES `,
    keys.length,
    tail,
  )
}

/** Deletes a chain's rows at the block numbers of a JSON array. */
function deleteAt(table: Table, numberKey: string): string {
  return `DELETE FROM "${getTableName(table)}" WHERE ${col(table, 'chainId')} = ? AND ${col(table, numberKey)} IN (SELECT value FROM json_each(?))`
}

const BLOCK_COLUMNS = ['chainId', 'number', 'hash', 'parentHash', 'timestamp', 'rpc']
const TRANSACTION_COLUMNS = [
  'chainId',
  'hash',
  'blockNumber',
  'txIndex',
  'from',
  'to',
  'rpc',
  'receipt',
]
const LOG_COLUMNS = [
  'chainId',
  'blockNumber',
  'logIndex',
  'txIndex',
  'txHash',
  'blockHash',
  'address',
  'topic0',
  'topic1',
  'topic2',
  'topic3',
  'data',
]

const DELETE_LOGS = deleteAt(logs, 'blockNumber')
const DELETE_TRANSACTIONS = deleteAt(transactions, 'blockNumber')
const DELETE_BLOCKS = deleteAt(blockTable, 'number')
const INSERT_BLOCKS = insertOf(blockTable, BLOCK_COLUMNS)
/** A transaction hash indexed before moves: the new row (block, position, content) wins. */
const INSERT_TRANSACTIONS = insertOf(
  transactions,
  TRANSACTION_COLUMNS,
  ` ON CONFLICT (${col(transactions, 'chainId')}, ${col(transactions, 'hash')}) DO UPDATE SET ` +
    TRANSACTION_COLUMNS.slice(2)
      .map((k) => `${col(transactions, k)} = excluded.${col(transactions, k)}`)
      .join(', '),
)
const INSERT_LOGS = insertOf(logs, LOG_COLUMNS)
const SET_CURSOR = `INSERT INTO "${getTableName(indexCursor)}" (${col(indexCursor, 'chainId')}, ${col(indexCursor, 'head')}) VALUES (?, ?) ON CONFLICT (${col(indexCursor, 'chainId')}) DO UPDATE SET ${col(indexCursor, 'head')} = excluded.${col(indexCursor, 'head')}`

/** The cursor of a chain: the highest block number of its last indexed batch, or null if none. */
export async function getIndexedHead(db: D1, chainId: number): Promise<bigint | null> {
  const row = await drizzleD1(db)
    .select({ head: indexCursor.head })
    .from(indexCursor)
    .where(eq(indexCursor.chainId, chainId))
    .get()
  return row ? BigInt(row.head) : null
}

/**
 * Lowers a chain's cursor to `n` after an unwind, so reads stop at the kept blocks until the blocks
 * that replace the unwound ones are indexed over them.
 */
export async function rewindIndex(db: D1, chainId: number, n: bigint): Promise<void> {
  await db
    .prepare(
      `UPDATE "${getTableName(indexCursor)}" SET ${col(indexCursor, 'head')} = ? WHERE ${col(indexCursor, 'chainId')} = ? AND ${col(indexCursor, 'head')} > ?`,
    )
    .bind(Number(n), chainId, Number(n))
    .run()
}

function lower<T extends string>(hex: T): T {
  return hex.toLowerCase() as T
}

function toInteger(n: bigint, what: string): number {
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`${what} ${n} out of range`)
  return Number(n)
}
