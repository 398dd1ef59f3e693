import { MapDB, bytesToHex } from '@ethereumjs/util'
import {
  MerklePatriciaTrie,
  createMPT,
  createMerkleProof,
  verifyMerkleProof,
} from '@ethereumjs/mpt'
import { describe, expect, test } from 'vitest'
import { keccak256 } from '../chain/keccak.js'
import { batchUpdate, type TrieWrite } from './batchTrie.js'

/** A deterministic generator, so a failure reproduces. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
}

const bytes = (r: () => number, n: number) =>
  Uint8Array.from({ length: n }, () => Math.floor(r() * 256))

/** Two tries over their own stores: one updated by put/del one at a time, one by `batchUpdate`. */
async function pair(useKeyHashing: boolean) {
  const opts = {
    useKeyHashing,
    db: new MapDB<string, Uint8Array>(),
    valueEncoding: 'bytes' as never,
  }
  return {
    seq: await createMPT({ ...opts, db: new MapDB<string, Uint8Array>() }),
    batch: await createMPT(opts),
  }
}

async function applySeq(trie: MerklePatriciaTrie, writes: TrieWrite[]) {
  for (const w of writes) {
    if (w.value && w.value.length) await trie.put(w.key, w.value)
    else await trie.del(w.key)
  }
}

describe('batchUpdate', () => {
  // Hashed 32-byte keys (the state and storage tries) and short raw keys, where nodes under 32
  // bytes are inlined in their parent and keys can be prefixes of others (branch values).
  for (const hashed of [true, false]) {
    test(`behavior: same root and readable nodes as put/del one by one (${hashed ? 'hashed' : 'short raw'} keys)`, async () => {
      const r = rng(hashed ? 7 : 11)
      const { seq, batch } = await pair(hashed)
      const live = new Map<string, Uint8Array>()
      const keys: Uint8Array[] = []
      for (let round = 0; round < 40; round++) {
        const writes: TrieWrite[] = []
        const n = 1 + Math.floor(r() * 30)
        for (let i = 0; i < n; i++) {
          const pick = r()
          let key: Uint8Array
          if (pick < 0.45 || keys.length === 0) {
            key = hashed ? bytes(r, 20) : bytes(r, 1 + Math.floor(r() * 3))
            keys.push(key)
          } else key = keys[Math.floor(r() * keys.length)]
          // Deletes of present and absent keys, short values (inline nodes) and long ones.
          const value = r() < 0.3 ? undefined : bytes(r, r() < 0.5 ? 1 + Math.floor(r() * 4) : 33)
          writes.push({ key, value })
          if (value) live.set(bytesToHex(key), value)
          else live.delete(bytesToHex(key))
        }
        await applySeq(seq, writes)
        await batchUpdate(batch, writes)
        expect(bytesToHex(batch.root()), `round ${round}`).toBe(bytesToHex(seq.root()))
      }
      expect(live.size).toBeGreaterThan(20)
      // Every value reads back from the batched trie's own store, and proves against its root.
      for (const [k, v] of live) {
        const key = Uint8Array.from(Buffer.from(k.slice(2), 'hex'))
        expect(await batch.get(key)).toEqual(v)
        const proof = await createMerkleProof(batch, key)
        expect(keccak256(proof[0])).toEqual(batch.root())
        expect(await verifyMerkleProof(key, proof, { useKeyHashing: hashed })).toEqual(v)
      }
    })
  }

  test('behavior: deleting every key empties the trie; an empty batch changes nothing', async () => {
    const { seq, batch } = await pair(true)
    const keys = Array.from({ length: 50 }, (_, i) => Uint8Array.of(i, i + 1))
    const puts = keys.map((key) => ({ key, value: Uint8Array.of(1, 2, 3) }))
    await applySeq(seq, puts)
    await batchUpdate(batch, puts)
    const root = batch.root()
    await batchUpdate(batch, [])
    expect(batch.root()).toEqual(root)
    await batchUpdate(
      batch,
      keys.map((key) => ({ key, value: undefined })),
    )
    expect(batch.root()).toEqual(batch.EMPTY_TRIE_ROOT)
  })

  test('behavior: only the final nodes are written (no per-key intermediate versions)', async () => {
    const db = new MapDB<string, Uint8Array>()
    const trie = new MerklePatriciaTrie({
      useKeyHashing: true,
      db,
      valueEncoding: 'bytes' as never,
    })
    const r = rng(3)
    const writes = Array.from({ length: 200 }, () => ({ key: bytes(r, 20), value: bytes(r, 40) }))
    await batchUpdate(trie, writes)
    const written = db._database.size
    const seq = new MerklePatriciaTrie({
      useKeyHashing: true,
      db: new MapDB<string, Uint8Array>(),
      valueEncoding: 'bytes' as never,
    })
    await applySeq(seq, writes)
    expect(trie.root()).toEqual(seq.root())
    // 200 leaves and their branches; put-by-put also stores every superseded path.
    expect(written).toBeLessThan(
      (seq.database().db as MapDB<string, Uint8Array>)._database.size / 2,
    )
  })
})
