import { createPublicClient, http, type Hex } from 'viem'
import WebSocket from 'ws'
import { startBridgeDevnet } from '../test/e2e/bridge.fixtures.js'
import { directUrl } from './directUrl.js'
import { accounts, createTarget, erc20Throughput, pct, sendRaw, setupToken } from './workloads.js'

/**
 * The peer figures of `npm run bench`, each on its own devnet with the fast settings (anvil a block a
 * second, one L1 confirmation, L1 rounds every 300 ms):
 *
 * - derivation: a chain of `minBlocks`+ blocks of ERC20 transfers made in automine (BLOCK_TIME_MS=0,
 *   a block per transaction or two), batched to L1; then a fresh L1-only peer (no SEQUENCER_URL) is
 *   started (the sequencer stopped first: the peer needs only L1) and timed from answering until
 *   its safe head reaches the sequencer's head: L2 blocks derived per minute. Its start-up
 *   (migrations, wrangler dev until /health answers) is timed apart. A spread of blocks is compared
 *   with the sequencer's (hash, state root).
 * - following: a peer on the sequencer's live feed while one ETH transfer goes in every `txEveryMs`
 *   (blocks every 250 ms): for each block the sequencer announces on newHeads, the delay until the
 *   peer announces the same block (same hash) on its own newHeads, both over websockets.
 */

/** L2 transfers in flight while the chain is made: few, so most blocks carry one or two. */
const IN_FLIGHT = 2

export type DerivationReport = {
  /** L2 blocks the peer derived (1..head). */
  blocks: number
  /** Signed transactions those blocks carry (besides each block's L1-info deposit). */
  txs: number
  /** L1 batches carrying them. */
  batches: number
  makeSeconds: number
  /** From spawning the peer to its /health answering (migrations, wrangler dev, the first cron). */
  startupSeconds: number
  /** From the peer answering to its safe head reaching the sequencer's head. */
  deriveSeconds: number
  /** Blocks the peer had already derived when it answered (counted out of the rate). */
  derivedAtStart: number
  blocksPerMinute: number
  /** Blocks compared with the sequencer's (hash and state root): all equal, or the run throws. */
  hashesChecked: number
  /** The peer's own last progress line ("[derive 901] derived … blocks/min"). */
  peerLog?: string
  /** The peer's safe head over time (ms since it answered), for where the time goes. */
  progress: { ms: number; safe: number; pollMs: number }[]
}

