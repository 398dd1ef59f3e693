import type { Hex } from 'viem'
import type { Sql } from '../state/sql.js'

const SCHEMA = `CREATE TABLE IF NOT EXISTS signed_children (parent TEXT PRIMARY KEY, hash TEXT NOT NULL, number INTEGER NOT NULL)`
/** Heights kept below the newest signed one (a sibling that old would be below the safe head). */
const KEEP = 100_000

/**
 * The slashing rule a sequencer's key must never break, kept in the node's SQLite: one signed child
 * per parent (`SequencerPool.proveEquivocation` slashes two). A pool member may hold another block at
 * a height where it signed one in an earlier turn (its unbatched blocks replaced at a handover by
 * what L1 says), and anyone may ask it for signed blocks from any height (`edge_getSignedBlocks`):
 * it refuses to sign such a block, and the asker takes it from L1.
 */
export class SignedChildren {
  constructor(private readonly sql: Sql) {
    sql.exec(SCHEMA)
  }

  /** Whether `hash` may be signed as `parent`'s child (recorded if so): no other child was. */
  claim(parent: Hex, hash: Hex, number: bigint): boolean {
    const prior = this.sql
      .exec<{ hash: string }>('SELECT hash FROM signed_children WHERE parent = ?', parent)
      .toArray()[0]
    if (prior) return prior.hash === hash
    this.sql.exec(
      'INSERT INTO signed_children (parent, hash, number) VALUES (?, ?, ?)',
      parent,
      hash,
      Number(number),
    )
    if (number % 1000n === 0n)
      this.sql.exec('DELETE FROM signed_children WHERE number < ?', Number(number) - KEEP)
    return true
  }
}
