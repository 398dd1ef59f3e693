import { describe, expect, test } from 'vitest'
import type { Sql } from './sql.js'
import { TrieNodeStore } from './trieNodeStore.js'

/** A stand-in for a Durable Object's SQL (plain Node has none): one table, and a count of reads. */
function fakeSql(rows: Map<string, Uint8Array>) {
  const reads = { n: 0 }
  const sql = {
    exec(query: string, key: string) {
      if (!query.startsWith('SELECT value FROM trie_nodes')) throw new Error(`unexpected ${query}`)
      reads.n++
      const value = rows.get(key)
      return { toArray: () => (value ? [{ value }] : []) }
    },
  } as unknown as Sql
  return { sql, reads }
}

describe('TrieNodeStore', () => {
  test('behavior: a node read from SQLite or persisted is served from memory after, up to the limit', async () => {
    const table = new Map([
      ['a', Uint8Array.of(1)],
      ['b', Uint8Array.of(2)],
    ])
    const { sql, reads } = fakeSql(table)
    const store = new TrieNodeStore(sql, 2)
    expect(await store.get('a')).toEqual(Uint8Array.of(1))
    expect(await store.get('a')).toEqual(Uint8Array.of(1))
    expect(reads.n).toBe(1)
    expect(await store.get('missing')).toBeUndefined()
    expect(await store.get('missing')).toBeUndefined()
    expect(reads.n).toBe(3) // misses are not remembered

    store.persisted(new Map([['c', Uint8Array.of(3)]]))
    expect(await store.get('c')).toEqual(Uint8Array.of(3))
    expect(reads.n).toBe(3)
    // The limit is 2: remembering c pushed nothing out yet (a, c); b evicts a, the oldest.
    expect(await store.get('b')).toEqual(Uint8Array.of(2))
    expect(reads.n).toBe(4)
    await store.get('a')
    expect(reads.n).toBe(5)
  })

  test('behavior: pending writes are read back before they are drained, and not after a discard', async () => {
    const { sql } = fakeSql(new Map())
    const store = new TrieNodeStore(sql)
    await store.put('k', Uint8Array.of(9))
    expect(await store.get('k')).toEqual(Uint8Array.of(9))
    store.discard()
    expect(await store.get('k')).toBeUndefined()
  })
})
