import { env } from 'cloudflare:test'
import { getAddress, keccak256, pad, slice, toHex, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { indexBlocks, type IndexedBlock } from '../../shared/db/indexBlocks.js'
import { queryLogs } from '../../shared/db/queryLogs.js'

// Full-size blocks and ranges through real D1 in workerd. Durations are annotated on the tests for
// reading, never asserted (timings belong to benchmarks).

const h = (label: string) => keccak256(toHex(label))
const addr = (label: string) => getAddress(slice(h(label), 12))
const TRANSFER = h('Transfer(address,address,uint256)')
const TOKENS = [addr('token A'), addr('token B')]

/** A block of `size` ERC-20 transfers: one transaction and one Transfer log each, tokens alternating. */
function transfers(chainId: number, number: number, size: number): IndexedBlock {
  const hash = h(`block ${chainId} ${number}`)
  const transactions: IndexedBlock['transactions'] = []
  const logs: IndexedBlock['logs'] = []
  for (let i = 0; i < size; i++) {
    const txHash = h(`tx ${chainId} ${number} ${i}`)
    const [from, to, token] = [addr(`from ${i}`), addr(`to ${i}`), TOKENS[i % 2]]
    const log = {
      logIndex: i,
      transactionIndex: i,
      transactionHash: txHash,
      address: token,
      topics: [TRANSFER, pad(from.toLowerCase() as Hex), pad(to.toLowerCase() as Hex)],
      data: toHex(10n ** 18n * BigInt(i + 1), { size: 32 }),
    }
    logs.push(log)
    const rpc = { hash: txHash, from, to: token, blockHash: hash, blockNumber: toHex(number) }
    const receipt = { transactionHash: txHash, from, to: token, status: '0x1', logs: [log] }
    transactions.push({
      hash: txHash,
      index: i,
      from,
      to: token,
      rpc: JSON.stringify(rpc),
      receipt: JSON.stringify(receipt),
    })
  }
  const timestamp = 1_700_000_000n + BigInt(number)
  const rpc = JSON.stringify({
    number: toHex(number),
    hash,
    timestamp: toHex(timestamp),
    transactions: transactions.map((t) => t.hash),
  })
  return {
    number: BigInt(number),
    hash,
    parentHash: h(`block ${chainId} ${number - 1}`),
    timestamp,
    rpc,
    transactions,
    logs,
  }
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now()
  const result = await run()
  return { result, ms: Math.round(performance.now() - start) }
}

describe('D1 history at volume', () => {
  test('behavior: a block of 300 transactions and 300 logs indexes in one batch, idempotently', async ({
    annotate,
  }) => {
    const chainId = 80_001
    const block = transfers(chainId, 1, 300)
    const first = await timed(() => indexBlocks(env.DB, chainId, [block]))
    const again = await timed(() => indexBlocks(env.DB, chainId, [block]))

    const logs = await queryLogs(env.DB, chainId, { fromBlock: 0n, toBlock: 1n }, { limit: 10_000 })
    expect(logs).toHaveLength(300)
    const txs = await env.DB.prepare('select count(*) as n from transactions where chain_id = ?')
      .bind(chainId)
      .first('n')
    expect(txs).toBe(300)
    await annotate(`indexBlocks(300 txs, 300 logs): first ${first.ms} ms, re-index ${again.ms} ms`)
  })

  test('behavior: eth_getLogs by address returns 10,000 of 20,000 logs in order', async ({
    annotate,
  }) => {
    const chainId = 80_002
    const blocks = Array.from({ length: 200 }, (_, n) => transfers(chainId, n + 1, 100))
    const indexing = await timed(async () => {
      for (let i = 0; i < blocks.length; i += 32)
        await indexBlocks(env.DB, chainId, blocks.slice(i, i + 32))
    })
    const range = { fromBlock: 0n, toBlock: 1_000n }
    const byAddress = await timed(() =>
      queryLogs(env.DB, chainId, { ...range, address: [TOKENS[0]] }, { limit: 10_000 }),
    )
    const byAddressAndTopic = await timed(() =>
      queryLogs(
        env.DB,
        chainId,
        { ...range, address: [TOKENS[0]], topics: [TRANSFER] },
        { limit: 10_000 },
      ),
    )
    const selective = await timed(() =>
      queryLogs(
        env.DB,
        chainId,
        {
          ...range,
          address: [TOKENS[0]],
          topics: [null, pad(addr('from 42').toLowerCase() as Hex)],
        },
        { limit: 10_000 },
      ),
    )
    const narrow = await timed(() =>
      queryLogs(
        env.DB,
        chainId,
        { fromBlock: 100n, toBlock: 109n, address: [TOKENS[1]] },
        { limit: 10_000 },
      ),
    )

    expect(byAddress.result).toHaveLength(10_000)
    expect(
      byAddress.result.every(
        (l, i) =>
          Number(l.blockNumber) === Math.floor(i / 50) + 1 && Number(l.logIndex) === (i % 50) * 2,
      ),
    ).toBe(true)
    expect(byAddressAndTopic.result).toEqual(byAddress.result)
    expect(selective.result).toHaveLength(200)
    expect(narrow.result).toHaveLength(500)
    await annotate(
      `index 200 blocks x 100 logs (32 blocks a batch): ${indexing.ms} ms; getLogs address (10,000 of 20,000): ${byAddress.ms} ms; ` +
        `address+topic0 (10,000): ${byAddressAndTopic.ms} ms; address+topic1 (200): ${selective.ms} ms; address over 10 blocks (500): ${narrow.ms} ms`,
    )
  })
})
