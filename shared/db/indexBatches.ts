import { drizzleD1, type D1 } from './d1.js'
import { and, eq, gte, lte } from 'drizzle-orm'
import type { Hex } from 'viem'
import type { ChainStore, StoredBatch } from '../chain/chainStore.js'
import { batches } from './schema.js'

/** Meta key of the first block of the last batch copied into D1. */
const INDEXED_KEY = 'batches.indexed'

/**
 * Copies the batch records D1 lacks into it, resuming after the last one copied (idempotent: a
 * failure leaves the mark where it was, and the next call sends the same rows again).
 */
export async function indexNewBatches(db: D1, store: ChainStore, chainId: number) {
  const done = Number(store.getMeta(INDEXED_KEY) ?? '0')
  const rows = store.batches(done + 1)
  if (rows.length === 0) return
  await indexBatches(db, chainId, rows)
  store.setMeta(INDEXED_KEY, String(rows[rows.length - 1].first))
}

/**
 * Copies batch records (which L1 transaction carries which L2 blocks) into D1, idempotently: a
 * batch is keyed by its chain and first block and never changes, so indexing it again changes nothing.
 */
export async function indexBatches(db: D1, chainId: number, rows: StoredBatch[]): Promise<void> {
  if (rows.length === 0) return
  const d = drizzleD1(db)
  const values = rows.map((b) => ({
    chainId,
    firstBlock: b.first,
    lastBlock: b.last,
    l1Tx: b.l1Tx,
    l1Block: b.l1Block,
    bytes: b.bytes,
  }))
  // 6 parameters a row: 16 rows stay under D1's 100 bound parameters.
  const statements = []
  for (let i = 0; i < values.length; i += 16)
    statements.push(
      d
        .insert(batches)
        .values(values.slice(i, i + 16))
        .onConflictDoNothing(),
    )
  await d.batch(statements as [(typeof statements)[0], ...typeof statements])
}

/** The batch carrying L2 block `n` of a chain, if indexed. */
export async function batchOfBlock(
  db: D1,
  chainId: number,
  n: number,
): Promise<StoredBatch | undefined> {
  const [row] = await drizzleD1(db)
    .select()
    .from(batches)
    .where(and(eq(batches.chainId, chainId), lte(batches.firstBlock, n), gte(batches.lastBlock, n)))
    .limit(1)
  return row
    ? {
        first: row.firstBlock,
        last: row.lastBlock,
        l1Tx: row.l1Tx as Hex,
        l1Block: row.l1Block,
        bytes: row.bytes,
      }
    : undefined
}
