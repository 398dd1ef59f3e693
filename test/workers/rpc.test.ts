import { SELF } from 'cloudflare:test'
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  parseEther,
  parseGwei,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'

// Drives the Worker in-process through viem: real signed transactions, real Durable Objects and D1.
const chain = defineChain({
  id: 901,
  name: 'edge-l2',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://node/chain/901'] } },
})
const transport = http('http://node/chain/901', {
  fetchFn: (input, init) => SELF.fetch(input as string, init),
})
const client = createPublicClient({ chain, transport, pollingInterval: 20 })
const alice = privateKeyToAccount(
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
)
const bob = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const wallet = createWalletClient({ chain, transport, account: alice })

async function rpc(body: unknown, path = '/chain/901') {
  const res = await SELF.fetch(`http://node${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  })
  return { status: res.status, json: (await res.json()) as any }
}

describe('shard node', () => {
  test('genesis: dev accounts funded, chain id', async () => {
    expect(await client.getChainId()).toBe(901)
    expect(await client.getBalance({ address: alice.address })).toBe(parseEther('10000'))
    expect(await client.getBlockNumber()).toBe(0n)
  })

  test('transfer is mined with a receipt', async () => {
    const hash = await wallet.sendTransaction({
      to: bob,
      value: parseEther('1'),
      maxPriorityFeePerGas: parseGwei('1'),
    })
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })
    expect(receipt.status).toBe('success')
    expect(receipt.gasUsed).toBe(21000n)
    expect(await client.getBalance({ address: bob })).toBe(parseEther('10001'))
    const block = await client.getBlock({ blockNumber: receipt.blockNumber })
    expect(block.transactions).toEqual([hash])
  })

  test('behavior: nonce too low is rejected in geth words', async () => {
    const { json } = await rpc({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })
    expect(json.result).toBe('0x385')
  })
})
