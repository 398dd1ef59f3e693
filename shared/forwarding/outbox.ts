import { RLP } from '@ethereumjs/rlp'
import { bytesToBigInt } from '@ethereumjs/util'
import type { Hex } from 'viem'
import { blobToBytes, type Sql } from '../state/sql.js'

const OUTBOX_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS outbox (hash TEXT PRIMARY KEY, raw BLOB NOT NULL, first_sent INTEGER NOT NULL, last_sent INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS outbox_dropped (hash TEXT PRIMARY KEY, reason TEXT NOT NULL, at INTEGER NOT NULL)`,
]
/** Columns added after the first schema (a node's SQLite from before has rows without them). */
const OUTBOX_COLUMNS = { sender: 'TEXT', nonce: 'INTEGER' } as const

/**
 * A transaction a node forwarded to the sequencer (or held in its pool when its turn ended) and has
 * not seen safely mined yet. `sender` is undefined for a row kept before senders were stored.
 */
export type Forwarded = {
  hash: Hex
  raw: Uint8Array
  sender?: Hex
  nonce: bigint
  firstSent: number
  lastSent: number
}

/** The nonce of a signed transaction's bytes (legacy: the list's first item; typed: the second). */
export function nonceOfRaw(raw: Uint8Array): bigint {
  const typed = raw[0] <= 0x7f
  const fields = RLP.decode(typed ? raw.subarray(1) : raw) as Uint8Array[]
  return bytesToBigInt(fields[typed ? 1 : 0])
}

/**
 * A node's forwarded transactions, in its SQLite (invariant 5 for hashes it returned): each is
 * written before it is forwarded, leaves once this node has it in a safe block, is replaced by a
 * transaction of the same sender and nonce that the sequencer took instead, or leaves with a reason
 * (`droppedReason`) when the sequencer refused it for good; it is sent again while none of these
 * happened, so a sequencer that lost it (a crash, a handover) gets it back. What it holds counts in
 * the node's pending nonce and answers `eth_getTransactionByHash` as pending (`forwardedView`).
 */
export class Outbox {
  constructor(private readonly sql: Sql) {
    for (const s of OUTBOX_SCHEMA) sql.exec(s)
    const have = new Set(
      sql
        .exec<{ name: string }>('PRAGMA table_info(outbox)')
        .toArray()
        .map((c) => c.name),
    )
    for (const [name, type] of Object.entries(OUTBOX_COLUMNS))
      if (!have.has(name)) sql.exec(`ALTER TABLE outbox ADD COLUMN ${name} ${type}`)
    sql.exec('CREATE INDEX IF NOT EXISTS outbox_sender_nonce ON outbox (sender, nonce)')
  }

  /** Keeps a transaction; `lastSent` 0: not sent yet (the next resend round sends it). */
  add(f: { hash: Hex; raw: Uint8Array; sender: Hex }, now: number, lastSent = now): void {
    this.sql.exec(
      'INSERT OR IGNORE INTO outbox (hash, raw, first_sent, last_sent, sender, nonce) VALUES (?, ?, ?, ?, ?, ?)',
      f.hash.toLowerCase(),
      f.raw,
      now,
      lastSent,
      f.sender.toLowerCase(),
      Number(nonceOfRaw(f.raw)),
    )
  }

  /** Marks every entry as not sent: the next resend round sends them all (a new sequencer). */
  resendAll(): void {
    this.sql.exec('UPDATE outbox SET last_sent = 0')
  }

  remove(hash: Hex): void {
    this.sql.exec('DELETE FROM outbox WHERE hash = ?', hash.toLowerCase())
  }

  /** Removes an entry the sequencer refused for good, keeping why (edge_getTransactionStatus). */
  drop(hash: Hex, reason: string, now: number): void {
    this.remove(hash)
    this.sql.exec(
      'INSERT OR REPLACE INTO outbox_dropped (hash, reason, at) VALUES (?, ?, ?)',
      hash.toLowerCase(),
      reason,
      now,
    )
  }

  /** Why the sequencer refused a forwarded transaction for good, if it did. */
  droppedReason(hash: Hex): string | undefined {
    return this.sql
      .exec<{ reason: string }>(
        'SELECT reason FROM outbox_dropped WHERE hash = ?',
        hash.toLowerCase(),
      )
      .toArray()[0]?.reason
  }

  /** Removes the other entries of `hash`'s sender and nonce: the sequencer took `hash` in their place. */
  replacedBy(hash: Hex, sender: Hex, nonce: bigint): void {
    this.sql.exec(
      'DELETE FROM outbox WHERE sender = ? AND nonce = ? AND hash != ?',
      sender.toLowerCase(),
      Number(nonce),
      hash.toLowerCase(),
    )
  }

  sent(hash: Hex, now: number): void {
    this.sql.exec('UPDATE outbox SET last_sent = ? WHERE hash = ?', now, hash.toLowerCase())
  }

  get size(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM outbox').one().n
  }

  get(hash: Hex): Forwarded | undefined {
    return this.rows('SELECT * FROM outbox WHERE hash = ?', hash.toLowerCase())[0]
  }

  /** The entries of `sender` with a nonce from `from` on, by nonce. */
  ofSender(sender: Hex, from = 0n): Forwarded[] {
    return this.rows(
      'SELECT * FROM outbox WHERE sender = ? AND nonce >= ? ORDER BY nonce, first_sent',
      sender.toLowerCase(),
      Number(from),
    )
  }

  /** Every entry, oldest first. */
  all(): Forwarded[] {
    return this.rows('SELECT * FROM outbox ORDER BY first_sent, nonce')
  }

  private rows(query: string, ...bindings: unknown[]): Forwarded[] {
    return this.sql
      .exec<{
        hash: string
        raw: ArrayBuffer
        first_sent: number
        last_sent: number
        sender: string | null
        nonce: number | null
      }>(query, ...bindings)
      .toArray()
      .map((r) => {
        const raw = blobToBytes(r.raw)
        return {
          hash: r.hash as Hex,
          raw,
          ...(r.sender !== null && { sender: r.sender as Hex }),
          nonce: r.nonce === null ? nonceOfRaw(raw) : BigInt(r.nonce),
          firstSent: r.first_sent,
          lastSent: r.last_sent,
        }
      })
  }
}
