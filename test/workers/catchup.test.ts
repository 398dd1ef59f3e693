import { env, runInDurableObject } from 'cloudflare:test'
import { parseEther, parseGwei, parseUnits } from 'viem'
import { describe, expect, test } from 'vitest'
import { testTokenAbi, testTokenBytecode } from '../../generated/contracts/TestToken.js'
import { call, clients, KEYS } from './helpers.js'

const alice = clients(902, KEYS[0])

async function indexedHead(): Promise<number | null> {
  const row = await env.DB.prepare('SELECT head FROM index_cursor WHERE chain_id = 902').first<{
    head: number
  }>()
  return row?.head ?? null
}

// Invariant 2: D1 is derived data. After its rows are lost the sequencer re-indexes every block, and
// eth_getLogs answers the same before, during (from receipts) and after.
describe('D1 catch-up', () => {
  test('behavior: history lost from D1 is rebuilt and logs stay complete', async () => {
    const hash = await alice.wallet.deployContract({
      abi: testTokenAbi,
      bytecode: testTokenBytecode,
      args: ['T', 'T', parseUnits('1', 18)],
    })
    const token = (await alice.public.waitForTransactionReceipt({ hash })).contractAddress!
    for (let i = 0; i < 3; i++)
      await alice.public.waitForTransactionReceipt({
        hash: await alice.wallet.writeContract({
          address: token,
          abi: testTokenAbi,
          functionName: 'transfer',
          args: [KEYS_TO, 1n],
        }),
      })
    const path = '/chain/902'
    const before = (await call('eth_getLogs', [{ address: token, fromBlock: '0x0' }], path)).result
    expect(before).toHaveLength(4) // mint + 3 transfers
    // The rows the sequencer indexed as it sealed (from the blocks in its memory).
    const sealedHead = Number(await alice.public.getBlockNumber())
    await waitIndexed(sealedHead)
    const live = await rows(sealedHead)
    expect(live.transactions.length).toBeGreaterThanOrEqual(4)

    // Lose the history: D1 rows and the sequencer's record of what it indexed.
    await env.DB.batch(
      ['blocks', 'transactions', 'logs', 'index_cursor'].map((t) =>
        env.DB.prepare(`DELETE FROM ${t} WHERE chain_id = 902`),
      ),
    )
    const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName('sequencer:902'))
    await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec(`DELETE FROM meta WHERE key = 'indexed'`),
    )
    // Served from the sequencer's receipts while D1 is empty.
    expect(
      (await call('eth_getLogs', [{ address: token, fromBlock: '0x0' }], path)).result,
    ).toEqual(before)

    // The next block triggers re-indexing from genesis.
    await alice.public.waitForTransactionReceipt({
      hash: await alice.wallet.sendTransaction({
        to: KEYS_TO,
        value: parseEther('1'),
        maxPriorityFeePerGas: parseGwei('1'),
      }),
    })
    const head = Number(await alice.public.getBlockNumber())
    await waitIndexed(head)
    expect(await indexedHead()).toBe(head)
    // Rebuilt from the store, the rows are the ones indexed live.
    expect(await rows(sealedHead)).toEqual(live)
    expect(
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM blocks WHERE chain_id = 902').first<{
        n: number
      }>())!.n,
    ).toBe(head + 1)
    expect(
      (await call('eth_getLogs', [{ address: token, fromBlock: '0x0' }], path)).result,
    ).toEqual(before)
  })
})

async function waitIndexed(head: number): Promise<void> {
  for (let i = 0; i < 100 && (await indexedHead()) !== head; i++)
    await new Promise((r) => setTimeout(r, 50))
}

/** Chain 902's index rows up to block `head`, in a fixed order. */
async function rows(head: number) {
  const all = async (query: string) =>
    (await env.DB.prepare(query).bind(head).all<Record<string, unknown>>()).results
  return {
    blocks: await all('SELECT * FROM blocks WHERE chain_id = 902 AND number <= ? ORDER BY number'),
    transactions: await all(
      'SELECT * FROM transactions WHERE chain_id = 902 AND block_number <= ? ORDER BY block_number, tx_index',
    ),
    logs: await all(
      'SELECT * FROM logs WHERE chain_id = 902 AND block_number <= ? ORDER BY block_number, log_index',
    ),
  }
}

const KEYS_TO = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
