import type { Hex } from 'viem'
import { blobToBytes, type Sql } from '../state/sql.js'

const OUTBOX_SCHEMA = `CREATE TABLE IF NOT EXISTS outbox (hash TEXT PRIMARY KEY, raw BLOB NOT NULL, first_sent INTEGER NOT NULL, last_sent INTEGER NOT NULL)`

/** A transaction a peer forwarded to the sequencer and has not seen mined yet. */
export type Forwarded = { hash: Hex; raw: Uint8Array; firstSent: number; lastSent: number }

/**
 * A peer's forwarded transactions, in its SQLite (invariant 5 for hashes a peer returned): each is
 * written before it is forwarded, leaves once this node has it in a block (or the sequencer refused
 * it for good), and is sent again while neither has happened, so a sequencer that lost it (a crash,
 * a failover) gets it back.
 */
export class Outbox {
  constructor(private readonly sql: Sql) {
    sql.exec(OUTBOX_SCHEMA)
  }

  /** Keeps a transaction; `lastSent` 0: not sent yet (the next resend round sends it). */
  add(hash: Hex, raw: Uint8Array, now: number, lastSent = now): void {
    this.sql.exec(
      'INSERT OR IGNORE INTO outbox (hash, raw, first_sent, last_sent) VALUES (?, ?, ?, ?)',
      hash.toLowerCase(),
      raw,
      now,
      lastSent,
    )
  }

  /** Marks every entry as not sent: the next resend round sends them all (a new sequencer). */
  resendAll(): void {
    this.sql.exec('UPDATE outbox SET last_sent = 0')
  }

  remove(hash: Hex): void {
    this.sql.exec('DELETE FROM outbox WHERE hash = ?', hash.toLowerCase())
  }

  sent(hash: Hex, now: number): void {
    this.sql.exec('UPDATE outbox SET last_sent = ? WHERE hash = ?', now, hash.toLowerCase())
  }

  get size(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM outbox').one().n
  }

  /** Every entry, oldest first. */
  all(): Forwarded[] {
    return this.sql
      .exec<{ hash: string; raw: ArrayBuffer; first_sent: number; last_sent: number }>(
        'SELECT * FROM outbox ORDER BY first_sent',
      )
      .toArray()
      .map((r) => ({
        hash: r.hash as Hex,
        raw: blobToBytes(r.raw),
        firstSent: r.first_sent,
        lastSent: r.last_sent,
      }))
  }
}
