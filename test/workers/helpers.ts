import { SELF } from 'cloudflare:test'
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseUnits,
  type Hex,
} from 'viem'
import { testTokenAbi, testTokenBytecode } from '../../generated/contracts/TestToken.js'
import { privateKeyToAccount } from 'viem/accounts'

/** The dev keys of the standard test mnemonic (anvil's accounts 0..2). */
export const KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
] as const

/** viem clients talking to the Worker in-process (`SELF.fetch`) for one shard. */
export function clients(chainId = 901, key: Hex = KEYS[0]) {
  const url = `http://node/chain/${chainId}`
  const chain = defineChain({
    id: chainId,
    name: `edge-l2-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  })
  const transport = http(url, {
    fetchFn: (input, init) => SELF.fetch(input as string, init),
    retryCount: 0,
    // A file's first request starts the chain Durable Object (genesis, migrations): on a loaded
    // 2-core machine that passes viem's 10 s default. The test's own timeout (60 s) still bounds it.
    timeout: 60_000,
  })
  const account = privateKeyToAccount(key)
  return {
    chain,
    account,
    public: createPublicClient({ chain, transport, pollingInterval: 10 }),
    wallet: createWalletClient({ chain, transport, account }),
  }
}

/** A raw JSON-RPC exchange with the Worker: status and parsed body. */
export async function rpc(
  body: unknown,
  path = '/chain/901',
): Promise<{ status: number; json: any }> {
  const res = await SELF.fetch(`http://node${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined }
}

export const call = (method: string, params: unknown[] = [], path?: string) =>
  rpc({ jsonrpc: '2.0', id: 1, method, params }, path).then((r) => r.json)

/** Deploys the test ERC20 (supply minted to the deployer) and returns its address once mined. */
export async function deployToken(
  c: ReturnType<typeof clients>,
  supply = parseUnits('1000000', 18),
) {
  const hash = await c.wallet.deployContract({
    abi: testTokenAbi,
    bytecode: testTokenBytecode,
    args: ['Test', 'TST', supply],
  })
  const receipt = await c.public.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress)
    throw new Error('token deployment failed')
  return receipt.contractAddress
}
