import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, test } from 'vitest'
import { TRIE_NODES_SCHEMA, TrieNodeStore } from '../../shared/state/trieNodeStore.js'

describe('TrieNodeStore.write on a Durable Object SQLite', () => {
  test('behavior: every node of a write spanning several statements lands; rewriting one changes nothing', async () => {
    const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName('trie-node-store-write'))
    await runInDurableObject(stub, async (_instance, state) => {
      const sql = state.storage.sql
      sql.exec(TRIE_NODES_SCHEMA)
      // 50 rows go to a statement (two parameters each, 100 at most): 1, 50, 51 and 130 nodes
      // cover a lone row, an exact statement, one over, and a partial last statement.
      let next = 0
      for (const count of [1, 50, 51, 130]) {
        const nodes = new Map<string, Uint8Array>()
        for (let i = 0; i < count; i++, next++)
          nodes.set(`k${next}`, Uint8Array.of(next & 0xff, next >> 8, count))
        state.storage.transactionSync(() => TrieNodeStore.write(sql, nodes))
        const store = new TrieNodeStore(sql, 0)
        for (const [key, value] of nodes) expect(await store.get(key)).toEqual(value)
      }
      expect(sql.exec('SELECT COUNT(*) AS n FROM trie_nodes').one().n).toBe(next)
      // Content-addressed: a key already stored keeps its row (INSERT OR IGNORE).
      TrieNodeStore.write(sql, new Map([['k0', Uint8Array.of(9)]]))
      expect(await new TrieNodeStore(sql, 0).get('k0')).toEqual(Uint8Array.of(0, 0, 1))
      expect(sql.exec('SELECT COUNT(*) AS n FROM trie_nodes').one().n).toBe(next)
    })
  })
})
