import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { encodeDeployData, encodeFunctionData, parseGwei, parseUnits, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { testTokenAbi, testTokenBytecode } from '../../generated/contracts/TestToken.js'
import {
  devAccount,
  freshAddress,
  getShards,
  openSocket,
  post,
  rpc,
  rpcResult,
  waitFor,
  waitForReceipt,
  type ShardInfo,
} from './node.fixtures.js'
import { startNode, type L2Node } from './processes.js'

/**
 * Several chains in one deployment (wrangler.toml SHARDS = 901, 902): discovery by GET /chains, `/`
 * as an alias of the first, and isolation: state, blocks, transactions, logs, filters and the shared
 * D1 history of one shard never show the other's. Automine (BLOCK_TIME_MS=0).
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const alice = devAccount(0)
const deployer = devAccount(1)
const fees = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1') }

let node: L2Node
let shards: ShardInfo[]
let a: string
let b: string

beforeAll(async () => {
  node = await startNode({ vars: { BLOCK_TIME_MS: '0' } })
  shards = await getShards(node.url)
  a = shards.find((s) => s.chainId === 901)!.rpcUrl
  b = shards.find((s) => s.chainId === 902)!.rpcUrl
})

afterAll(async () => {
  await node?.stop()
})

/** Signs and sends a plain transfer from `alice` on one shard; returns the hash once mined. */
async function transfer(url: string, chainId: number, to: Hex, value: bigint) {
  const nonce = Number(await rpcResult(url, 'eth_getTransactionCount', [alice.address, 'pending']))
  const raw = await alice.signTransaction({
    chainId,
    type: 'eip1559',
    nonce,
    to,
    value,
    gas: 21_000n,
    ...fees,
  })
  const hash = (await rpcResult(url, 'eth_sendRawTransaction', [raw])) as Hex
  await waitForReceipt(url, hash)
  return hash
}

/** Rows of the node's local D1 database (`wrangler d1 execute --local` on its persist directory). */
async function d1(sql: string): Promise<Record<string, unknown>[]> {
  const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler')
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      wrangler,
      'd1',
      'execute',
      'DB',
      '--local',
      '--persist-to',
      node.persistDir,
      '--json',
      '--command',
      sql,
    ],
    {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      maxBuffer: 16 << 20,
    },
  )
  return (JSON.parse(stdout) as { results: Record<string, unknown>[] }[])[0].results
}

describe('shards: discovery and routing', () => {
  test('default: GET /chains lists 901 and 902 with their HTTP and WebSocket endpoints', async () => {
    const port = new URL(node.url).port
    expect(shards).toEqual([
      {
        chainId: 901,
        name: expect.any(String),
        rpcUrl: `${node.url}/chain/901`,
        wsUrl: `ws://127.0.0.1:${port}/chain/901`,
        role: 'sequencer',
        // As GET /health reports the shard (no L1 here, so nothing to fail).
        health: { healthy: true, failures: [] },
      },
      {
        chainId: 902,
        name: expect.any(String),
        rpcUrl: `${node.url}/chain/902`,
        wsUrl: `ws://127.0.0.1:${port}/chain/902`,
        role: 'sequencer',
        // As GET /health reports the shard (no L1 here, so nothing to fail).
        health: { healthy: true, failures: [] },
      },
    ])
    for (const s of shards) {
      expect(await rpcResult(s.rpcUrl, 'eth_chainId')).toBe(`0x${s.chainId.toString(16)}`)
      expect(await rpcResult(s.rpcUrl, 'net_version')).toBe(String(s.chainId))
      const ws = await openSocket(s.wsUrl)
      try {
        ws.send({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })
        expect((await ws.next(`eth_chainId over ${s.wsUrl}`, (m) => m.id === 1)).result).toBe(
          `0x${s.chainId.toString(16)}`,
        )
      } finally {
        ws.close()
      }
    }
  })

  test('behavior: / serves the first shard, the same chain as /chain/901', async () => {
    const root = `${node.url}/`
    expect(await rpcResult(root, 'eth_chainId')).toBe('0x385')
    const hash = await transfer(root, 901, freshAddress(), 1n)
    const [viaRoot, viaPath] = await Promise.all([
      rpcResult(root, 'eth_getTransactionReceipt', [hash]),
      rpcResult(a, 'eth_getTransactionReceipt', [hash]),
    ])
    expect(viaRoot).toEqual(viaPath)
    const [headRoot, headPath] = await Promise.all([
      rpcResult(root, 'eth_getBlockByNumber', ['latest', false]),
      rpcResult(a, 'eth_getBlockByNumber', ['latest', false]),
    ])
    expect(headRoot).toEqual(headPath)
    expect(await rpcResult(b, 'eth_getTransactionReceipt', [hash])).toBeNull()
  })

  test('behavior: an unknown chain id in the path is a clear 404, over HTTP and for a websocket', async () => {
    const r = await post(`${node.url}/chain/903`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_chainId',
      params: [],
    })
    expect(r.status).toBe(404)
    expect(r.json.error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/unknown chain id 903.*901, 902/),
    })
    const bad = await post(`${node.url}/chain/abc`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_chainId',
      params: [],
    })
    expect(bad.status).toBe(404)
    expect(bad.json.error.code).toBe(-32602)
    const outcome = await openSocket(`ws://127.0.0.1:${new URL(node.url).port}/chain/903`).then(
      (ws) => (ws.close(), 'open'),
      () => 'error',
    )
    expect(outcome).toBe('error')
  })
})

