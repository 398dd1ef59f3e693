import type { BatchDBOp, DB } from '@ethereumjs/util'
import { blobToBytes, multiRowInsert, type Sql } from './sql.js'

/** How many recently used trie nodes a store keeps in memory (~0.5 KiB each at most). */
const RECENT_NODES = 20_000

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
  /**
   * Nodes read or persisted lately, oldest first (content-addressed and never changed, so always
   * valid): each block reads the nodes the last one wrote (the root and the branches under it).
   */
  private readonly recent = new Map<string, Uint8Array>()

  constructor(
    private readonly sql: Sql,
    private readonly recentLimit = RECENT_NODES,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const hit = this.pending.get(key) ?? this.recent.get(key)
    if (hit) return hit
    const rows = this.sql.exec('SELECT value FROM trie_nodes WHERE key = ?', key).toArray()
    if (!rows.length) return undefined
    const value = blobToBytes(rows[0].value)
    this.remember(key, value)
    return value
  }

  /** Marks nodes as persisted (after their storage transaction committed): later reads skip SQLite. */
  persisted(nodes: Map<string, Uint8Array>): void {
    for (const [key, value] of nodes) this.remember(key, value)
  }

  private remember(key: string, value: Uint8Array): void {
    this.recent.set(key, value)
    if (this.recent.size > this.recentLimit) this.recent.delete(this.recent.keys().next().value!)
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

  /** Writes drained nodes, many to a statement; call inside `transactionSync`. */
  static write(sql: Sql, nodes: Map<string, Uint8Array>): void {
    for (const s of INSERT_NODES.statements([...nodes])) sql.exec(s.text, ...s.params)
  }
}

const INSERT_NODES = multiRowInsert('INSERT OR IGNORE INTO trie_nodes (key, value) VALUES ', 2)
