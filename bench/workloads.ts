import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import {
  createPublicClient,
  encodeFunctionData,
  http,
  parseEther,
  parseGwei,
  parseUnits,
  type Hex,
  type PublicClient,
} from 'viem'
import { mnemonicToAccount, type HDAccount } from 'viem/accounts'
import { logSpammerAbi, logSpammerBytecode } from '../generated/contracts/LogSpammer.js'
import { testTokenAbi, testTokenBytecode } from '../generated/contracts/TestToken.js'

const MNEMONIC = 'test test test test test test test test test test test junk'
const GAS = { maxFeePerGas: parseGwei('50'), maxPriorityFeePerGas: parseGwei('0.001') }

/**
 * One endpoint under test (our node or anvil) with the clients and state a run needs. Workloads
 * send JSON-RPC through `agent` (node:http keep-alive, lighter on the client's CPU than fetch).
 */
export type Target = {
  name: string
  url: string
  chainId: number
  client: PublicClient
  agent: Agent
}

export function createTarget(name: string, url: string, chainId: number): Target {
  return {
    name,
    url,
    chainId,
    client: createPublicClient({ transport: http(url, { retryCount: 0, timeout: 60_000 }) }),
    agent: new Agent({ keepAlive: true }),
  }
}

/**
 * Drops the target's idle connections. Called after a long pause (signing thousands of
 * transfers): a server may close an idle keep-alive connection just as the client reuses it, and
 * the request on it fails with "other side closed".
 */
function freshConnections(t: Target): void {
  t.agent.destroy()
  t.agent = new Agent({ keepAlive: true })
}

export async function rpc(t: Target, method: string, params: unknown[]): Promise<any> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })
  const text = await post(t, body).catch((err: Error & { retryable?: boolean }) => {
    // A kept-alive connection the server closed while idle fails the request written on it before
    // the server read it; Node's documented remedy is to send it again on a new connection.
    if (err.retryable) return post(t, body)
    throw err
  })
  const json = JSON.parse(text) as { result?: unknown; error?: { message: string } }
  if (json.error) throw new Error(`${method}: ${json.error.message}`)
  return json.result
}

function post(t: Target, body: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let answered = false
    const req = request(
      t.url,
      {
        method: 'POST',
        agent: t.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        answered = true
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve(Buffer.concat(chunks).toString()))
        res.on('error', reject)
      },
    )
    req.on('error', (err: Error & { retryable?: boolean }) => {
      // Only a reused connection that closed before any answer came back.
      err.retryable = req.reusedSocket && !answered
      reject(err)
    })
    req.end(body)
  })
}

async function receipt(t: Target, hash: Hex, pollMs = 20): Promise<any> {
  for (;;) {
    const r = await rpc(t, 'eth_getTransactionReceipt', [hash])
    if (r) return r
    await new Promise((res) => setTimeout(res, pollMs))
  }
}

/** Signs and sends one transaction from `from` at `nonce`, returning its hash once accepted. */
export async function sendRaw(
  t: Target,
  from: HDAccount,
  nonce: number,
  tx: { to?: Hex; data?: Hex; value?: bigint; gas: bigint },
): Promise<Hex> {
  const raw = await from.signTransaction({
    chainId: t.chainId,
    type: 'eip1559',
    nonce,
    ...GAS,
    ...tx,
  })
  return rpc(t, 'eth_sendRawTransaction', [raw])
}

/** Like `sendRaw`, returning the receipt. */
async function send(
  t: Target,
  from: HDAccount,
  nonce: number,
  tx: { to?: Hex; data?: Hex; value?: bigint; gas: bigint },
) {
  return receipt(t, await sendRaw(t, from, nonce, tx))
}

export const accounts = (n: number) =>
  Array.from({ length: n }, (_, i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }))

/** Deploys the ERC20 and gives each sender ETH and tokens. */
export async function setupToken(t: Target, senders: HDAccount[]): Promise<Hex> {
  const [deployer] = accounts(1)
  let nonce = await t.client.getTransactionCount({ address: deployer.address, blockTag: 'pending' })
  const deploy = encodeDeployData(testTokenBytecode, ['Bench', 'B', parseUnits('1000000000', 18)])
  const token = (await send(t, deployer, nonce++, { data: deploy, gas: 3_000_000n }))
    .contractAddress as Hex
  // One sender's transactions reach the node in nonce order: anvil's automine can leave a
  // transaction that arrived ahead of its predecessor unmined (foundry-rs/foundry#10122).
  const hashes: Hex[] = []
  for (const s of senders.slice(1)) {
    hashes.push(
      await sendRaw(t, deployer, nonce++, { to: s.address, value: parseEther('10'), gas: 21_000n }),
    )
    hashes.push(
      await sendRaw(t, deployer, nonce++, {
        to: token,
        data: transferData(s.address, parseUnits('1000000', 18)),
        gas: 100_000n,
      }),
    )
  }
  await Promise.all(hashes.map((h) => receipt(t, h)))
  return token
}

