import { setTimeout as sleep } from 'node:timers/promises'
import { WebSocket } from 'isows'
import { defineChain, getAddress, type Address, type Chain, type Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'

/**
 * Shared pieces of the `node.*` end-to-end tests: dev accounts, chain definitions from `GET /chains`,
 * raw JSON-RPC over fetch, and a condition poller. Pure Node, no test framework.
 */

/** The standard test mnemonic whose first ten accounts hold 10,000 ETH each on every shard. */
export const MNEMONIC = 'test test test test test test test test test test test junk'

/** 10,000 ETH in wei: each dev account's genesis balance. */
export const DEV_BALANCE = 10_000n * 10n ** 18n

/** Dev account `i` of the mnemonic (anvil's derivation path m/44'/60'/0'/0/i). */
export function devAccount(i: number) {
  return mnemonicToAccount(MNEMONIC, { addressIndex: i })
}

/** One entry of `GET /chains`. */
export type ShardInfo = { chainId: number; name: string; rpcUrl: string; wsUrl: string }

/** The shards a node serves, as `GET /chains` lists them. */
export async function getShards(nodeUrl: string): Promise<ShardInfo[]> {
  const res = await fetch(`${nodeUrl}/chains`)
  if (!res.ok) throw new Error(`GET /chains: HTTP ${res.status}`)
  return (await res.json()) as ShardInfo[]
}

/** A viem chain for one shard, pointing at its HTTP and WebSocket endpoints. */
export function shardChain(shard: ShardInfo): Chain {
  return defineChain({
    id: shard.chainId,
    name: shard.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [shard.rpcUrl], webSocket: [shard.wsUrl] } },
  })
}

/** A JSON-RPC error object as it came over the wire. */
export type WireError = { code: number; message: string; data?: unknown }
/** A raw HTTP exchange: status, and the parsed body (undefined when not JSON). */
export type WireResponse = { status: number; text: string; json: any }

/** POSTs `body` (a string is sent as is) and returns status and parsed body, never throwing on HTTP errors. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<WireResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, text, json }
}

/** One JSON-RPC call: `{ status, result?, error? }`. */
export async function rpc(url: string, method: string, params: unknown[] = []) {
  const { status, json } = await post(url, { jsonrpc: '2.0', id: 1, method, params })
  return { status, result: json?.result as any, error: json?.error as WireError | undefined }
}

/** One JSON-RPC call that must succeed; throws with the wire error otherwise. */
export async function rpcResult<T = any>(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<T> {
  const r = await rpc(url, method, params)
  if (r.error || r.status !== 200)
    throw new Error(`${method} failed: HTTP ${r.status} ${JSON.stringify(r.error)}`)
  return r.result as T
}

/**
 * Polls `check` until it returns something other than undefined/false, and returns that. Not a timed
 * assertion: the deadline only turns a hang into a readable failure (the test timeout is the bound).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await sleep(100)
  }
}

/** The receipt (JSON-RPC object) of `hash` once mined, polling `eth_getTransactionReceipt`. */
export function waitForReceipt(url: string, hash: Hex, timeoutMs?: number): Promise<any> {
  return waitFor(
    `receipt of ${hash}`,
    async () => (await rpcResult(url, 'eth_getTransactionReceipt', [hash])) ?? undefined,
    timeoutMs,
  )
}

/** A fresh, never-funded address, checksummed as viem returns addresses (its balance can only come from this test). */
export function freshAddress(): Address {
  const bytes = crypto.getRandomValues(new Uint8Array(20))
  return getAddress(`0x${Buffer.from(bytes).toString('hex')}`)
}

/** What a rejected input must not have changed: head, balances, nonces (latest and pending), pool. */
export type NodeSnapshot = {
  blockNumber: string
  headHash: string
  txpool: unknown
  accounts: Record<string, { balance: string; nonce: string; pendingNonce: string }>
}

/** Reads the observable state that bad input must leave alone, for the given accounts. */
export async function snapshot(url: string, addresses: Address[]): Promise<NodeSnapshot> {
  const accounts: NodeSnapshot['accounts'] = {}
  for (const a of addresses)
    accounts[a] = {
      balance: await rpcResult(url, 'eth_getBalance', [a, 'latest']),
      nonce: await rpcResult(url, 'eth_getTransactionCount', [a, 'latest']),
      pendingNonce: await rpcResult(url, 'eth_getTransactionCount', [a, 'pending']),
    }
  const head = await rpcResult(url, 'eth_getBlockByNumber', ['latest', false])
  return {
    blockNumber: head.number,
    headHash: head.hash,
    txpool: await rpcResult(url, 'txpool_status'),
    accounts,
  }
}

/** The part of a WebSocket these tests use (isows gives Node the `ws` implementation). */
type Socket = {
  onopen: (() => void) | null
  onerror: ((e: unknown) => void) | null
  onmessage: ((e: { data: unknown }) => void) | null
  send(data: string): void
  close(): void
}

/** A raw JSON-RPC websocket: every message it received, parsed, and a way to wait for one. */
export type RawSocket = {
  messages: any[]
  send(body: unknown): void
  /** The first received message `match` accepts (waiting for it). */
  next(what: string, match: (m: any) => boolean): Promise<any>
  close(): void
}

/** Opens a websocket to `url`; resolves once open, rejects if the handshake fails. */
export async function openSocket(url: string): Promise<RawSocket> {
  const ws = new WebSocket(url) as unknown as Socket
  const messages: any[] = []
  ws.onmessage = (e) => void messages.push(JSON.parse(String(e.data)))
  await new Promise<void>((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = reject
  })
  return {
    messages,
    send: (body) => ws.send(typeof body === 'string' ? body : JSON.stringify(body)),
    next: (what, match) => waitFor(what, async () => messages.find(match)),
    close: () => ws.close(),
  }
}
