import {
  encodeFunctionData,
  keccak256,
  parseEther,
  parseGwei,
  parseUnits,
  type Address,
  type Hex,
} from 'viem'
import { mnemonicToAccount, type HDAccount } from 'viem/accounts'
import WebSocket from 'ws'
import { testTokenAbi, testTokenBytecode } from '../generated/contracts/TestToken.js'
import { pct, rpc, type Target } from './workloads.js'

/**
 * The workloads of the pool bench (bench/pool.ts), for any set of endpoints (the devnet's three
 * nodes, or one anvil): funding many senders under a per-sender pool limit, lanes of ERC20
 * transfers by eth_sendRawTransactionSync to whichever endpoint `pick` names at each send, read
 * latencies, and the followers' lag on newHeads.
 */

const MNEMONIC = 'test test test test test test test test test test test junk'
const GAS = { maxFeePerGas: parseGwei('50'), maxPriorityFeePerGas: parseGwei('0.001') }
const transferData = (to: Address, amount: bigint) =>
  encodeFunctionData({ abi: testTokenAbi, functionName: 'transfer', args: [to, amount] })

/** `n` bench senders: mnemonic keys 1000 and up (no dev account, operator or test shares them). */
export const benchSenders = (n: number) =>
  Array.from({ length: n }, (_, i) => mnemonicToAccount(MNEMONIC, { addressIndex: 1000 + i }))

/** Sends `txs` from `from` with consecutive nonces, then waits for every receipt (polled). */
async function sendAll(
  t: Target,
  from: HDAccount,
  nonce: number,
  txs: { to?: Address; data?: Hex; value?: bigint; gas: bigint }[],
) {
  const hashes: Hex[] = []
  for (const [k, tx] of txs.entries()) {
    const raw = await from.signTransaction({
      chainId: t.chainId,
      type: 'eip1559',
      nonce: nonce + k,
      ...GAS,
      ...tx,
    })
    hashes.push(await rpc(t, 'eth_sendRawTransaction', [raw]))
  }
  const receipts = []
  for (const hash of hashes)
    for (;;) {
      const r = await rpc(t, 'eth_getTransactionReceipt', [hash])
      if (r) {
        receipts.push(r)
        break
      }
      await new Promise((res) => setTimeout(res, 100))
    }
  return receipts
}

/**
 * Deploys the ERC20 from dev account 0 and gives every sender 1 ETH and tokens, through hubs of 16
 * (a node pools at most 64 transactions per sender). Returns the token's address.
 */
export async function fundSenders(t: Target, senders: HDAccount[]): Promise<Address> {
  const deployer = mnemonicToAccount(MNEMONIC, { addressIndex: 0 })
  let nonce = Number(await rpc(t, 'eth_getTransactionCount', [deployer.address, 'pending']))
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
    args: ['Bench', 'B', parseUnits('1000000000', 18)],
  })
  const [deployed] = await sendAll(t, deployer, nonce++, [
    { data: `${testTokenBytecode}${ctor.slice(10)}` as Hex, gas: 3_000_000n },
  ])
  const token = deployed.contractAddress as Address
  const give = (to: Address, eth: bigint, tokens: bigint) => [
    { to, value: eth, gas: 21_000n },
    { to: token, data: transferData(to, tokens), gas: 100_000n },
  ]
  const hubs = Array.from({ length: Math.ceil(senders.length / 16) }, (_, i) =>
    senders.slice(i * 16, i * 16 + 16),
  )
  const hubAccounts = hubs.map((_, i) => mnemonicToAccount(MNEMONIC, { addressIndex: 900 + i }))
  for (let i = 0; i < hubAccounts.length; i += 30) {
    const batch = hubAccounts.slice(i, i + 30)
    await sendAll(
      t,
      deployer,
      nonce,
      batch.flatMap((h) => give(h.address, parseEther('20'), parseUnits('20000000', 18))),
    )
    nonce += batch.length * 2
  }
  await Promise.all(
    hubs.map(async (group, i) => {
      const hub = hubAccounts[i]
      const n = Number(await rpc(t, 'eth_getTransactionCount', [hub.address, 'pending']))
      await sendAll(
        t,
        hub,
        n,
        group.flatMap((s) => give(s.address, parseEther('1'), parseUnits('1000000', 18))),
      )
    }),
  )
  return token
}

/** One transfer's send→receipt time, whether it went to the sequencing endpoint, and if the turn moved meanwhile. */
export type Sample = { ms: number; toSequencer: boolean; handover: boolean }

/**
 * Lanes of ERC20 transfers: one lane per sender (its nonces in order), each sending its next
 * transfer by eth_sendRawTransactionSync as soon as the last one's receipt came, to the endpoint
 * `pick()` names at that moment, for `durationMs` or `perLane` transfers, whichever ends first. A
 * refused send is recorded and the same signed transfer waited for (by hash) or sent again, so
 * nonces never gap. `holder()` is the endpoint sequencing now (-1: none or unknown).
 */
