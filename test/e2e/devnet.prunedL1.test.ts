import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseGwei, type Hex } from 'viem'
import { afterAll, describe, expect, test } from 'vitest'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import { devAccount, freshAddress, waitFor } from './node.fixtures.js'
import { l2Rpc, POOL_CHAIN_ID, usePoolDevnet } from './pool.fixtures.js'
import { startNode, type L2Node } from './processes.js'

/**
 * A node needs only a standard L1 endpoint (invariant 10): an L1 that keeps state for its last 128
 * blocks only (anvil `--prune-history 128`, as most non-archive RPC plans), mining a block every
 * 0.5 s. The pool-sequenced devnet runs past 300 L1 blocks with traffic, then a fresh peer (empty
 * state) starts: it must derive the chain from L1 blocks, receipts and logs (reading state at the
 * head only) up to the others' head, with the same blocks, and stay healthy.
 */

const HISTORY = 128n
const d = usePoolDevnet({ anvilArgs: ['--prune-history', String(HISTORY)], mineEveryMs: 500 })
const sender = devAccount(7)
const fees = { maxFeePerGas: parseGwei('50'), maxPriorityFeePerGas: parseGwei('1') }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let fresh: L2Node | undefined
let freshDir: string | undefined
const sent: Hex[] = []

afterAll(async () => {
  await fresh?.stop()
  if (freshDir) rmSync(freshDir, { recursive: true, force: true })
}, 60_000)

const nodeUrls = () => [...d.nodes.map((n) => n!.url), d.peer.url]
const l2Head = (url: string) => l2Rpc<Hex>(url, 'eth_blockNumber', []).then(BigInt)
const blockHash = (url: string, n: bigint) =>
  l2Rpc<{ hash: Hex } | null>(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false]).then(
    (b) => b?.hash,
  )

describe('an L1 without archive state', () => {
  test('default: this L1 really refuses state at a block more than 128 blocks old', async () => {
    // The pool's deployment block (its constructor's ParametersUpdated): its state existed there.
    const [deployed] = await d.l1.getContractEvents({
      address: d.deployment.sequencing.pool,
      abi: sequencerPoolAbi,
      eventName: 'ParametersUpdated',
      fromBlock: 0n,
    })
    const at = deployed.blockNumber + 1n
    const head = await waitFor(`L1 past block ${at + HISTORY + 10n}`, async () => {
      const n = await d.l1.getBlockNumber({ cacheTime: 0 })
      return n > at + HISTORY + 10n ? n : undefined
    })
    const read = (blockNumber: bigint) =>
      d.l1.readContract({
        address: d.deployment.sequencing.pool,
        abi: sequencerPoolAbi,
        functionName: 'sequencingWindow',
        blockNumber,
      })
    expect(await read(head)).toBeGreaterThan(0n)
    await expect(read(at)).rejects.toThrow(/BlockOutOfRange|Invalid parameters/)
  }, 180_000)

  test('behavior: past 300 L1 blocks, a fresh peer syncs to the others’ head', async () => {
    const start = BigInt(d.deployment.shards[0].l1StartBlock)
    // Traffic through every node while the L1 runs past 300 blocks after the shard's start.
    let nonce = 0
    for (let i = 0; (await d.l1.getBlockNumber({ cacheTime: 0 })) < start + 320n; i++) {
      const raw = await sender.signTransaction({
        chainId: POOL_CHAIN_ID,
        type: 'eip1559',
        to: freshAddress(),
        value: 1n,
        nonce,
        gas: 21_000n,
        ...fees,
      })
      try {
        sent.push(await l2Rpc<Hex>(nodeUrls()[i % 4], 'eth_sendRawTransaction', [raw]))
        nonce++
      } catch {
        // A handover can refuse a write for a moment; the next one retries the nonce.
      }
      await sleep(3_000)
    }
    expect(sent.length).toBeGreaterThan(10)

    freshDir = mkdtempSync(path.join(tmpdir(), 'edge-l2-fresh-peer-'))
    fresh = await startNode({ persistDir: freshDir, vars: d.vars })
    const target = (await Promise.all(nodeUrls().map(l2Head))).reduce((a, b) => (a < b ? a : b))
    await waitFor(
      `the fresh peer at L2 block ${target}`,
      async () => (await l2Head(fresh!.url)) >= target,
      240_000,
    )
    // The same chain: the block hash at the target height on every node.
    const hashes = await Promise.all([...nodeUrls(), fresh.url].map((u) => blockHash(u, target)))
    expect(new Set(hashes).size).toBe(1)
    // Every transfer a node acknowledged is on the fresh peer.
    await waitFor(
      'every acknowledged transfer on the fresh peer',
      async () => {
        for (const h of sent)
          if (!(await l2Rpc(fresh!.url, 'eth_getTransactionReceipt', [h]))) return false
        return true
      },
      120_000,
    )
    // Healthy everywhere: no deterministic failure (GET /health 200, ok).
    for (const u of [...nodeUrls(), fresh.url]) {
      const res = await fetch(`${u}/health`)
      const body = (await res.json()) as { ok: boolean }
      expect({ u, status: res.status, ok: body.ok, body }).toMatchObject({ status: 200, ok: true })
    }
  }, 600_000)
})