export async function measureDerivation(minBlocks: number): Promise<DerivationReport> {
  const d = await startBridgeDevnet({ vars: { BLOCK_TIME_MS: '0' } })
  try {
    const direct = await directUrl(d.node)
    const t = createTarget('sequencer', `${direct ?? d.node.url}/chain/901`, 901)
    const seq = rpcClient(d.node.url)
    const t0 = performance.now()
    const senders = accounts(8)
    const token = await setupToken(t, senders)
    let txs = 1 + 2 * (senders.length - 1)
    for (
      let head = await seq.getBlockNumber({ cacheTime: 0 });
      head < BigInt(minBlocks);
      head = await seq.getBlockNumber({ cacheTime: 0 })
    ) {
      console.error(`[peers] ${head} blocks; ${BigInt(minBlocks) - head} more ERC20 transfers`)
      const r = await erc20Throughput(
        t,
        token,
        senders,
        Number(BigInt(minBlocks) - head),
        IN_FLIGHT,
        'sync',
      )
      txs += r.count
    }
    const head = await seq.getBlockNumber({ cacheTime: 0 })
    const makeSeconds = (performance.now() - t0) / 1000
    console.error(
      `[peers] ${head} blocks (${txs} transactions) in ${makeSeconds.toFixed(0)} s; waiting for their batches on L1`,
    )
    await waitFor(`the sequencer's safe head to reach ${head}`, 300_000, 250, async () => {
      return (await seq.getBlock({ blockTag: 'safe' })).number >= head
    })
    const batches = await batchCount(d.l1Url, d.deployment.shards[0].batchInbox as Hex)

    // The sequencer's blocks are read now and the sequencer stopped: the peer needs only L1, and on a
    // small machine the sequencer's own L1 rounds (an output every 4 blocks) would share its cores.
    const picks = sampleBlocks(head)
    const expected = await Promise.all(picks.map((n) => seq.getBlock({ blockNumber: n })))
    await d.node.stop()

    console.error(`[peers] starting an L1-only peer; it derives blocks 1..${head} from L1`)
    const spawned = performance.now()
    const peer = await d.startPeer({ sequencerUrl: null })
    const up = performance.now()
    const p = rpcClient(peer.url)
    const progress: { ms: number; safe: number; pollMs: number }[] = []
    let derivedAtStart = -1
    await waitFor(`the peer's safe head to reach ${head}`, 600_000, 100, async () => {
      const asked = performance.now()
      const safe = (await p.getBlock({ blockTag: 'safe' })).number
      if (derivedAtStart < 0) derivedAtStart = Number(safe)
      const now = performance.now()
      progress.push({ ms: now - up, safe: Number(safe), pollMs: now - asked })
      return safe >= head
    })
    const done = performance.now()
    const deriveSeconds = (done - up) / 1000
    for (const [i, n] of picks.entries()) {
      const b = await p.getBlock({ blockNumber: n })
      if (b.hash !== expected[i].hash || b.stateRoot !== expected[i].stateRoot)
        throw new Error(`block ${n} differs: sequencer ${expected[i].hash}, peer ${b.hash}`)
    }
    const hashesChecked = picks.length
    const peerLog = peer
      .logs()
      .split('\n')
      .filter((l) => /\[derive 901\] (derived .* blocks\/min|synced from L1)/.test(l))
      .slice(-2)
      .join(' / ')
    await peer.stop()
    return {
      blocks: Number(head),
      txs,
      batches,
      makeSeconds,
      startupSeconds: (up - spawned) / 1000,
      deriveSeconds,
      derivedAtStart,
      blocksPerMinute: (Number(head) - derivedAtStart) / (deriveSeconds / 60),
      hashesChecked,
      peerLog: peerLog || undefined,
      progress,
    }
  } finally {
    await d.stop()
  }
}

export type FollowReport = {
  /** Blocks the sequencer announced while the load ran (after a few to warm up). */
  blocks: number
  /** Of those, blocks the peer announced with the same hash. */
  matched: number
  /** Blocks the peer announced with another hash first (should be none). */
  differed: number
  p50: number
  p99: number
  max: number
  /** Transfers sent, and how many of them the sequencer refused. */
  sent: number
  failed: number
  /** Where both nodes were measured: their workerd sockets, or through wrangler dev. */
  direct: boolean
}

/** Blocks skipped at the start of the following measurement (the load and sockets settling). */
const FOLLOW_WARMUP_BLOCKS = 5

