import { and, eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/d1'
import type { BatchItem } from 'drizzle-orm/batch'
import type { Hex } from 'viem'
import type { ChainStore } from '../chain/chainStore.js'
import { buildIndexedBlock } from '../chain/indexedBlock.js'
import { blocks as blockTable, indexCursor, logs, transactions } from './schema.js'

/** Meta key (in the sequencer's store) of the highest block copied into D1. */
const INDEXED_KEY = 'indexed'
/** Blocks per `indexBlocks` call while catching up. */
const INDEX_BATCH = 32

/**
 * Copies the blocks up to `head` that D1 lacks into it, resuming after the last one copied, in
 * batches of INDEX_BATCH (idempotent: a failure throws and leaves the mark after the last batch that
 * landed, and the next call sends the rest again).
 */
export async function indexNewBlocks(
  db: D1Database,
  store: ChainStore,
  chainId: number,
  head: bigint,
): Promise<void> {
  let next = BigInt(store.getMeta(INDEXED_KEY) ?? '-1') + 1n
  while (next <= head) {
    const blocks: IndexedBlock[] = []
    for (let n = next; n <= head && blocks.length < INDEX_BATCH; n++)
      blocks.push(buildIndexedBlock(store.blockByNumber(n)!, store.txsOfBlock(n)))
    await indexBlocks(db, chainId, blocks)
    next += BigInt(blocks.length)
    store.setMeta(INDEXED_KEY, String(next - 1n))
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

/** D1 binds at most 100 parameters per statement; multi-row inserts are cut to stay under it. */
export const MAX_BOUND_PARAMETERS = 100

/** The upsert of a transaction hash indexed before: the new row (block, position, content) wins. */
const MOVE_TRANSACTION = {
  blockNumber: sql.raw('excluded."block_number"'),
  txIndex: sql.raw('excluded."tx_index"'),
  from: sql.raw('excluded."from"'),
  to: sql.raw('excluded."to"'),
  rpc: sql.raw('excluded."rpc"'),
  receipt: sql.raw('excluded."receipt"'),
}

/**
 * Writes blocks into the D1 history index of one chain in a single `db.batch()` (one implicit
 * transaction: all of it lands or none). Per block number it first deletes whatever rows are there,
 * then inserts the given block, so indexing is idempotent and re-indexing a number with a different
 * block (a reorg) replaces it. A transaction hash already indexed at another number moves to the new
 * one. The cursor is set to the highest number in `blocks`: reads see blocks up to it, and rows a
 * replaced chain left above it stay invisible until indexing overwrites them. If `blocks` holds a
 * number twice, the later block wins.
 */
export async function indexBlocks(
  db: D1Database,
  chainId: number,
  blocks: IndexedBlock[],
): Promise<void> {
  const byNumber = new Map<number, IndexedBlock>()
  for (const b of blocks) byNumber.set(toInteger(b.number, 'block number'), b)
  if (byNumber.size === 0) return
  const numbers = [...byNumber.keys()].sort((a, b) => a - b)
  const head = numbers[numbers.length - 1]

  const blockRows: (typeof blockTable.$inferInsert)[] = []
  const txRows: (typeof transactions.$inferInsert)[] = []
  const logRows: (typeof logs.$inferInsert)[] = []
  for (const number of numbers) {
    const b = byNumber.get(number)!
    const blockHash = lower(b.hash)
    blockRows.push({
      chainId,
      number,
      hash: blockHash,
      parentHash: lower(b.parentHash),
      timestamp: toInteger(b.timestamp, 'timestamp'),
      rpc: b.rpc,
    })
    for (const t of b.transactions)
      txRows.push({
        chainId,
        hash: lower(t.hash),
        blockNumber: number,
        txIndex: t.index,
        from: lower(t.from),
        to: t.to && lower(t.to),
        rpc: t.rpc,
        receipt: t.receipt,
      })
    for (const l of b.logs) {
      if (l.topics.length > 4)
        throw new Error(
          `log ${l.logIndex} of block ${number} has ${l.topics.length} topics (max 4)`,
        )
      const [topic0, topic1, topic2, topic3] = l.topics.map(lower)
      logRows.push({
        chainId,
        blockNumber: number,
        logIndex: l.logIndex,
        txIndex: l.transactionIndex,
        txHash: lower(l.transactionHash),
        blockHash,
        address: lower(l.address),
        topic0: topic0 ?? null,
        topic1: topic1 ?? null,
        topic2: topic2 ?? null,
        topic3: topic3 ?? null,
        data: lower(l.data),
      })
    }
  }

  const d = drizzle(db)
  const atNumbers = (
    column: typeof logs.blockNumber | typeof transactions.blockNumber | typeof blockTable.number,
  ) =>
    numbers.length === 1
      ? eq(column, head)
      : sql`${column} in (select value from json_each(${JSON.stringify(numbers)}))`
  const statements: BatchItem<'sqlite'>[] = [
    d.delete(logs).where(and(eq(logs.chainId, chainId), atNumbers(logs.blockNumber))),
    d
      .delete(transactions)
      .where(and(eq(transactions.chainId, chainId), atNumbers(transactions.blockNumber))),
    d.delete(blockTable).where(and(eq(blockTable.chainId, chainId), atNumbers(blockTable.number))),
  ]
  for (const rows of chunk(blockRows, 6)) statements.push(d.insert(blockTable).values(rows))
  for (const rows of chunk(txRows, 8))
    statements.push(
      d
        .insert(transactions)
        .values(rows)
        .onConflictDoUpdate({
          target: [transactions.chainId, transactions.hash],
          set: MOVE_TRANSACTION,
        }),
    )
  for (const rows of chunk(logRows, 12)) statements.push(d.insert(logs).values(rows))
  statements.push(
    d
      .insert(indexCursor)
      .values({ chainId, head })
      .onConflictDoUpdate({ target: indexCursor.chainId, set: { head } }),
  )
  await d.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]])
}

/** The cursor of a chain: the highest block number of its last indexed batch, or null if none. */
export async function getIndexedHead(db: D1Database, chainId: number): Promise<bigint | null> {
  const row = await drizzle(db)
    .select({ head: indexCursor.head })
    .from(indexCursor)
    .where(eq(indexCursor.chainId, chainId))
    .get()
  return row ? BigInt(row.head) : null
}

/** Cuts rows of `columns` values each into groups that bind at most MAX_BOUND_PARAMETERS parameters. */
function chunk<T>(rows: T[], columns: number): T[][] {
  const size = Math.floor(MAX_BOUND_PARAMETERS / columns)
  const out: T[][] = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}

function lower<T extends string>(hex: T): T {
  return hex.toLowerCase() as T
}

function toInteger(n: bigint, what: string): number {
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`${what} ${n} out of range`)
  return Number(n)
}
