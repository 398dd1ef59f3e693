import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  decodeEventLog,
  encodeDeployData,
  encodeFunctionData,
  parseGwei,
  parseUnits,
  type Address,
  type Hex,
} from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { testTokenAbi, testTokenBytecode } from '../../generated/contracts/TestToken.js'
import {
  DEV_BALANCE,
  devAccount,
  freshAddress,
  post,
  rpcResult,
  waitFor,
  waitForReceipt,
} from './node.fixtures.js'
import { getFreePort, startNode, type L2Node } from './processes.js'

/**
 * A crash mid-stream (invariants 1 and 5): with real block timing (BLOCK_TIME_MS=1000), transfers
 * stream in while the node is killed with SIGKILL, then it starts again on the same state and port.
 * Every transaction whose hash was acknowledged is pending or mined after the restart and then mined;
 * the blocks sealed before the crash keep their hashes and state roots, the chain continues from them,
 * and balances, nonces and the D1-served logs agree with what was mined.
 */

const VARS = { BLOCK_TIME_MS: '1000' }
const tokenOwner = devAccount(0)
const senders = [devAccount(1), devAccount(2), devAccount(3)]
const fees = { maxFeePerGas: parseGwei('50'), maxPriorityFeePerGas: parseGwei('1') }

type Sent = {
  hash: Hex
  from: Address
  nonce: number
  to: Address
  value: bigint
  kind: 'eth' | 'token'
}
type BlockSummary = {
  number: string
  hash: Hex
  parentHash: Hex
  stateRoot: Hex
  transactions: Hex[]
}

let persistDir: string
let port: number
let node: L2Node
let url: string
let token: Address
let tokenBlock: bigint
const acked: Sent[] = []
const beforeKill: BlockSummary[] = []
let balanceAtOldHead: { block: string; address: Address; balance: string }

beforeAll(async () => {
  persistDir = mkdtempSync(path.join(tmpdir(), 'edge-l2-restart-'))
  port = await getFreePort()
  node = await startNode({ port, persistDir, vars: VARS })
  url = `${node.url}/chain/901`
  const data = encodeDeployData({
    abi: testTokenAbi,
    bytecode: testTokenBytecode,
    args: ['Restart', 'RST', parseUnits('1000000', 18)],
  })
  const raw = await tokenOwner.signTransaction({
    chainId: 901,
    type: 'eip1559',
    nonce: 0,
    data,
    gas: 3_000_000n,
    ...fees,
  })
  const receipt = await waitForReceipt(url, await rpcResult(url, 'eth_sendRawTransaction', [raw]))
  token = receipt.contractAddress
  tokenBlock = BigInt(receipt.blockNumber)
})

afterAll(async () => {
  await node?.stop()
  if (persistDir) rmSync(persistDir, { recursive: true, force: true })
})