export async function measureFollowing(samples: number, txEveryMs: number): Promise<FollowReport> {
  const d = await startBridgeDevnet()
  try {
    const peer = await d.startPeer()
    await waitFor('the peer to follow the live feed', 60_000, 200, async () =>
      /live feed: following/.test(peer.logs()),
    )
    const [seqDirect, peerDirect] = await Promise.all([directUrl(d.node), directUrl(peer)])
    const direct = seqDirect !== undefined && peerDirect !== undefined
    const seqBase = direct ? seqDirect : d.node.url
    const peerBase = direct ? peerDirect : peer.url
    const seqHeads = await subscribeHeads(seqBase)
    const peerHeads = await subscribeHeads(peerBase)

    const t = createTarget('sequencer', `${seqBase}/chain/901`, 901)
    const [, , , from, to] = accounts(5)
    let nonce = await t.client.getTransactionCount({ address: from.address, blockTag: 'pending' })
    const first = Number(await t.client.getBlockNumber({ cacheTime: 0 })) + 1 + FOLLOW_WARMUP_BLOCKS
    const last = first + samples - 1
    console.error(
      `[peers] a peer on the live feed; a transfer every ${txEveryMs} ms until the sequencer has sealed block ${last}`,
    )
    let sent = 0
    let failed = 0
    const sends: Promise<unknown>[] = []
    const start = performance.now()
    for (let i = 0; (seqHeads.latest() ?? 0) < last; i++) {
      const wait = start + i * txEveryMs - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      sent++
      sends.push(
        sendRaw(t, from, nonce++, { to: to.address, value: 1n, gas: 21_000n }).catch(
          () => failed++,
        ),
      )
      if (performance.now() - start > 600_000)
        throw new Error('the sequencer sealed too few blocks')
    }
    await Promise.all(sends)
    // The peer has a few seconds to announce the last blocks.
    await waitFor(`the peer to announce block ${last}`, 10_000, 50, async () =>
      [...peerHeads.seen.keys()].some((k) => Number(k.split(':')[0]) >= last),
    ).catch(() => undefined)
    seqHeads.close()
    peerHeads.close()

    const delays: number[] = []
    let differed = 0
    for (let n = first; n <= last; n++) {
      const s = seqHeads.byNumber.get(n)
      if (!s) continue
      const at = peerHeads.seen.get(`${n}:${s.hash}`)
      if (at !== undefined) delays.push(at - s.ms)
      else if ([...peerHeads.seen.keys()].some((k) => k.startsWith(`${n}:`))) differed++
    }
    return {
      blocks: [...seqHeads.byNumber.keys()].filter((n) => n >= first && n <= last).length,
      matched: delays.length,
      differed,
      p50: pct(delays, 50),
      p99: pct(delays, 99),
      max: Math.max(...delays),
      sent,
      failed,
      direct,
    }
  } finally {
    await d.stop()
  }
}

/**
 * newHeads over a websocket: when each block (number and hash) was first announced here
 * (performance.now()), and the sequence's first announcement of each number.
 */
async function subscribeHeads(base: string) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/chain/901`)
  const seen = new Map<string, number>()
  const byNumber = new Map<number, { hash: Hex; ms: number }>()
  let latest: number | undefined
  ws.on('message', (data) => {
    const ms = performance.now()
    const m = JSON.parse(String(data))
    const head = m.method === 'eth_subscription' ? m.params?.result : undefined
    if (!head?.hash) return
    const n = Number(head.number)
    const key = `${n}:${head.hash}`
    if (!seen.has(key)) seen.set(key, ms)
    if (!byNumber.has(n)) byNumber.set(n, { hash: head.hash, ms })
    latest = Math.max(latest ?? n, n)
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const subscribed = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data))
      if (m.id === 1) m.error ? reject(new Error(m.error.message)) : resolve()
    })
  })
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }))
  await subscribed
  return { seen, byNumber, latest: () => latest, close: () => ws.close() }
}

const rpcClient = (url: string) =>
  createPublicClient({ transport: http(`${url}/chain/901`, { retryCount: 0, timeout: 60_000 }) })

/** A spread of block numbers in 1..head to compare between the nodes. */
function sampleBlocks(head: bigint): bigint[] {
  const picks = new Set<bigint>([1n, head, head / 2n, head / 3n, (head * 3n) / 4n, head - 1n])
  for (let i = 0; i < 4; i++) picks.add(1n + BigInt(Math.floor(Math.random() * Number(head))))
  return [...picks]
}

/** The batches the shard's inbox accepted so far (BatchSubmitted logs). */
async function batchCount(l1Url: string, inbox: Hex): Promise<number> {
  const l1 = createPublicClient({ transport: http(l1Url) })
  const logs = await l1.getLogs({ address: inbox, fromBlock: 0n, toBlock: 'latest' })
  return logs.length
}

async function waitFor(what: string, ms: number, every: number, ok: () => Promise<boolean>) {
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, every))) {
    if (await ok().catch(() => false)) return
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
  }
}