describe('shards: isolation', () => {
  test('default: a transfer on 902 changes nothing on 901', async () => {
    const to = freshAddress()
    const before901 = {
      block: await rpcResult(a, 'eth_getBlockByNumber', ['latest', false]),
      nonce: await rpcResult(a, 'eth_getTransactionCount', [alice.address, 'pending']),
      balance: await rpcResult(a, 'eth_getBalance', [alice.address, 'latest']),
    }
    const balance902 = BigInt(await rpcResult(b, 'eth_getBalance', [alice.address, 'latest']))
    const hash = await transfer(b, 902, to, 12345n)
    expect(await rpcResult(b, 'eth_getBalance', [to, 'latest'])).toBe('0x3039')
    expect(BigInt(await rpcResult(b, 'eth_getBalance', [alice.address, 'latest']))).toBeLessThan(
      balance902 - 12345n,
    )
    // 901 has no trace of it.
    expect(await rpcResult(a, 'eth_getBalance', [to, 'latest'])).toBe('0x0')
    expect(await rpcResult(a, 'eth_getBlockByNumber', ['latest', false])).toEqual(before901.block)
    expect(await rpcResult(a, 'eth_getTransactionCount', [alice.address, 'pending'])).toBe(
      before901.nonce,
    )
    expect(await rpcResult(a, 'eth_getBalance', [alice.address, 'latest'])).toBe(before901.balance)
    expect(await rpcResult(a, 'eth_getTransactionByHash', [hash])).toBeNull()
    expect(await rpcResult(a, 'eth_getTransactionReceipt', [hash])).toBeNull()
    expect(await rpcResult(a, 'edge_getTransactionStatus', [hash])).toEqual({ status: 'unknown' })
    const receipt = await rpcResult(b, 'eth_getTransactionReceipt', [hash])
    expect(await rpcResult(a, 'eth_getBlockByHash', [receipt.blockHash, false])).toBeNull()
  })

  test('behavior: a transaction signed for 901 is refused by 902 with the chain id error', async () => {
    const nonce902 = await rpcResult(b, 'eth_getTransactionCount', [alice.address, 'pending'])
    const head902 = await rpcResult(b, 'eth_blockNumber')
    const raw = await alice.signTransaction({
      chainId: 901,
      type: 'eip1559',
      nonce: Number(nonce902),
      to: freshAddress(),
      value: 1n,
      gas: 21_000n,
      ...fees,
    })
    const r = await rpc(b, 'eth_sendRawTransaction', [raw])
    expect(r.error).toEqual({
      code: -32000,
      message: 'invalid chain id for signer: have 901 want 902',
    })
    expect(await rpcResult(b, 'eth_getTransactionCount', [alice.address, 'pending'])).toBe(nonce902)
    expect(await rpcResult(b, 'eth_blockNumber')).toBe(head902)
    expect(await rpcResult(b, 'txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
    const legacy = await alice.signTransaction({
      chainId: 901,
      type: 'legacy',
      nonce: Number(nonce902),
      to: freshAddress(),
      value: 1n,
      gas: 21_000n,
      gasPrice: parseGwei('20'),
    })
    expect((await rpc(b, 'eth_sendRawTransaction', [legacy])).error?.message).toBe(
      'invalid chain id for signer: have 901 want 902',
    )
  })

  test('behavior: a transaction without a chain id (pre-EIP-155) cannot be replayed on the other shard', async () => {
    // Both shards share the dev keys and genesis, so a transaction that commits to no chain id is
    // valid on both. geth refuses them over RPC ("only replay-protected (EIP-155) transactions allowed
    // over RPC"); whatever the policy, one signature must not move funds on two shards.
    const nonce901 = Number(
      await rpcResult(a, 'eth_getTransactionCount', [alice.address, 'pending']),
    )
    const nonce902 = Number(
      await rpcResult(b, 'eth_getTransactionCount', [alice.address, 'pending']),
    )
    // Bring both shards to the same nonce, so the same unprotected transaction fits both.
    for (let n = nonce902; n < nonce901; n++) await transfer(b, 902, freshAddress(), 1n)
    for (let n = nonce901; n < nonce902; n++) await transfer(a, 901, freshAddress(), 1n)
    const nonce = Math.max(nonce901, nonce902)
    const to = freshAddress()
    const raw = await alice.signTransaction({
      type: 'legacy',
      nonce,
      to,
      value: 777n,
      gas: 21_000n,
      gasPrice: parseGwei('20'),
    })
    const on901 = await rpc(a, 'eth_sendRawTransaction', [raw])
    const on902 = await rpc(b, 'eth_sendRawTransaction', [raw])
    for (const [url, r] of [
      [a, on901],
      [b, on902],
    ] as const)
      if (r.result) await waitForReceipt(url, r.result)
    const moved = [
      await rpcResult(a, 'eth_getBalance', [to, 'latest']),
      await rpcResult(b, 'eth_getBalance', [to, 'latest']),
    ]
    expect(
      moved.filter((v) => v !== '0x0').length,
      JSON.stringify({ on901, on902 }),
    ).toBeLessThanOrEqual(1)
  })

  test('behavior: the same contract at the same address on both shards keeps separate logs and filters', async () => {
    // The same deployer at the same nonce deploys at the same address on both shards.
    const deploy = async (url: string, chainId: number) => {
      const nonce = Number(
        await rpcResult(url, 'eth_getTransactionCount', [deployer.address, 'pending']),
      )
      const data = encodeDeployData({
        abi: testTokenAbi,
        bytecode: testTokenBytecode,
        args: ['Shard', 'SHD', parseUnits('1000', 18)],
      })
      const raw = await deployer.signTransaction({
        chainId,
        type: 'eip1559',
        nonce,
        data,
        gas: 3_000_000n,
        ...fees,
      })
      return (await waitForReceipt(url, await rpcResult(url, 'eth_sendRawTransaction', [raw])))
        .contractAddress as Hex
    }
    const [tokenA, tokenB] = [await deploy(a, 901), await deploy(b, 902)]
    expect(tokenA).toBe(tokenB)
    const filterA = await rpcResult(a, 'eth_newFilter', [{ address: tokenA }])
    const blocksA = await rpcResult(a, 'eth_newBlockFilter')
    // A transfer of the token on 902 only.
    const nonce = Number(
      await rpcResult(b, 'eth_getTransactionCount', [deployer.address, 'pending']),
    )
    const data = encodeFunctionData({
      abi: testTokenAbi,
      functionName: 'transfer',
      args: [alice.address, 5n],
    })
    const raw = await deployer.signTransaction({
      chainId: 902,
      type: 'eip1559',
      nonce,
      to: tokenB,
      data,
      gas: 100_000n,
      ...fees,
    })
    const hash = await rpcResult(b, 'eth_sendRawTransaction', [raw])
    await waitForReceipt(b, hash)
    const logsB = await rpcResult(b, 'eth_getLogs', [{ address: tokenB, fromBlock: '0x0' }])
    const logsA = await rpcResult(a, 'eth_getLogs', [{ address: tokenA, fromBlock: '0x0' }])
    expect(logsB.map((l: any) => l.transactionHash)).toContain(hash)
    expect(logsB).toHaveLength(2)
    expect(logsA).toHaveLength(1) // the mint only
    expect(logsA[0].transactionHash).not.toBe(hash)
    expect(await rpcResult(a, 'eth_getFilterChanges', [filterA])).toEqual([])
    expect(await rpcResult(a, 'eth_getFilterChanges', [blocksA])).toEqual([])
    // A filter id belongs to its shard.
    expect((await rpc(b, 'eth_getFilterChanges', [filterA])).error).toMatchObject({
      code: -32602,
      message: 'filter not found',
    })
  })

  test("behavior: the shared D1 history keeps each shard's blocks and transactions apart", async () => {
    // Both shards now have blocks with the same numbers; each chain's rows must all be there.
    const expected: Record<number, { blocks: Map<number, string>; txs: Set<string> }> = {}
    for (const [chainId, url] of [
      [901, a],
      [902, b],
    ] as const) {
      const head = Number(await rpcResult(url, 'eth_blockNumber'))
      const blocks = new Map<number, string>()
      const txs = new Set<string>()
      for (let n = 0; n <= head; n++) {
        const block = await rpcResult(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
        blocks.set(n, block.hash)
        for (const t of block.transactions) txs.add(t)
      }
      expected[chainId] = { blocks, txs }
    }
    const rows = await waitFor(
      'the D1 index to catch up',
      async () => {
        const [blocks, txs] = await Promise.all([
          d1('SELECT chain_id, number, hash FROM blocks ORDER BY chain_id, number'),
          d1('SELECT chain_id, hash FROM transactions ORDER BY chain_id, block_number, tx_index'),
        ])
        const caughtUp = [901, 902].every(
          (c) => blocks.filter((r) => r.chain_id === c).length >= expected[c].blocks.size,
        )
        return caughtUp ? { blocks, txs } : undefined
      },
      90_000,
    )
    for (const c of [901, 902]) {
      const blocks = new Map(
        rows.blocks
          .filter((r) => r.chain_id === c)
          .map((r) => [r.number as number, r.hash as string]),
      )
      expect(blocks).toEqual(expected[c].blocks)
      expect(
        new Set(rows.txs.filter((r) => r.chain_id === c).map((r) => r.hash as string)),
      ).toEqual(expected[c].txs)
    }
  })
})
