import { createServer, type Server } from 'node:http'
import { rmSync } from 'node:fs'
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  toHex,
  type Hex,
  type PublicClient,
} from 'viem'
import { describe, expect, test, afterAll } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { signBlock, toSignedBlockJson } from '../../shared/derivation/signedBlock.js'
import { useBridgeDevnet } from './bridge.fixtures.js'
import { devAccount } from './l1.fixtures.js'
import type { L2Node } from './processes.js'

/**
 * Peers against faults: a sequencer that publishes blocks it never batches, a hostile live feed,
 * a peer killed mid-sync and one whose state is wiped. The shard's batcher starts switched off, so
 * the first test controls what L1 says. Real anvil, real wrangler dev processes, viem.
 */

const BATCHER_KEY = '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97'
const STRANGER_KEY = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6'

const d = useBridgeDevnet({ vars: { BATCHER_KEY: '' } })
let batching = false
/** Switches the shard's batcher on (each test can run alone). */
async function startBatching(): Promise<void> {
  if (batching) return
  await d.restartNode('SIGTERM', { BATCHER_KEY })
  batching = true
}
const rpc = (url: string) => createPublicClient({ transport: http(`${url}/chain/901`) })

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  let last: unknown
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 200))) {
    const v = await fn().catch((err) => void (last = err))
    if (v !== undefined) return v
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `; last error: ${String(last)}` : ''}`)
  }
}

async function hashes(client: PublicClient, n: bigint): Promise<Hex[]> {
  const out: Hex[] = []
  for (let i = 0n; i <= n; i++) out.push((await client.getBlock({ blockNumber: i })).hash!)
  return out
}

/** Waits until `peer` has derived L1 up to the sequencer's safe head now, then compares every block. */
async function expectSequencerChain(peer: L2Node): Promise<bigint> {
  const seq = rpc(d.node.url)
  const p = rpc(peer.url)
  const safe = await until('a safe head on the sequencer', async () => {
    const n = (await seq.getBlock({ blockTag: 'safe' })).number
    return n > 0n ? n : undefined
  })
  await until(`the peer to derive up to ${safe}`, async () =>
    (await p.getBlock({ blockTag: 'safe' })).number >= safe ? true : undefined,
  )
  expect(await hashes(p, safe)).toEqual(await hashes(seq, safe))
  return safe
}

describe('peer faults', () => {
  test('behavior: a block the feed gave but L1 never carried is unwound; the peer ends on L1 chain and says so', async () => {
    // A rogue sequencer: it holds the sequencer key, so its feed is signed, but it posts no batch.
    const rogue = await d.startPeer({ sequencerUrl: null, vars: { SEQUENCER_KEY: BATCHER_KEY } })
    const lines: string[] = []
    const peer = await d.startPeer({ sequencerUrl: rogue.url, onLog: (l) => lines.push(l) })
    const wallet = createWalletClient({
      account: devAccount(2),
      chain: {
        id: 901,
        name: 'rogue',
        nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 },
        rpcUrls: { default: { http: [`${rogue.url}/chain/901`] } },
      },
      transport: http(),
    })
    const onlyRogue = await wallet.sendTransactionSync({ to: devAccount(3).address, value: 7n })
    // The peer runs the rogue's blocks ahead of L1 ...
    await until('the peer to take the rogue block', async () =>
      (await rpc(peer.url).getTransactionReceipt({ hash: onlyRogue.transactionHash })).blockHash ===
      onlyRogue.blockHash
        ? true
        : undefined,
    )
    // ... until the shard's batcher puts its own chain on L1.
    await startBatching()
    const safe = await until('L1 to pass the rogue block', async () => {
      const n = (await rpc(d.node.url).getBlock({ blockTag: 'safe' })).number
      return n > onlyRogue.blockNumber ? n : undefined
    })
    await until(`the peer to derive up to ${safe}`, async () =>
      (await rpc(peer.url).getBlock({ blockTag: 'safe' })).number >= safe ? true : undefined,
    )
    expect(await hashes(rpc(peer.url), safe)).toEqual(await hashes(rpc(d.node.url), safe))
    await expect(
      rpc(peer.url).getTransactionReceipt({ hash: onlyRogue.transactionHash }),
    ).rejects.toThrow(/could not be found/)
    expect(lines.join('\n')).toMatch(/L1 replaces blocks \d+\.\.\d+ from the live feed/)
    await rogue.stop()
  }, 240_000)

  test('behavior: garbage, a block signed by another key, a block far ahead and one with a false hash change nothing', async () => {
    await startBatching()
    const sockets: WebSocket[] = []
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'no' } }))
    })
    const wss = new WebSocketServer({ server })
    wss.on('connection', (ws) => {
      sockets.push(ws)
      ws.on('message', (m) => {
        const req = JSON.parse(String(m))
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            id: req.id,
            result: req.method === 'eth_subscribe' ? '0x1' : [],
          }),
        )
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    afterAll(() => {
      wss.close()
      server.close()
    })
    const { port } = server.address() as { port: number }
    // Every line the peer logs (its `logs()` keeps only the last few hundred).
    const lines: string[] = []
    const peer = await d.startPeer({
      sequencerUrl: `http://127.0.0.1:${port}`,
      onLog: (line) => lines.push(line),
    })
    await until('the peer to connect to the fake feed', async () =>
      sockets.length > 0 && lines.some((l) => /live feed: following/.test(l)) ? true : undefined,
    )
    const p = rpc(peer.url)
    const head = await p.getBlock({ blockTag: 'latest' })
    const status = (await p.request({ method: 'optimism_syncStatus' } as never)) as {
      unsafe_l2: { l1origin: { number: number; hash: Hex } }
    }
    const block = {
      number: head.number + 1n,
      timestamp: head.timestamp + 1n,
      l1OriginNumber: BigInt(status.unsafe_l2.l1origin.number),
      l1OriginHash: status.unsafe_l2.l1origin.hash,
      txs: [],
    }
    const made = keccak256(toHex('not a block'))
    const push = (result: unknown) =>
      sockets[0].send(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'eth_subscription',
          params: { subscription: '0x1', result },
        }),
      )
    sockets[0].send('{ not json')
    push({ number: 'zz' })
    push(toSignedBlockJson(await signBlock(STRANGER_KEY, 901, made, head.hash!, block)))
    push(
      toSignedBlockJson(
        await signBlock(BATCHER_KEY, 901, made, head.hash!, {
          ...block,
          number: block.number + 100_000n,
        }),
      ),
    )
    push(toSignedBlockJson(await signBlock(BATCHER_KEY, 901, made, head.hash!, block)))
    const refusals = [
      /not JSON/,
      /malformed feed block/,
      /not signed by the sequencer/,
      /too far ahead/,
      /executes to 0x[0-9a-f]{64}, not the announced|conflicts with|does not build on/,
    ]
    await until('the peer to log every refusal', async () => {
      const logs = lines.join('\n')
      const missing = refusals.filter((re) => !re.test(logs))
      if (missing.length) throw new Error(`not logged yet: ${missing.join(', ')}`)
      return true
    })
    // Nothing of it is in the peer's chain: block by block it is the shard's chain from L1.
    await expectSequencerChain(peer)
    expect((await p.getBlock({ blockNumber: block.number }).catch(() => undefined))?.hash).not.toBe(
      made,
    )
  }, 180_000)

  test('behavior: a peer killed mid-sync resumes, and one whose state is wiped re-derives the same chain', async () => {
    await startBatching()
    // Only L1: no feed, so everything it has is derived.
    const first = await d.startPeer({ sequencerUrl: null })
    await until('the peer to start deriving', async () =>
      (await rpc(first.url).getBlockNumber()) > 0n ? true : undefined,
    )
    await first.stop('SIGKILL')
    const restart = () =>
      until(
        'the port to be free again',
        () => d.startPeer({ sequencerUrl: null, persistDir: first.persistDir, port: first.port }),
        150_000,
      )
    const resumed = await restart()
    const safe = await expectSequencerChain(resumed)
    await resumed.stop()
    rmSync(first.persistDir, { recursive: true, force: true })
    const wiped = await restart()
    expect(await expectSequencerChain(wiped)).toBeGreaterThanOrEqual(safe)
  }, 240_000)
})
