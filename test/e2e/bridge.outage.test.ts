import { createTestClient, http, parseEther, type Hex } from 'viem'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import { getL2TransactionHashes } from 'viem/op-stack'
import { describe, expect, test } from 'vitest'
import { batchedBlocksOnceSafe, bridgeClients, useBridgeDevnet } from './bridge.fixtures.js'

/**
 * Settlement under L1 trouble: anvil stopped while L2 transactions keep coming, then started again
 * from its saved state; and an L1 reorg inside the confirmation depth. Three confirmations here so
 * the reorg can happen before the node takes the block.
 */

const CONFIRMATIONS = 3
const d = useBridgeDevnet({ vars: { L1_CONFIRMATIONS: String(CONFIRMATIONS) } })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(250)
  }
}

describe('L1 outage', () => {
  test('behavior: batches resume with no gap and no duplicate; deposits before and after arrive once', async () => {
    const depositor = bridgeClients(d, 6)
    const sender = bridgeClients(d, 7)
    const start = await depositor.l2Public.getBalance({ address: depositor.account.address })
    const deposit = async (eth: string) => {
      const hash = await depositor.l1.depositTransaction({
        request: { gas: 50_000n, mint: parseEther(eth), to: depositor.account.address },
        targetChain: d.l2Chain,
      })
      const receipt = await depositor.l1.waitForTransactionReceipt({ hash })
      return getL2TransactionHashes(receipt)[0]
    }

    // A deposit mined on L1 but not yet confirmed when L1 goes away.
    const before = await deposit('1')
    await d.anvil.stop()

    // L2 keeps taking transactions while L1 is down.
    const mined: Hex[] = []
    for (let i = 0; i < 8; i++) {
      const hash = await sender.l2.sendTransaction({
        to: privateKeyToAccount(generatePrivateKey()).address,
        value: 1n,
      })
      mined.push((await sender.l2Public.waitForTransactionReceipt({ hash })).transactionHash)
    }
    const headDuringOutage = await sender.l2Public.getBlockNumber()
    expect((await sender.l2Public.getBlock({ blockTag: 'safe' })).number).toBeLessThan(
      headDuringOutage,
    )

    await d.restartL1()
    const after = await deposit('2')
    for (const hash of [before, after])
      expect(
        (await depositor.l2Public.waitForTransactionReceipt({ hash, timeout: 60_000 })).status,
      ).toBe('success')
    expect(await depositor.l2Public.getBalance({ address: depositor.account.address })).toBe(
      start + parseEther('3'),
    )

    // Batches catch up over everything sealed during the outage, each block exactly once.
    const { head, covered } = await batchedBlocksOnceSafe(d)
    expect(covered).toEqual(covered.map((_, i) => BigInt(i + 1)))
    expect(covered.at(-1)).toBeGreaterThanOrEqual(head)
    for (const hash of mined) {
      const receipt = await sender.l2Public.getTransactionReceipt({ hash })
      expect(receipt.blockNumber).toBeLessThanOrEqual(covered.at(-1)!)
    }
  }, 180_000)
})

describe('L1 reorg', () => {
  test('behavior: a deposit reorged out inside the confirmation depth never reaches L2', async () => {
    const { account, l1, l1Public, l2Public } = bridgeClients(d, 5)
    const test = createTestClient({ mode: 'anvil', transport: http(d.l1Url) })
    const balance = await l2Public.getBalance({ address: account.address })
    // Hold L1 still so the deposit's block cannot gather confirmations while the reorg is set up.
    await test.setIntervalMining({ interval: 0 })
    await test.setAutomine(true)
    const hash = await l1.depositTransaction({
      request: { gas: 50_000n, mint: parseEther('5'), to: account.address },
      targetChain: d.l2Chain,
    })
    const receipt = await l1.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    const [l2Hash] = getL2TransactionHashes(receipt)
    const head = await l1Public.getBlockNumber()
    expect(head - receipt.blockNumber).toBeLessThan(BigInt(CONFIRMATIONS))
    // Replace the deposit's block (and any on top) with empty ones, then let L1 run again.
    await test.request({
      method: 'anvil_reorg' as never,
      params: [Number(head - receipt.blockNumber + 1n), []] as never,
    })
    await test.setAutomine(false)
    await test.setIntervalMining({ interval: 1 })
    expect(await l1Public.getTransactionReceipt({ hash }).catch(() => null)).toBeNull()

    // Once L2's origin is past the reorged height, the deposit would have been in by now.
    await waitFor('L2 to take an L1 origin past the reorg', async () => {
      const res = await fetch(`${d.node.url}/chain/901`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'optimism_syncStatus', params: [] }),
      })
      const { result } = (await res.json()) as {
        result: { unsafe_l2: { l1origin: { number: number } } }
      }
      return result.unsafe_l2.l1origin.number > Number(receipt.blockNumber) + 1 ? true : undefined
    })
    expect(await l2Public.getTransaction({ hash: l2Hash }).catch(() => null)).toBeNull()
    expect(await l2Public.getBalance({ address: account.address })).toBe(balance)
  }, 120_000)
})

describe('node crash', () => {
  test('behavior: a SIGKILLed node resumes settling: every acknowledged transaction mined, batches with no gap and no duplicate, a deposit made meanwhile arrives once', async () => {
    const sender = bridgeClients(d, 4)
    const depositor = bridgeClients(d, 3)
    const acknowledged: Hex[] = []
    const sendSome = async (n: number) => {
      for (let i = 0; i < n; i++)
        acknowledged.push(
          await sender.l2.sendTransaction({
            to: privateKeyToAccount(generatePrivateKey()).address,
            value: 1n,
          }),
        )
    }
    const start = await depositor.l2Public.getBalance({ address: depositor.account.address })
    await sendSome(6)
    await d.restartNode('SIGKILL')
    const hash = await depositor.l1.depositTransaction({
      request: { gas: 50_000n, mint: parseEther('1'), to: depositor.account.address },
      targetChain: d.l2Chain,
    })
    const [l2Hash] = getL2TransactionHashes(await depositor.l1.waitForTransactionReceipt({ hash }))
    await sendSome(6)
    for (const h of [...acknowledged, l2Hash])
      expect(
        (await sender.l2Public.waitForTransactionReceipt({ hash: h, timeout: 60_000 })).status,
      ).toBe('success')
    expect(await depositor.l2Public.getBalance({ address: depositor.account.address })).toBe(
      start + parseEther('1'),
    )
    const { covered } = await batchedBlocksOnceSafe(d)
    expect(covered).toEqual(covered.map((_, i) => BigInt(i + 1)))
  }, 180_000)
})
