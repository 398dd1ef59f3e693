import {
  createPublicClient,
  createWalletClient,
  http,
  parseUnits,
  webSocket,
  type Account,
  type Address,
  type Block,
  type Chain,
  type Hex,
  type Log,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { testTokenAbi, testTokenBytecode } from '../../generated/contracts/TestToken.js'
import {
  devAccount,
  freshAddress,
  getShards,
  openSocket,
  shardChain,
  waitFor,
  type ShardInfo,
} from './node.fixtures.js'
import { startNode, type L2Node } from './processes.js'

/**
 * Events through viem: by query (getContractEvents, getLogs over D1 and the sequencer's receipts), by
 * polling filter (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter) and by
 * subscription over WebSocket (logs, newHeads, newPendingTransactions). Automine (BLOCK_TIME_MS=0).
 */

const owner = devAccount(0)
const spender = devAccount(1)
const SUPPLY = parseUnits('1000000', 18)

/** A wallet client with its account and chain set, so that writes need neither. */
type Wallet = WalletClient<Transport, Chain, Account>

let node: L2Node
let shard: ShardInfo
let chain: Chain
let pub: PublicClient
let pubWs: PublicClient
const wallet: Record<'owner' | 'spender', Wallet> = {} as never
let token: Address
let deployBlock: bigint

beforeAll(async () => {
  node = await startNode({ vars: { BLOCK_TIME_MS: '0' } })
  shard = (await getShards(node.url)).find((s) => s.chainId === 901)!
  chain = shardChain(shard)
  const transport = http(shard.rpcUrl, { retryCount: 0 })
  pub = createPublicClient({ chain, transport, pollingInterval: 50 })
  pubWs = createPublicClient({
    chain,
    transport: webSocket(shard.wsUrl, { retryCount: 0 }),
    pollingInterval: 50,
  })
  wallet.owner = createWalletClient({ chain, transport, account: owner })
  wallet.spender = createWalletClient({ chain, transport, account: spender })
  const hash = await wallet.owner.deployContract({
    abi: testTokenAbi,
    bytecode: testTokenBytecode,
    args: ['Event Token', 'EVT', SUPPLY],
  })
  const receipt = await pub.waitForTransactionReceipt({ hash })
  token = receipt.contractAddress!
  deployBlock = receipt.blockNumber
  await pub.waitForTransactionReceipt({
    hash: await wallet.owner.writeContract({
      ...erc20(),
      functionName: 'approve',
      args: [spender.address, 50n],
    }),
  })
})

afterAll(async () => {
  await pubWs?.transport
    .getRpcClient?.()
    .then((c: { close(): void }) => c.close())
    .catch(() => {})
  await node?.stop()
})

const erc20 = () => ({ address: token, abi: testTokenAbi }) as const

describe('viem: events', () => {
  test('default: getContractEvents and getLogs by address, topics, block range and blockHash', async () => {
    const erin = freshAddress()
    const receipt = await pub.waitForTransactionReceipt({
      hash: await wallet.owner.writeContract({
        ...erc20(),
        functionName: 'transfer',
        args: [erin, 42n],
        chain,
      }),
    })
    const all = await pub.getContractEvents({
      ...erc20(),
      eventName: 'Transfer',
      fromBlock: deployBlock,
      toBlock: 'latest',
    })
    // The mint at deployment, then every transfer since, in chain order.
    expect(all[0].args).toEqual({
      from: '0x0000000000000000000000000000000000000000',
      to: owner.address,
      value: SUPPLY,
    })
    expect(all[0].blockNumber).toBe(deployBlock)
    expect(all.map((l) => [l.blockNumber, l.logIndex])).toEqual(
      [...all]
        .sort((a, b) => Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex)
        .map((l) => [l.blockNumber, l.logIndex]),
    )
    const mine = all.filter((l) => l.transactionHash === receipt.transactionHash)
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({
      address: token.toLowerCase(),
      blockHash: receipt.blockHash,
      blockNumber: receipt.blockNumber,
      logIndex: receipt.logs[0].logIndex,
      transactionIndex: receipt.transactionIndex,
      args: { from: owner.address, to: erin, value: 42n },
    })
    // Indexed argument → topic: only transfers to erin.
    const toErin = await pub.getContractEvents({
      ...erc20(),
      eventName: 'Transfer',
      args: { to: erin },
      fromBlock: deployBlock,
    })
    expect(toErin.map((l) => l.transactionHash)).toEqual([receipt.transactionHash])
    // A one-block range and the same block by hash.
    const inBlock = await pub.getLogs({
      address: token,
      fromBlock: receipt.blockNumber,
      toBlock: receipt.blockNumber,
    })
    const byHash = await pub.getLogs({ address: token, blockHash: receipt.blockHash })
    expect(byHash).toEqual(inBlock)
    expect(byHash.map((l) => l.logIndex)).toEqual(receipt.logs.map((l) => l.logIndex))
    // Approval events come from their own topic.
    const approvals = await pub.getContractEvents({
      ...erc20(),
      eventName: 'Approval',
      args: { owner: owner.address, spender: spender.address },
      fromBlock: deployBlock,
    })
    expect(approvals.length).toBeGreaterThan(0)
    expect(approvals.at(-1)!.args.value).toBe(50n)
    // Another address, or a range before deployment, matches nothing.
    expect(await pub.getLogs({ address: freshAddress(), fromBlock: 0n })).toEqual([])
    expect(await pub.getLogs({ address: token, fromBlock: 0n, toBlock: deployBlock - 1n })).toEqual(
      [],
    )
    // The webSocket transport answers the same.
    expect(
      await pubWs.getContractEvents({
        ...erc20(),
        eventName: 'Transfer',
        fromBlock: deployBlock,
        toBlock: receipt.blockNumber,
      }),
    ).toEqual(all.filter((l) => l.blockNumber <= receipt.blockNumber))
  })

  test('behavior: watchContractEvent and watchBlocks over webSocket (eth_subscribe logs, newHeads)', async () => {
    const rpcClient = await pubWs.transport.getRpcClient()
    const before = rpcClient.subscriptions.size
    const logs: Log[] = []
    const blocks: Block[] = []
    const errors: Error[] = []
    const frank = freshAddress()
    const unwatchLogs = pubWs.watchContractEvent({
      ...erc20(),
      eventName: 'Transfer',
      args: { to: frank },
      onLogs: (l) => logs.push(...(l as Log[])),
      onError: (e) => errors.push(e),
    })
    const unwatchBlocks = pubWs.watchBlocks({
      onBlock: (b) => void blocks.push(b),
      onError: (e) => errors.push(e),
    })
    try {
      // Both subscriptions acknowledged before anything is sent.
      await waitFor('two subscriptions', async () => rpcClient.subscriptions.size >= before + 2)
      const receipt = await pub.waitForTransactionReceipt({
        hash: await wallet.owner.writeContract({
          ...erc20(),
          functionName: 'transfer',
          args: [frank, 9n],
          chain,
        }),
      })
      await waitFor('the Transfer log', async () => logs.length > 0)
      await waitFor('the new head', async () => blocks.some((b) => b.hash === receipt.blockHash))
      expect(errors).toEqual([])
      expect(logs).toHaveLength(1)
      expect(logs[0]).toMatchObject({
        eventName: 'Transfer',
        args: { from: owner.address, to: frank, value: 9n },
        transactionHash: receipt.transactionHash,
        blockHash: receipt.blockHash,
        blockNumber: receipt.blockNumber,
        logIndex: receipt.logs[0].logIndex,
        removed: false,
      })
      const head = blocks.find((b) => b.hash === receipt.blockHash)!
      const block = await pub.getBlock({ blockHash: receipt.blockHash })
      expect(head).toMatchObject({
        number: block.number,
        parentHash: block.parentHash,
        stateRoot: block.stateRoot,
        timestamp: block.timestamp,
      })
    } finally {
      unwatchLogs()
      unwatchBlocks()
    }
  })

  test('behavior: polling filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter)', async () => {
    const gina = freshAddress()
    const events = await pub.createContractEventFilter({
      ...erc20(),
      eventName: 'Transfer',
      args: { to: gina },
    })
    const all = await pub.createContractEventFilter({
      ...erc20(),
      eventName: 'Transfer',
      fromBlock: deployBlock,
    })
    const blocks = await pub.createBlockFilter()
    const pending = await pub.createPendingTransactionFilter()
    const hash = await wallet.owner.writeContract({
      ...erc20(),
      functionName: 'transfer',
      args: [gina, 11n],
      chain,
    })
    const receipt = await pub.waitForTransactionReceipt({ hash })

    const seenLogs = await waitFor('the filtered Transfer', async () => {
      const l = await pub.getFilterChanges({ filter: events })
      return l.length ? l : undefined
    })
    expect(seenLogs).toHaveLength(1)
    expect(seenLogs[0]).toMatchObject({
      eventName: 'Transfer',
      args: { from: owner.address, to: gina, value: 11n },
      transactionHash: hash,
    })
    expect(await pub.getFilterChanges({ filter: events })).toEqual([])

    const seenBlocks: Hex[] = []
    await waitFor('the block hash', async () => {
      seenBlocks.push(...(await pub.getFilterChanges({ filter: blocks })))
      return seenBlocks.includes(receipt.blockHash)
    })
    expect(new Set(seenBlocks).size).toBe(seenBlocks.length)

    const seenPending: Hex[] = []
    await waitFor('the pending hash', async () => {
      seenPending.push(...(await pub.getFilterChanges({ filter: pending })))
      return seenPending.includes(hash)
    })

    // A filter with fromBlock answers eth_getFilterLogs with history, the mint included.
    const history = await pub.getFilterLogs({ filter: all })
    expect(history[0].args).toMatchObject({ to: owner.address, value: SUPPLY })
    expect(history.at(-1)!.transactionHash).toBe(hash)

    expect(await pub.uninstallFilter({ filter: events })).toBe(true)
    expect(await pub.uninstallFilter({ filter: events })).toBe(false)
    await expect(pub.getFilterChanges({ filter: events })).rejects.toThrow(/filter not found/)
    for (const f of [all, blocks, pending]) await pub.uninstallFilter({ filter: f })
  })

  test('behavior: eth_subscribe newPendingTransactions over a raw WebSocket', async () => {
    const ws = await openSocket(shard.wsUrl)
    try {
      ws.send({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_subscribe',
        params: ['newPendingTransactions'],
      })
      const ack = await ws.next('the subscription id', (m) => m.id === 1)
      expect(ack.result).toMatch(/^0x[0-9a-f]+$/)
      const hash = await wallet.spender.sendTransaction({ to: freshAddress(), value: 1n, chain })
      const note = await ws.next(
        'the pending notification',
        (m) => m.method === 'eth_subscription' && m.params.result === hash,
      )
      expect(note).toEqual({
        jsonrpc: '2.0',
        method: 'eth_subscription',
        params: { subscription: ack.result, result: hash },
      })
      ws.send({ jsonrpc: '2.0', id: 2, method: 'eth_unsubscribe', params: [ack.result] })
      expect((await ws.next('the unsubscribe answer', (m) => m.id === 2)).result).toBe(true)
    } finally {
      ws.close()
    }
  })
})
