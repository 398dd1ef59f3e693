import type { Hex } from 'viem'
import { blobToBytes, type Sql, type SqlValue } from '../state/sql.js'

/** Tables of a shard's own chain: sealed blocks and their transactions with receipts. */
export const CHAIN_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, header BLOB NOT NULL, rpc TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS txs (hash TEXT PRIMARY KEY, block_number INTEGER NOT NULL, idx INTEGER NOT NULL, raw BLOB NOT NULL, rpc TEXT NOT NULL, receipt TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS txs_by_block ON txs (block_number, idx)`,
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  // Which L1 transaction carries which L2 blocks (D1 holds a copy for queries).
  `CREATE TABLE IF NOT EXISTS batches (first_block INTEGER PRIMARY KEY, last_block INTEGER NOT NULL, l1_tx TEXT NOT NULL, l1_block INTEGER NOT NULL, bytes INTEGER NOT NULL)`,
]

/** Meta key of the highest block copied into D1 (shared/db/indexBlocks.ts keeps it; an unwind lowers it). */
export const INDEXED_KEY = 'indexed'

/** A batch on L1: the L2 blocks `first..last` in transaction `l1Tx` of L1 block `l1Block`. */
export type StoredBatch = { first: number; last: number; l1Tx: Hex; l1Block: number; bytes: number }

/** A block as stored: its header RLP and its RPC JSON (transactions as hashes). */
export type StoredBlock = { number: bigint; hash: Hex; header: Uint8Array; rpc: string }
/** A mined transaction as stored: raw bytes, RPC JSON and receipt JSON. */
export type StoredTx = {
  hash: Hex
  blockNumber: bigint
  index: number
  raw: Uint8Array
  rpc: string
  receipt: string
}

type BlockRow = { number: number; hash: string; header: ArrayBuffer; rpc: string }
type TxRow = {
  hash: string
  block_number: number
  idx: number
  raw: ArrayBuffer
  rpc: string
  receipt: string
}

/**
 * Reads and writes a shard's blocks and transactions in its Durable Object's SQLite. Writes are
 * plain statements: the caller wraps a block's writes in one storage transaction.
 */
export class ChainStore {
  constructor(private readonly sql: Sql) {
    for (const stmt of CHAIN_SCHEMA) sql.exec(stmt)
  }

  head(): StoredBlock | undefined {
    const rows = this.sql
      .exec<BlockRow>('SELECT * FROM blocks ORDER BY number DESC LIMIT 1')
      .toArray()
    return rows.length ? toBlock(rows[0]) : undefined
  }

  blockByNumber(n: bigint): StoredBlock | undefined {
    const rows = this.sql
      .exec<BlockRow>('SELECT * FROM blocks WHERE number = ?', Number(n))
      .toArray()
    return rows.length ? toBlock(rows[0]) : undefined
  }

  blockByHash(hash: Hex): StoredBlock | undefined {
    const rows = this.sql
      .exec<BlockRow>('SELECT * FROM blocks WHERE hash = ?', hash.toLowerCase())
      .toArray()
    return rows.length ? toBlock(rows[0]) : undefined
  }

  blockHash(n: bigint): Hex | undefined {
    const rows = this.sql
      .exec<{ hash: string }>('SELECT hash FROM blocks WHERE number = ?', Number(n))
      .toArray()
    return rows.length ? (rows[0].hash as Hex) : undefined
  }

  tx(hash: Hex): StoredTx | undefined {
    const rows = this.sql
      .exec<TxRow>('SELECT * FROM txs WHERE hash = ?', hash.toLowerCase())
      .toArray()
    return rows.length ? toTx(rows[0]) : undefined
  }

  txsOfBlock(n: bigint): StoredTx[] {
    return this.sql
      .exec<TxRow>('SELECT * FROM txs WHERE block_number = ? ORDER BY idx', Number(n))
      .toArray()
      .map(toTx)
  }

  txAt(n: bigint, index: number): StoredTx | undefined {
    const rows = this.sql
      .exec<TxRow>('SELECT * FROM txs WHERE block_number = ? AND idx = ?', Number(n), index)
      .toArray()
    return rows.length ? toTx(rows[0]) : undefined
  }

  putBlock(block: StoredBlock, txs: StoredTx[]): void {
    this.sql.exec(
      'INSERT INTO blocks (number, hash, header, rpc) VALUES (?, ?, ?, ?)',
      Number(block.number),
      block.hash,
      block.header,
      block.rpc,
    )
    for (const t of txs)
      this.sql.exec(
        'INSERT INTO txs (hash, block_number, idx, raw, rpc, receipt) VALUES (?, ?, ?, ?, ?, ?)',
        t.hash,
        Number(t.blockNumber),
        t.index,
        t.raw,
        t.rpc,
        t.receipt,
      )
  }

  getMeta(key: string): string | undefined {
    const rows = this.sql
      .exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)
      .toArray()
    return rows.length ? rows[0].value : undefined
  }

  setMeta(key: string, value: string): void {
    this.sql.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, value)
  }

  putBatch(b: StoredBatch): void {
    this.sql.exec(
      'INSERT OR REPLACE INTO batches (first_block, last_block, l1_tx, l1_block, bytes) VALUES (?, ?, ?, ?, ?)',
      b.first,
      b.last,
      b.l1Tx,
      b.l1Block,
      b.bytes,
    )
  }

  /** The batch with the highest blocks. */
  lastBatch(): StoredBatch | undefined {
    const [last] = this.batchesFromSql('SELECT * FROM batches ORDER BY first_block DESC LIMIT 1')
    return last
  }

  /** The batch carrying L2 block `n`. */
  batchOf(n: number): StoredBatch | undefined {
    const [b] = this.batchesFromSql(
      'SELECT * FROM batches WHERE first_block <= ? ORDER BY first_block DESC LIMIT 1',
      n,
    )
    return b && b.last >= n ? b : undefined
  }

  /** Batches in L2 order, from the one starting at or after `first`. */
  batches(first = 0, limit = 1000): StoredBatch[] {
    return this.batchesFromSql(
      'SELECT * FROM batches WHERE first_block >= ? ORDER BY first_block LIMIT ?',
      first,
      limit,
    )
  }

  private batchesFromSql(query: string, ...args: SqlValue[]): StoredBatch[] {
    return this.sql
      .exec<{
        first_block: number
        last_block: number
        l1_tx: string
        l1_block: number
        bytes: number
      }>(query, ...args)
      .toArray()
      .map((r) => ({
        first: r.first_block,
        last: r.last_block,
        l1Tx: r.l1_tx as Hex,
        l1Block: r.l1_block,
        bytes: r.bytes,
      }))
  }

  /** Removes every block above `n` with its transactions (an unwind; the caller's storage transaction). */
  deleteAbove(n: bigint): void {
    this.sql.exec('DELETE FROM txs WHERE block_number > ?', Number(n))
    this.sql.exec('DELETE FROM blocks WHERE number > ?', Number(n))
  }

  deleteMeta(key: string): void {
    this.sql.exec('DELETE FROM meta WHERE key = ?', key)
  }
}

function toBlock(r: BlockRow): StoredBlock {
  return {
    number: BigInt(r.number),
    hash: r.hash as Hex,
    header: blobToBytes(r.header),
    rpc: r.rpc,
  }
}

function toTx(r: TxRow): StoredTx {
  return {
    hash: r.hash as Hex,
    blockNumber: BigInt(r.block_number),
    index: r.idx,
    raw: blobToBytes(r.raw),
    rpc: r.rpc,
    receipt: r.receipt,
  }
}
