import { env } from 'cloudflare:test'
import { keccak256, toHex } from 'viem'
import { describe, expect, test } from 'vitest'
import { batchOfBlock, indexBatches } from '../../shared/db/indexBatches.js'

const batch = (first: number, last: number, l1Block: number) => ({
  first,
  last,
  l1Tx: keccak256(toHex(`batch ${first}`)),
  l1Block,
  bytes: 100 + first,
})

describe('D1 batch records', () => {
  test('default: each L2 block maps to the L1 transaction of its batch; re-indexing changes nothing', async () => {
    const rows = [batch(1, 4, 20), batch(5, 5, 22), batch(6, 40, 23)]
    await indexBatches(env.DB, 7001, rows)
    await indexBatches(env.DB, 7001, rows) // again: idempotent
    for (const [n, want] of [
      [1, rows[0]],
      [4, rows[0]],
      [5, rows[1]],
      [6, rows[2]],
      [40, rows[2]],
    ] as const)
      expect(await batchOfBlock(env.DB, 7001, n)).toEqual(want)
    expect(await batchOfBlock(env.DB, 7001, 41)).toBeUndefined()
    expect(await batchOfBlock(env.DB, 7001, 0)).toBeUndefined()
    // Another chain's batches are its own.
    expect(await batchOfBlock(env.DB, 7002, 5)).toBeUndefined()
  })

  test('behavior: more batches than one statement binds are all written', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => batch(i * 2 + 1, i * 2 + 2, 100 + i))
    await indexBatches(env.DB, 7003, rows)
    expect(await batchOfBlock(env.DB, 7003, 100)).toEqual(rows[49])
    const { results } = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM batches WHERE chain_id = 7003',
    ).all<{ n: number }>()
    expect(results[0].n).toBe(50)
  })
})