export async function transferLanes(o: {
  targets: Target[]
  pick: () => number
  holder: () => number
  token: Address
  senders: HDAccount[]
  nonces: Map<Address, number>
  durationMs: number
  perLane?: number
}) {
  const samples: Sample[] = []
  const refused: string[] = []
  const t0 = performance.now()
  const until = t0 + o.durationMs
  const lane = async (s: HDAccount, i: number) => {
    const to = o.senders[(i + 1) % o.senders.length].address
    for (let k = 0; performance.now() < until && k < (o.perLane ?? Infinity); k++) {
      const nonce = o.nonces.get(s.address)!
      const target = o.targets[o.pick()]
      const raw = await s.signTransaction({
        chainId: target.chainId,
        type: 'eip1559',
        nonce,
        gas: 60_000n,
        ...GAS,
        to: o.token,
        data: transferData(to, 1n),
      })
      const sent = performance.now()
      const seqAtSend = o.holder()
      const index = o.targets.indexOf(target)
      try {
        const r = await rpc(target, 'eth_sendRawTransactionSync', [raw])
        if (r.status !== '0x1') refused.push('reverted')
      } catch (err) {
        refused.push(String((err as Error).message).slice(0, 120))
        if (!(await settle(o.targets, raw))) return
      }
      o.nonces.set(s.address, nonce + 1)
      samples.push({
        ms: performance.now() - sent,
        toSequencer: index === seqAtSend,
        handover: o.holder() !== seqAtSend,
      })
    }
  }
  await Promise.all(o.senders.map(lane))
  const seconds = (performance.now() - t0) / 1000
  return { count: samples.length, tps: samples.length / seconds, samples, refused }
}

/** After a refused send: waits up to 30 s for `raw` to be mined (by hash, on any endpoint), sending it again every 3 s. */
async function settle(targets: Target[], raw: Hex): Promise<boolean> {
  const hash = keccak256(raw)
  for (let k = 0; k < 30; k++) {
    for (const t of targets) {
      const r = await rpc(t, 'eth_getTransactionReceipt', [hash]).catch(() => undefined)
      if (r) return true
    }
    if (k % 3 === 2)
      for (const t of targets) await rpc(t, 'eth_sendRawTransaction', [raw]).catch(() => undefined)
    await new Promise((res) => setTimeout(res, 1_000))
  }
  return false
}

/** The read methods the bench times, with their parameters. */
export function readCalls(token: Address, who: Address): [string, unknown[]][] {
  const balanceOf = encodeFunctionData({
    abi: testTokenAbi,
    functionName: 'balanceOf',
    args: [who],
  })
  return [
    ['eth_getBalance', [who, 'latest']],
    ['eth_blockNumber', []],
    ['eth_call', [{ to: token, data: balanceOf }, 'latest']],
  ]
}

/**
 * Read latencies on one endpoint: the calls in turn, one at a time, `rounds` times or until
 * `stop()` (under load). Returns each method's latencies (ms).
 */
export function readLoop(t: Target, calls: [string, unknown[]][], rounds = Infinity) {
  const lat = new Map<string, number[]>(calls.map(([m]) => [m, []]))
  let running = true
  const done = (async () => {
    for (let r = 0; running && r < rounds; r++)
      for (const [method, params] of calls) {
        const t0 = performance.now()
        await rpc(t, method, params).catch(() => undefined)
        lat.get(method)!.push(performance.now() - t0)
      }
  })()
  return {
    lat,
    done,
    async stop() {
      running = false
      await done
      return lat
    },
  }
}

/** p50 and p99 of `values` (ms). */
export const p50p99 = (values: number[]) => ({
  p50: pct(values, 50),
  p99: pct(values, 99),
  n: values.length,
})

/**
 * newHeads on every endpoint over websockets: when each block hash was first announced on each, and
 * its fee recipient (the operator that sealed it). `lags(operators)` gives, for each block, the
 * delay from the sealer's own announcement to each other node's.
 */
export async function watchHeads(urls: string[], chainId: number) {
  const arrivals = new Map<Hex, { miner: Address; at: (number | undefined)[] }>()
  const sockets = await Promise.all(
    urls.map(async (url, i) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/chain/${chainId}`)
      ws.on('message', (data) => {
        const ms = performance.now()
        const m = JSON.parse(String(data))
        const head = m.method === 'eth_subscription' ? m.params?.result : undefined
        if (!head?.hash) return
        const a = arrivals.get(head.hash) ?? { miner: head.miner, at: urls.map(() => undefined) }
        a.at[i] ??= ms
        arrivals.set(head.hash, a)
      })
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve())
        ws.once('error', reject)
      })
      ws.send(
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }),
      )
      return ws
    }),
  )
  return {
    close: () => sockets.forEach((ws) => ws.close()),
    /** Delays (ms) of the nodes that did not seal a block behind the one that did, over every block seen. */
    lags(operators: Address[]): { lags: number[]; blocks: number; missing: number } {
      const lags: number[] = []
      let missing = 0
      for (const a of arrivals.values()) {
        const sealer = operators.findIndex((o) => o?.toLowerCase() === a.miner?.toLowerCase())
        const own = a.at[sealer]
        if (sealer < 0 || own === undefined) continue
        a.at.forEach((at, i) => {
          if (i === sealer) return
          if (at === undefined) missing++
          else lags.push(at - own)
        })
      }
      return { lags, blocks: arrivals.size, missing }
    },
  }
}