function encodeDeployData(bytecode: Hex, args: [string, string, bigint]): Hex {
  const ctor = encodeFunctionData({
    abi: [
      {
        type: 'function',
        name: 'x',
        inputs: testTokenAbi.find((x) => x.type === 'constructor')!.inputs,
        outputs: [],
        stateMutability: 'nonpayable',
      },
    ],
    args,
  })
  return `${bytecode}${ctor.slice(10)}` as Hex
}

const transferData = (to: Hex, amount: bigint) =>
  encodeFunctionData({ abi: testTokenAbi, functionName: 'transfer', args: [to, amount] })

/**
 * How a sender learns its transfer is mined: `sync` asks eth_sendRawTransactionSync (EIP-7966) for the
 * receipt in the same call; `poll` sends with eth_sendRawTransaction and polls
 * eth_getTransactionReceipt every 20 ms.
 */
export type ReceiptMode = 'sync' | 'poll'

/**
 * ERC20 transfers/s: `total` pre-signed transfers from the senders, `inFlight` at a time, each timed
 * from sending the raw transaction to holding its receipt.
 */
export async function erc20Throughput(
  t: Target,
  token: Hex,
  senders: HDAccount[],
  total: number,
  inFlight: number,
  mode: ReceiptMode = 'poll',
) {
  const nonces = await Promise.all(
    senders.map((s) => t.client.getTransactionCount({ address: s.address, blockTag: 'pending' })),
  )
  const raws: Hex[][] = senders.map(() => [])
  const per = Math.ceil(total / senders.length)
  await Promise.all(
    senders.map(async (s, i) => {
      for (let k = 0; k < per; k++)
        raws[i].push(
          await s.signTransaction({
            chainId: t.chainId,
            type: 'eip1559',
            nonce: nonces[i] + k,
            gas: 60_000n,
            ...GAS,
            to: token,
            data: transferData(senders[(i + 1) % senders.length].address, 1n),
          }),
        )
    }),
  )
  freshConnections(t)
  // One lane per sender keeps nonces in order; `inFlight` lanes run at once.
  const lanes = raws.map((list) => list.slice())
  const start = performance.now()
  let done = 0
  const latencies: number[] = []
  const lane = async (queue: Hex[][]) => {
    for (let list = queue.shift(); list; list = queue.shift())
      for (const raw of list) {
        const t0 = performance.now()
        const r =
          mode === 'sync'
            ? // No timeout parameter: anvil 1.7.1 takes only the transaction (each side's default wait applies).
              await rpc(t, 'eth_sendRawTransactionSync', [raw])
            : await receipt(t, await rpc(t, 'eth_sendRawTransaction', [raw]))
        if (r.status !== '0x1') throw new Error('transfer failed')
        latencies.push(performance.now() - t0)
        done++
      }
  }
  const queue = lanes
  await Promise.all(Array.from({ length: inFlight }, () => lane(queue)))
  const seconds = (performance.now() - start) / 1000
  return { tps: done / seconds, count: done, p50: pct(latencies, 50), p99: pct(latencies, 99) }
}

/** Latency of a read method over `n` sequential calls. */
export async function readLatency(t: Target, method: string, params: unknown[], n: number) {
  const lat: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await rpc(t, method, params)
    lat.push(performance.now() - t0)
  }
  return { p50: pct(lat, 50), p99: pct(lat, 99) }
}

/** Fills the chain with `count` logs from a spammer contract; returns its address. */
export async function fillLogs(t: Target, count: number): Promise<Hex> {
  const [from] = accounts(1)
  let nonce = await t.client.getTransactionCount({ address: from.address, blockTag: 'pending' })
  const spammer = (await send(t, from, nonce++, { data: logSpammerBytecode, gas: 1_000_000n }))
    .contractAddress as Hex
  const perTx = 500
  const hashes: Hex[] = []
  for (let i = 0; i < count; i += perTx)
    hashes.push(
      await sendRaw(t, from, nonce++, {
        to: spammer,
        data: encodeFunctionData({
          abi: logSpammerAbi,
          functionName: 'spam',
          args: [BigInt(i), BigInt(perTx)],
        }),
        gas: 1_500_000n,
      }),
    )
  await Promise.all(hashes.map((h) => receipt(t, h)))
  return spammer
}

/** eth_getLogs of every log of `address` from genesis: seconds and count. */
export async function getLogsTime(t: Target, address: Hex, runs = 3) {
  let best = Infinity
  let count = 0
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const logs = await rpc(t, 'eth_getLogs', [{ address, fromBlock: '0x0', toBlock: 'latest' }])
    best = Math.min(best, performance.now() - t0)
    count = logs.length
  }
  return { ms: best, count }
}

/** Peak resident memory (VmHWM) of a process and its children, in MiB (Linux /proc). */
export function peakMemoryMiB(pid: number): number {
  let total = 0
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8')
      const m = /VmHWM:\s+(\d+) kB/.exec(status)
      if (m) total += Number(m[1]) / 1024
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim()
      for (const c of children ? children.split(/\s+/) : []) visit(Number(c))
    } catch {}
  }
  visit(pid)
  return total
}

export function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN
}
