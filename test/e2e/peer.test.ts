import {
  createPublicClient,
  createWalletClient,
  http,
  parseEther,
  publicActions,
  type Hex,
  type PublicClient,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { getL2TransactionHashes, publicActionsL2, walletActionsL2 } from 'viem/op-stack'
import { describe, expect, test } from 'vitest'
import { optimismPortalAbi } from '../../generated/contracts/OptimismPortal.js'
import {
  bridgeClients,
  defineEdgeL2,
  useBridgeDevnet,
  withdrawalFromJson,
} from './bridge.fixtures.js'
import { devAccount } from './l1.fixtures.js'
import type { L2Node } from './processes.js'

/**
 * A peer node (no keys, its own process and state) beside the sequencer, on a real anvil L1: it
 * derives every block from L1 and follows the sequencer's signed live feed ahead of it, serves the
 * same reads, and forwards writes to the sequencer.
 */

const d = useBridgeDevnet()
let peer: L2Node

// A contract that stores the block number when called with no data and reverts otherwise.
const RUNTIME = '3615600957600080fd5b4360005500'
const INIT_CODE = `0x600f80600b6000396000f3${RUNTIME}` as Hex

const rpc = (url: string) => createPublicClient({ transport: http(`${url}/chain/901`) })

/** Polls `fn` until it returns something other than undefined, or fails after `ms`. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 200))) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
  }
}

/** Every block 0..n of both nodes, as [hash, stateRoot, receiptsRoot]. */
async function blocks(client: PublicClient, n: bigint) {
  const out: [Hex, Hex, Hex][] = []
  for (let i = 0n; i <= n; i++) {
    const b = await client.getBlock({ blockNumber: i })
    out.push([b.hash!, b.stateRoot, b.receiptsRoot])
  }
  return out
}

describe('peer node', () => {
  test('default: a mixed workload through the sequencer; every block of the peer equals it, and a withdrawal proven from the peer finalizes', async () => {
    peer = await d.startPeer()
    const chains = (await (await fetch(`${peer.url}/chains`)).json()) as any[]
    expect(chains[0]).toMatchObject({ role: 'peer', follows: `${d.node.url}/chain/901` })

    const { account, l1, l2 } = bridgeClients(d, 5)
    // Transfers, a contract creation, a call, a reverting call, a deposit and a withdrawal.
    for (let i = 0; i < 3; i++)
      await l2.sendTransactionSync({ to: devAccount(6).address, value: parseEther('0.1') })
    const created = await l2.sendTransactionSync({ data: INIT_CODE })
    const contract = created.contractAddress!
    expect((await l2.sendTransactionSync({ to: contract })).status).toBe('success')
    const reverted = await l2.sendTransactionSync({ to: contract, data: '0x01', gas: 100_000n })
    expect(reverted.status).toBe('reverted')
    const depositL1 = await l1.depositTransaction({
      request: { gas: 100_000n, mint: parseEther('2'), to: account.address },
      targetChain: d.l2Chain,
    })
    const [depositL2] = getL2TransactionHashes(
      await l1.waitForTransactionReceipt({ hash: depositL1 }),
    )
    await l2.waitForTransactionReceipt({ hash: depositL2, timeout: 30_000 })
    const recipient = privateKeyToAccount(generatePrivateKey()).address
    const amount = parseEther('0.5')
    const wHash = await l2.initiateWithdrawal({
      request: { gas: 21_000n, to: recipient, value: amount },
    })
    const wReceipt = await l2.waitForTransactionReceipt({ hash: wHash })

    // The peer derives the same blocks once they are on L1: safe on the peer covers the workload.
    const seq = rpc(d.node.url)
    const p = rpc(peer.url)
    const target = wReceipt.blockNumber
    await until('the peer to derive the workload from L1', async () =>
      (await p.getBlock({ blockTag: 'safe' })).number >= target ? true : undefined,
    )
    expect(await blocks(p, target)).toEqual(await blocks(seq, target))
    // Reads answer the same: receipts, logs, proofs, traces.
    for (const hash of [created.transactionHash, reverted.transactionHash, depositL2, wHash])
      expect(await p.getTransactionReceipt({ hash })).toEqual(
        await seq.getTransactionReceipt({ hash }),
      )
    const logQuery = { fromBlock: 0n, toBlock: target } as const
    expect(await p.getLogs(logQuery)).toEqual(await seq.getLogs(logQuery))
    const proof = {
      address: contract,
      storageKeys: [`0x${'0'.repeat(64)}` as Hex],
      blockNumber: target,
    }
    expect(await p.getProof(proof)).toEqual(await seq.getProof(proof))
    const trace = {
      method: 'debug_traceTransaction',
      params: [wHash, { tracer: 'callTracer' }],
    } as const
    expect(await p.request(trace as never)).toEqual(await seq.request(trace as never))
    const atBlock = {
      method: 'optimism_outputAtBlock',
      params: [`0x${target.toString(16)}`],
    } as const
    // The output (not the sync status beside it, which is each node's own).
    const output = async (c: PublicClient) => {
      const { syncStatus: _, ...rest } = (await c.request(atBlock as never)) as Record<
        string,
        unknown
      >
      return rest
    }
    expect(await output(p)).toEqual(await output(seq))

    // Prove with the peer's /withdrawals JSON, then finalize with viem.
    type Report = { withdrawals: { status: string; withdrawal: any; prove?: any }[] }
    const ready = await until('the withdrawal to be ready to prove on the peer', async () => {
      const r = (await (await fetch(`${peer.url}/withdrawals/${wHash}`)).json()) as Report
      return r.withdrawals[0]?.status === 'ready-to-prove' ? r.withdrawals[0] : undefined
    })
    const w = ready.withdrawal
    const withdrawal = { ...withdrawalFromJson(w), withdrawalHash: w.withdrawalHash }
    const proven = await l1.writeContract({
      address: ready.prove.portal,
      abi: optimismPortalAbi,
      functionName: 'proveWithdrawalTransaction',
      args: [
        withdrawal,
        BigInt(ready.prove.l2OutputIndex),
        ready.prove.outputRootProof,
        ready.prove.withdrawalProof,
      ],
    })
    expect((await l1.waitForTransactionReceipt({ hash: proven })).status).toBe('success')
    await until('the withdrawal to be ready to finalize', async () => {
      const r = (await (await fetch(`${peer.url}/withdrawals/${wHash}`)).json()) as Report
      return r.withdrawals[0]?.status === 'ready-to-finalize' ? true : undefined
    })
    const fin = await l1.finalizeWithdrawal({ targetChain: d.l2Chain, withdrawal })
    expect((await l1.waitForTransactionReceipt({ hash: fin })).status).toBe('success')
    expect(await l1.getBalance({ address: recipient })).toBe(amount)
  }, 240_000)

  test('behavior: the peer follows the live feed ahead of L1', async () => {
    const seq = rpc(d.node.url)
    const p = rpc(peer.url)
    // Blocks the sequencer sealed reach the peer before their batch is on L1.
    const head = await seq.getBlockNumber()
    await until('the peer to reach the sequencer head', async () =>
      (await p.getBlockNumber()) >= head ? true : undefined,
    )
    const [a, b] = await Promise.all([
      seq.getBlock({ blockNumber: head }),
      p.getBlock({ blockNumber: head }),
    ])
    expect(b.hash).toBe(a.hash)
    expect(peer.logs()).toMatch(/live feed: following/)
  }, 60_000)

  test('behavior: a transaction sent to the peer is mined; eth_sendRawTransactionSync answers its receipt', async () => {
    const account = devAccount(7)
    const chain = defineEdgeL2(`${peer.url}/chain/901`, d.l1Chain.id, d.deployment.shards[0])
    const wallet = createWalletClient({ account, chain, transport: http() })
      .extend(publicActions)
      .extend(publicActionsL2())
      .extend(walletActionsL2())
    const receipt = await wallet.sendTransactionSync({ to: devAccount(6).address, value: 1n })
    expect(receipt.status).toBe('success')
    // The peer has the block by the time it answers, and it is the sequencer's.
    expect(await rpc(peer.url).getTransactionReceipt({ hash: receipt.transactionHash })).toEqual(
      await rpc(d.node.url).getTransactionReceipt({ hash: receipt.transactionHash }),
    )
    const hash = await wallet.sendTransaction({ to: devAccount(6).address, value: 2n })
    expect((await wallet.waitForTransactionReceipt({ hash, pollingInterval: 100 })).status).toBe(
      'success',
    )
  }, 60_000)

  test('behavior: with the sequencer down the peer serves reads and says the sequencer is unreachable; what it accepted is mined once it is back', async () => {
    const account = devAccount(4)
    const chain = defineEdgeL2(`${peer.url}/chain/901`, d.l1Chain.id, d.deployment.shards[0])
    const wallet = createWalletClient({ account, chain, transport: http() }).extend(publicActions)
    const p = rpc(peer.url)
    const nonce = await p.getTransactionCount({ address: account.address })
    // Accepted with a nonce gap: pooled at the sequencer, not mined yet.
    const sign = (n: number) =>
      wallet.signTransaction({
        to: devAccount(6).address,
        value: 3n,
        nonce: n,
        gas: 21_000n,
        maxFeePerGas: parseEther('0.00000001'),
        maxPriorityFeePerGas: 1n,
      })
    const gapped = await p.request({
      method: 'eth_sendRawTransaction',
      params: [await sign(nonce + 1)],
    })
    await d.node.stop('SIGKILL')

    const head = await p.getBlockNumber()
    expect(await p.getBalance({ address: account.address, blockNumber: head })).toBeGreaterThan(0n)
    const t0 = Date.now()
    const res = await fetch(`${peer.url}/chain/901`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_sendRawTransaction',
        params: [await sign(nonce)],
      }),
    })
    const body = (await res.json()) as any
    expect(res.status).toBe(200)
    expect(body.error).toMatchObject({
      code: -32002,
      message: expect.stringMatching(/sequencer unavailable/),
    })
    expect(Date.now() - t0).toBeLessThan(15_000)

    await d.restartNode('SIGKILL')
    const first = await p.request({ method: 'eth_sendRawTransaction', params: [await sign(nonce)] })
    for (const hash of [first, gapped])
      expect(
        (await p.waitForTransactionReceipt({ hash, timeout: 30_000, pollingInterval: 200 })).status,
      ).toBe('success')
  }, 120_000)
})
