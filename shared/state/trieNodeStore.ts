import type { BatchDBOp, DB } from '@ethereumjs/util'
import { blobToBytes, type Sql } from './sql.js'

/** The table behind every shard's world state: Merkle-Patricia trie nodes and contract code. */
export const TRIE_NODES_SCHEMA = `CREATE TABLE IF NOT EXISTS trie_nodes (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID`

/**
 * ethereumjs's DB seam over SQLite. Reads go to pending writes, then to SQLite; writes stay pending
 * in memory until `drain()` hands them to the caller, which writes them inside the same storage
 * transaction as the block that made them (invariant 1). Nodes are content-addressed and never
 * deleted, so every past state root stays readable (an archive node).
 */
export class TrieNodeStore implements DB<string, Uint8Array> {
  private pending = new Map<string, Uint8Array>()

  constructor(private readonly sql: Sql) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const hit = this.pending.get(key)
    if (hit) return hit
    const rows = this.sql.exec('SELECT value FROM trie_nodes WHERE key = ?', key).toArray()
    return rows.length ? blobToBytes(rows[0].value) : undefined
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.pending.set(key, value)
  }

  /** Pruning is off, so the trie never deletes; a delete would break archive reads. */
  async del(_key: string): Promise<void> {}

  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.pending.set(op.key, op.value)
  }

  shallowCopy(): DB<string, Uint8Array> {
    return this
  }

  async open(): Promise<void> {}

  /** Pending writes, handed over once; the caller persists them in its storage transaction. */
  drain(): Map<string, Uint8Array> {
    const out = this.pending
    this.pending = new Map()
    return out
  }

  /** Drops pending writes (a block that was abandoned, a read-only call). */
  discard(): void {
    this.pending = new Map()
  }

  /** Writes drained nodes; call inside `transactionSync`. */
  static write(sql: Sql, nodes: Map<string, Uint8Array>): void {
    for (const [key, value] of nodes)
      sql.exec('INSERT OR IGNORE INTO trie_nodes (key, value) VALUES (?, ?)', key, value)
  }
}
