import type { Hex } from 'viem'
import type { Sql } from '../state/sql.js'
import { DeterministicError } from '../errors.js'
import { decodeDeposit, type DepositTx, type L1Origin } from './depositTx.js'

/**
 * The L1 side of a shard's chain, in the sequencer's SQLite: the confirmed L1 blocks the watcher has
 * read (header fields and the deposits their portal logs make, contiguous, parent-linked), and the L1
 * origin of every L2 block (written in the block's own storage transaction).
 */
export const L1_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS l1_blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, parent_hash TEXT NOT NULL, timestamp INTEGER NOT NULL, base_fee TEXT NOT NULL, deposits TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS block_origins (number INTEGER PRIMARY KEY, l1_number INTEGER NOT NULL, l1_hash TEXT NOT NULL, seq INTEGER NOT NULL)`,
]

/** A confirmed L1 block as the watcher records it: the deposits as their 0x7e encodings, in log order. */
export type WatchedL1Block = L1Origin & { parentHash: Hex; deposits: Hex[] }

/** An L2 block's L1 origin and its sequence number within that origin's epoch. */
export type BlockOrigin = { l1Number: bigint; l1Hash: Hex; seq: bigint }

/** What the next L2 block takes from L1: its origin, sequence number and the deposits to include. */
/**
 * How far (seconds) an L2 block's timestamp may run ahead of its L1 origin's (OP's
 * max_sequencer_drift): an L2 block is never before its origin nor more than this after it. A
 * sequencer cannot move L2 time far ahead (a time-warp for every contract that reads it), and with
 * L1 unreachable longer than this it seals nothing until it can take a newer origin.
 */
export const MAX_SEQUENCER_DRIFT = 1800n

export type NextOrigin = { origin: L1Origin; seq: bigint; deposits: DepositTx[] }

type L1Row = {
  number: number
  hash: string
  parent_hash: string
  timestamp: number
  base_fee: string
  deposits: string
}

export class L1Origins {
  constructor(private readonly sql: Sql) {
    for (const s of L1_SCHEMA) sql.exec(s)
  }

  /** The newest watched L1 block. */
  latest(): WatchedL1Block | undefined {
    const rows = this.sql
      .exec<L1Row>('SELECT * FROM l1_blocks ORDER BY number DESC LIMIT 1')
      .toArray()
    return rows.length ? toWatched(rows[0]) : undefined
  }

  /** A watched L1 block by number. */
  block(n: bigint): WatchedL1Block | undefined {
    const rows = this.sql
      .exec<L1Row>('SELECT * FROM l1_blocks WHERE number = ?', Number(n))
      .toArray()
    return rows.length ? toWatched(rows[0]) : undefined
  }

  /**
   * Records newly confirmed L1 blocks. They must continue the watched chain (next number, parent hash
   * equal to the last one's hash); anything else throws and records nothing, so a reorg deeper than
   * the confirmation depth stops the watcher instead of reaching L2.
   */
  add(blocks: WatchedL1Block[]): void {
    let prev = this.latest()
    for (const b of blocks) {
      if (prev && (b.number !== prev.number + 1n || b.parentHash !== prev.hash))
        throw new DeterministicError(
          `L1 block ${b.number} (${b.hash}) does not extend watched block ${prev.number} (${prev.hash})`,
          {
            details:
              'an L1 reorg deeper than the confirmation depth, or an L1 restarted from older state',
          },
        )
      prev = b
    }
    for (const b of blocks)
      this.sql.exec(
        'INSERT INTO l1_blocks (number, hash, parent_hash, timestamp, base_fee, deposits) VALUES (?, ?, ?, ?, ?, ?)',
        Number(b.number),
        b.hash,
        b.parentHash,
        Number(b.timestamp),
        String(b.baseFee),
        JSON.stringify(b.deposits),
      )
  }

  /** The recorded L1 origin of an L2 block. */
  originOf(l2Number: bigint): BlockOrigin | undefined {
    const rows = this.sql
      .exec<{ l1_number: number; l1_hash: string; seq: number }>(
        'SELECT * FROM block_origins WHERE number = ?',
        Number(l2Number),
      )
      .toArray()
    return rows.length
      ? {
          l1Number: BigInt(rows[0].l1_number),
          l1Hash: rows[0].l1_hash as Hex,
          seq: BigInt(rows[0].seq),
        }
      : undefined
  }

  /** Records an L2 block's origin (inside the block's storage transaction). */
  putOrigin(l2Number: bigint, o: BlockOrigin): void {
    this.sql.exec(
      'INSERT INTO block_origins (number, l1_number, l1_hash, seq) VALUES (?, ?, ?, ?)',
      Number(l2Number),
      Number(o.l1Number),
      o.l1Hash,
      Number(o.seq),
    )
  }

  /** Forgets the origins of L2 blocks above `l2Number` (an unwind; the caller's storage transaction). */
  deleteOriginsAbove(l2Number: bigint): void {
    this.sql.exec('DELETE FROM block_origins WHERE number > ?', Number(l2Number))
  }

  /**
   * The origin of the L2 block after one with origin `parent` (or, for block 1, after L1 block
   * `startBlock - 1`), at L2 timestamp `timestamp`: the newest watched L1 block not after that
   * timestamp. A new origin brings every deposit of the L1 blocks it moves past, in L1 order, and
   * restarts the sequence number; the same origin continues it. Undefined when no L1 block is watched
   * yet. Deterministic: the same watched blocks give the same answer on every peer.
   */
  next(
    parent: BlockOrigin | undefined,
    startBlock: bigint,
    timestamp: bigint,
  ): NextOrigin | undefined {
    const newest = this.newestDue(parent, startBlock, timestamp)
    if (newest === undefined) {
      const same = parent && this.block(parent.l1Number)
      return same ? { origin: same, seq: parent.seq + 1n, deposits: [] } : undefined
    }
    return this.originAt(parent, startBlock, newest)
  }

  /** Whether `next` would move to a new origin (cheap: no deposits decoded). */
  newOriginDue(parent: BlockOrigin | undefined, startBlock: bigint, timestamp: bigint): boolean {
    return this.newestDue(parent, startBlock, timestamp) !== undefined
  }

  /** The newest watched L1 block after the parent's origin and not after `timestamp`. */
  private newestDue(
    parent: BlockOrigin | undefined,
    startBlock: bigint,
    timestamp: bigint,
  ): bigint | undefined {
    const from = parent ? parent.l1Number : startBlock - 1n
    const rows = this.sql
      .exec<{ number: number }>(
        'SELECT number FROM l1_blocks WHERE number > ? AND timestamp <= ? ORDER BY number DESC LIMIT 1',
        Number(from),
        Number(timestamp),
      )
      .toArray()
    return rows.length ? BigInt(rows[0].number) : undefined
  }

  /**
   * What a block with L1 origin `l1Number` takes after a parent with origin `parent` (block 1: after
   * L1 block `startBlock - 1`): the same origin continues the sequence with no deposits; a later one
   * brings the deposits of every L1 block it moves past, in order. Undefined when that origin is not
   * watched or would go backwards. The sequencer and a peer deriving from batches both use this.
   */
  originAt(
    parent: BlockOrigin | undefined,
    startBlock: bigint,
    l1Number: bigint,
  ): NextOrigin | undefined {
    const origin = this.block(l1Number)
    if (!origin) return undefined
    if (parent && parent.l1Number === l1Number)
      return { origin, seq: parent.seq + 1n, deposits: [] }
    const from = parent ? parent.l1Number : startBlock - 1n
    if (l1Number <= from) return undefined
    const rows = this.sql
      .exec<L1Row>(
        'SELECT * FROM l1_blocks WHERE number > ? AND number <= ? ORDER BY number',
        Number(from),
        Number(l1Number),
      )
      .toArray()
      .map(toWatched)
    return { origin, seq: 0n, deposits: rows.flatMap((r) => r.deposits.map(decodeDeposit)) }
  }
}

function toWatched(r: L1Row): WatchedL1Block {
  return {
    number: BigInt(r.number),
    hash: r.hash as Hex,
    parentHash: r.parent_hash as Hex,
    timestamp: BigInt(r.timestamp),
    baseFee: BigInt(r.base_fee),
    deposits: JSON.parse(r.deposits) as Hex[],
  }
}