const block = (n: number | bigint): Promise<BlockSummary> =>
  rpcResult(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
const head = async () => Number(await rpcResult(url, 'eth_blockNumber'))

/**
 * Sends transfers one after another, round-robin over the ETH senders and the token owner, and records
 * each one the node acknowledged with its hash. Ends at the first request that fails to get an answer.
 */
async function stream(signal: { stop: boolean }) {
  const all = [...senders, tokenOwner]
  const nonces = new Map<Address, number>()
  for (const a of all)
    nonces.set(
      a.address,
      Number(await rpcResult(url, 'eth_getTransactionCount', [a.address, 'pending'])),
    )
  const recipients = all.map(() => freshAddress())
  for (let i = 0; !signal.stop; i++) {
    const k = i % all.length
    const from = all[k]
    const nonce = nonces.get(from.address)!
    const isToken = from === tokenOwner
    const value = BigInt(1000 + i)
    const raw = isToken
      ? await from.signTransaction({
          chainId: 901,
          type: 'eip1559',
          nonce,
          to: token,
          data: encodeFunctionData({
            abi: testTokenAbi,
            functionName: 'transfer',
            args: [recipients[k], value],
          }),
          gas: 100_000n,
          ...fees,
        })
      : await from.signTransaction({
          chainId: 901,
          type: 'eip1559',
          nonce,
          to: recipients[k],
          value,
          gas: 21_000n,
          ...fees,
        })
    let res
    try {
      res = await post(url, {
        jsonrpc: '2.0',
        id: i,
        method: 'eth_sendRawTransaction',
        params: [raw],
      })
    } catch {
      return // the node is gone
    }
    if (res.json?.result === undefined) throw new Error(`transaction ${i} refused: ${res.text}`)
    acked.push({
      hash: res.json.result,
      from: from.address,
      nonce,
      to: recipients[k],
      value,
      kind: isToken ? 'token' : 'eth',
    })
    nonces.set(from.address, nonce + 1)
  }
}

describe('restart after SIGKILL', () => {
  test('default: every acknowledged transaction survives a SIGKILL mid-stream and is mined', async () => {
    const start = await head()
    const signal = { stop: false }
    const streaming = stream(signal)
    try {
      // Kill once blocks are being sealed from the stream and more is still coming in.
      await waitFor(
        'two blocks from the stream and a pool with work',
        async () =>
          (await head()) >= start + 2 &&
          acked.length >= 20 &&
          (await rpcResult(url, 'txpool_status')).pending !== '0x0',
        90_000,
      )
      const top = await head()
      for (let n = 0; n <= top; n++) beforeKill.push(await block(n))
      const probe = senders[0].address
      balanceAtOldHead = {
        block: beforeKill.at(-1)!.number,
        address: probe,
        balance: await rpcResult(url, 'eth_getBalance', [probe, beforeKill.at(-1)!.number]),
      }
      await node.stop('SIGKILL')
    } finally {
      signal.stop = true
      await streaming
    }
    expect(acked.length).toBeGreaterThanOrEqual(20)
    // Some acknowledged transactions were only in the pool when the node died.
    const sealed = new Set(beforeKill.flatMap((b) => b.transactions))
    expect(acked.filter((t) => !sealed.has(t.hash)).length).toBeGreaterThan(0)

    node = await waitFor(
      'the port to be free again',
      () => startNode({ port, persistDir, vars: VARS }),
      120_000,
    )
    url = `${node.url}/chain/901`
    // Right after the restart: each acknowledged hash is still known, pending or mined, never lost.
    const statuses = await Promise.all(
      acked.map((t) => rpcResult(url, 'edge_getTransactionStatus', [t.hash])),
    )
    expect(statuses.filter((s) => s.status !== 'pending' && s.status !== 'mined')).toEqual([])
    // Then all of them are mined.
    for (const t of acked) {
      const receipt = await waitForReceipt(url, t.hash, 60_000)
      expect(receipt.status, t.hash).toBe('0x1')
    }
    await waitFor('an empty pool', async () => {
      const s = await rpcResult(url, 'txpool_status')
      return s.pending === '0x0' && s.queued === '0x0'
    })
  })

  test('behavior: blocks sealed before the kill keep their hashes and state roots; the chain continues from them', async () => {
    expect(beforeKill.length).toBeGreaterThan(2)
    for (const old of beforeKill) {
      const now = await block(BigInt(old.number))
      expect({
        number: now.number,
        hash: now.hash,
        stateRoot: now.stateRoot,
        transactions: now.transactions,
      }).toEqual({
        number: old.number,
        hash: old.hash,
        stateRoot: old.stateRoot,
        transactions: old.transactions,
      })
    }
    // Archive state of an old block reads the same as before the crash.
    expect(
      await rpcResult(url, 'eth_getBalance', [balanceAtOldHead.address, balanceAtOldHead.block]),
    ).toBe(balanceAtOldHead.balance)
    // One chain: contiguous numbers, each block's parent is the block before it, no transaction twice.
    const top = await head()
    expect(top).toBeGreaterThanOrEqual(beforeKill.length - 1)
    const seen = new Set<Hex>()
    let parent = await block(0)
    for (let n = 1; n <= top; n++) {
      const b = await block(n)
      expect(b.number).toBe(`0x${n.toString(16)}`)
      expect(b.parentHash, `parent of block ${n}`).toBe(parent.hash)
      for (const h of b.transactions) {
        expect(seen.has(h), `${h} mined twice`).toBe(false)
        seen.add(h)
      }
      parent = b
    }
    for (const t of acked) expect(seen.has(t.hash), t.hash).toBe(true)
  })

  test('behavior: balances, nonces and token balances agree with what was mined', async () => {
    // What the chain says was mined, from every block's receipts.
    const top = await head()
    const spent = new Map<string, bigint>()
    const minedCount = new Map<string, number>()
    for (let n = 1; n <= top; n++) {
      const receipts = await rpcResult(url, 'eth_getBlockReceipts', [`0x${n.toString(16)}`])
      for (const r of receipts) {
        const tx = await rpcResult(url, 'eth_getTransactionByHash', [r.transactionHash])
        const cost = BigInt(tx.value) + BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice)
        spent.set(r.from, (spent.get(r.from) ?? 0n) + cost)
        minedCount.set(r.from, (minedCount.get(r.from) ?? 0) + 1)
      }
    }
    for (const a of [...senders, tokenOwner]) {
      const from = a.address.toLowerCase()
      expect(BigInt(await rpcResult(url, 'eth_getBalance', [a.address, 'latest'])), from).toBe(
        DEV_BALANCE - (spent.get(from) ?? 0n),
      )
      expect(
        Number(await rpcResult(url, 'eth_getTransactionCount', [a.address, 'latest'])),
        from,
      ).toBe(minedCount.get(from) ?? 0)
    }
    // Every acknowledged transfer reached its recipient, once.
    const owed = new Map<string, { kind: Sent['kind']; value: bigint }>()
    for (const t of acked)
      owed.set(t.to, { kind: t.kind, value: (owed.get(t.to)?.value ?? 0n) + t.value })
    for (const [to, { kind, value }] of owed) {
      const balance =
        kind === 'eth'
          ? BigInt(await rpcResult(url, 'eth_getBalance', [to, 'latest']))
          : BigInt(
              await rpcResult(url, 'eth_call', [
                {
                  to: token,
                  data: encodeFunctionData({
                    abi: testTokenAbi,
                    functionName: 'balanceOf',
                    args: [to as Address],
                  }),
                },
                'latest',
              ]),
            )
      // A transaction in flight at the kill may have been stored without its answer arriving: at least what was acknowledged.
      expect(balance >= value, `${kind} balance of ${to}`).toBe(true)
      expect(balance - value <= BigInt(1000 + acked.length + 8), `${kind} balance of ${to}`).toBe(
        true,
      )
    }
  })

  test('behavior: eth_getLogs after the restart has each Transfer exactly once', async () => {
    const logs = await rpcResult(url, 'eth_getLogs', [
      { address: token, fromBlock: `0x${tokenBlock.toString(16)}`, toBlock: 'latest' },
    ])
    const byTx = new Map<Hex, number>()
    for (const l of logs) byTx.set(l.transactionHash, (byTx.get(l.transactionHash) ?? 0) + 1)
    expect([...byTx.values()].every((c) => c === 1)).toBe(true)
    for (const t of acked.filter((t) => t.kind === 'token')) {
      expect(byTx.get(t.hash), t.hash).toBe(1)
      const log = logs.find((l: { transactionHash: Hex }) => l.transactionHash === t.hash)
      expect(
        decodeEventLog({ abi: testTokenAbi, data: log.data, topics: log.topics }),
      ).toMatchObject({ eventName: 'Transfer', args: { to: t.to, value: t.value } })
    }
    const keys = logs.map(
      (l: { blockNumber: Hex; logIndex: Hex }) => `${l.blockNumber}:${l.logIndex}`,
    )
    expect(new Set(keys).size).toBe(keys.length)
  })

  test('behavior: the restarted node keeps sealing new blocks on top', async () => {
    const top = await head()
    const from = senders[1]
    const nonce = Number(await rpcResult(url, 'eth_getTransactionCount', [from.address, 'pending']))
    const raw = await from.signTransaction({
      chainId: 901,
      type: 'eip1559',
      nonce,
      to: freshAddress(),
      value: 1n,
      gas: 21_000n,
      ...fees,
    })
    const receipt = await waitForReceipt(url, await rpcResult(url, 'eth_sendRawTransaction', [raw]))
    expect(Number(receipt.blockNumber)).toBeGreaterThan(top)
    expect((await block(Number(receipt.blockNumber))).parentHash).toBe(
      (await block(Number(receipt.blockNumber) - 1)).hash,
    )
  })
})
