import { keccak256, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { SequencerUnavailableError, TransactionRejectedError } from '../errors.js'
import { pendingNonce } from '../forwarding/forwardPolicy.js'
import { nonceOfRaw, type Forwarded } from '../forwarding/outbox.js'
import { decodeRawTransaction } from '../txpool/decodeRawTransaction.js'
import {
  Forwarder,
  HANDOVER_WAIT_MS,
  RESEND_MS,
  type ForwardChain,
  type OutboxRows,
} from './forwarder.js'

// Fakes, not mocks of something that could run here: the Outbox's SQLite is a Durable Object's
// (Node 20 has no SQLite to run it on), and the sequencer nodes are stand-ins that keep a pool by
// hash and answer JSON-RPC as a node does (-32000 "already known", -32002 when not sequencing).
// The Outbox itself and real nodes run in test/workers and test/e2e (node.anyNode).

const account = privateKeyToAccount(
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
)

async function transfer(nonce: number, maxFeePerGas = 100n, maxPriorityFeePerGas = 10n) {
  const raw = await account.signTransaction({
    chainId: 901,
    type: 'eip1559',
    to: account.address,
    value: 1n,
    nonce,
    gas: 21_000n,
    maxFeePerGas,
    maxPriorityFeePerGas,
  })
  return decodeRawTransaction(raw, 901)
}

/** The outbox's rows in memory, with the Outbox's semantics (one row per hash, oldest first). */
class MemoryOutbox implements OutboxRows {
  readonly rows = new Map<Hex, Forwarded>()
  readonly dropped = new Map<Hex, string>()
  add(f: { hash: Hex; raw: Uint8Array; sender: Hex }, now: number, lastSent = now) {
    const hash = f.hash.toLowerCase() as Hex
    if (this.rows.has(hash)) return
    this.rows.set(hash, {
      hash,
      raw: f.raw,
      sender: f.sender.toLowerCase() as Hex,
      nonce: nonceOfRaw(f.raw),
      firstSent: now,
      lastSent,
    })
  }
  remove(hash: Hex) {
    this.rows.delete(hash.toLowerCase() as Hex)
  }
  drop(hash: Hex, reason: string) {
    this.remove(hash)
    this.dropped.set(hash.toLowerCase() as Hex, reason)
  }
  ofSender(sender: Hex, from = 0n) {
    return this.all()
      .filter((f) => f.sender === sender.toLowerCase() && f.nonce >= from)
      .sort((a, b) => Number(a.nonce - b.nonce))
  }
  replacedBy(hash: Hex, sender: Hex, nonce: bigint) {
    for (const f of this.all())
      if (f.sender === sender.toLowerCase() && f.nonce === nonce && f.hash !== hash.toLowerCase())
        this.rows.delete(f.hash)
  }
  all() {
    return [...this.rows.values()].sort((a, b) => a.firstSent - b.firstSent)
  }
  sent(hash: Hex, now: number) {
    const f = this.rows.get(hash.toLowerCase() as Hex)
    if (f) f.lastSent = now
  }
}

/** A node the forwarder sends to: a pool by hash; `sequencing` false answers -32002. */
class FakeSequencer {
  readonly pool = new Map<Hex, Hex>()
  /** Every eth_sendRawTransaction it took, in order (a hash twice here would be mined twice). */
  readonly took: Hex[] = []
  sequencing = true
  reachable = true
  answer(method: string, params: unknown[]) {
    if (!this.sequencing) return { error: { code: -32002, message: 'not the sequencer now' } }
    if (method === 'eth_sendRawTransaction') {
      const raw = params[0] as Hex
      const hash = keccak256(raw)
      if (this.pool.has(hash)) return { error: { code: -32000, message: 'already known' } }
      this.pool.set(hash, raw)
      this.took.push(hash)
      return { result: hash }
    }
    if (method === 'edge_getTransactionStatus')
      return { result: { status: this.pool.has(params[0] as Hex) ? 'pending' : 'unknown' } }
    return { error: { code: -32601, message: `no ${method}` } }
  }
}

/** A network of fake nodes by URL, a manual clock, and a node's forwarder over them. */
function network(opts: { pooled: boolean }) {
  const nodes = new Map<string, FakeSequencer>([
    ['http://a', new FakeSequencer()],
    ['http://b', new FakeSequencer()],
  ])
  const state = {
    clock: 1_000_000,
    url: 'http://a' as string | undefined,
    sequences: false,
    /** Called at each pause of a retry (a handover happening meanwhile). */
    onSleep: () => {},
    logs: [] as string[],
  }
  const outbox = new MemoryOutbox()
  const mined = new Map<Hex, bigint>()
  const chain: ForwardChain & { safe: bigint } = {
    chainId: 901,
    safe: 0n,
    store: {
      tx: (h) => (mined.has(h) ? { blockNumber: mined.get(h)! } : undefined),
    },
    safeHead() {
      return this.safe
    },
  }
  const fetchFn = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const node = nodes.get(String(input))
    if (!node?.reachable) throw new TypeError('fetch failed: connection refused')
    const { method, params } = JSON.parse(String(init?.body)) as {
      method: string
      params: unknown[]
    }
    return Response.json({ jsonrpc: '2.0', id: 1, ...node.answer(method, params) })
  }) as typeof fetch
  const host = {
    fetch: fetchFn,
    now: () => state.clock,
    sleep: async (ms: number) => {
      state.clock += ms
      state.onSleep()
    },
    log: (line: string) => state.logs.push(line),
    sequencerUrl: () => state.url,
    sequences: () => state.sequences,
    outbox: () => outbox,
  }
  const forwarder = () => new Forwarder(host, chain, opts.pooled)
  return { nodes, a: nodes.get('http://a')!, b: nodes.get('http://b')!, state, outbox, mined, chain, forwarder }
}

describe('Forwarder', () => {
  test('default: a write goes to the sequencer once and its hash comes back', async () => {
    const net = network({ pooled: false })
    const t = await transfer(0)
    expect(await net.forwarder().submit(t, undefined, false)).toEqual({ result: t.hash })
    expect(net.a.took).toEqual([t.hash])
    expect(net.outbox.rows.has(t.hash)).toBe(true)
  })

  test('behavior: two writes in a row through a node not sequencing (issue 23, bug 1)', async () => {
    // A wallet asks the pending nonce before each send and does not wait for receipts.
    const net = network({ pooled: true })
    const f = net.forwarder()
    const nonce = () =>
      pendingNonce(0n, (n) => net.outbox.ofSender(account.address, n).some((x) => x.nonce === n))
    for (let i = 0; i < 5; i++) {
      expect(nonce()).toBe(BigInt(i))
      const t = await transfer(Number(nonce()))
      expect(await f.submit(t, undefined, false)).toEqual({ result: t.hash })
      // Visible here by hash (the outbox answers eth_getTransactionByHash as pending).
      expect(net.outbox.rows.get(t.hash)?.nonce).toBe(BigInt(i))
    }
    expect(nonce()).toBe(5n)
    expect(net.a.took).toHaveLength(5)
  })

  test('behavior: the same write again is "already known" here, an underpriced replacement is refused, neither reaches the sequencer', async () => {
    const net = network({ pooled: false })
    const f = net.forwarder()
    const t = await transfer(0)
    await f.submit(t, undefined, false)
    await expect(f.submit(t, undefined, false)).rejects.toThrow(TransactionRejectedError)
    const cheap = await transfer(0, 105n, 10n)
    await expect(f.submit(cheap, undefined, false)).rejects.toThrow(
      'replacement transaction underpriced',
    )
    // A bumped replacement goes on and takes the first one's place in the outbox.
    const bumped = await transfer(0, 200n, 20n)
    await f.submit(bumped, undefined, false)
    expect(net.a.took).toEqual([t.hash, bumped.hash])
    expect([...net.outbox.rows.keys()]).toEqual([bumped.hash])
  })

  test('behavior: unreachable, the write is not kept and the caller gets -32002', async () => {
    const net = network({ pooled: false })
    net.a.reachable = false
    const t = await transfer(0)
    await expect(net.forwarder().submit(t, undefined, false)).rejects.toThrow(
      SequencerUnavailableError,
    )
    expect(net.outbox.rows.size).toBe(0)
  })

  test('behavior: sent again after the sequencer lost it (a crash), not before RESEND_MS', async () => {
    const net = network({ pooled: false })
    const f = net.forwarder()
    const t = await transfer(0)
    await f.submit(t, undefined, false)
    net.a.pool.clear()
    await f.resend()
    expect(net.a.took).toEqual([t.hash])
    net.state.clock += RESEND_MS
    await f.resend()
    expect(net.a.took).toEqual([t.hash, t.hash])
    expect(net.a.pool.has(t.hash)).toBe(true)
    // The sequencer still has it: "already known" with status pending keeps it, sent.
    net.state.clock += RESEND_MS
    await f.resend()
    expect(net.outbox.rows.has(t.hash)).toBe(true)
    expect(net.outbox.dropped.size).toBe(0)
  })

  test('behavior: a restart resumes from storage: a new forwarder over the same outbox resends', async () => {
    const net = network({ pooled: false })
    const t = await transfer(0)
    await net.forwarder().submit(t, undefined, false)
    net.a.pool.clear()
    net.state.clock += RESEND_MS
    await net.forwarder().resend()
    expect(net.a.pool.has(t.hash)).toBe(true)
  })

  test('behavior: a handover mid-forward: the write waits for the next holder and is taken once', async () => {
    const net = network({ pooled: true })
    const f = net.forwarder()
    // The holder the write went to has just passed the turn on; the next one is known a pause later.
    net.a.sequencing = false
    net.state.onSleep = () => {
      net.state.url = undefined
      net.state.onSleep = () => (net.state.url = 'http://b')
    }
    const t = await transfer(0)
    expect(await f.submit(t, undefined, false)).toEqual({ result: t.hash })
    expect(net.a.took).toEqual([])
    expect(net.b.took).toEqual([t.hash])
    // b mines it; this node derives the block, safe: the resend lets it go and sends nothing.
    net.mined.set(t.hash, 5n)
    net.chain.safe = 5n
    net.state.clock += RESEND_MS
    await f.resend()
    expect(net.b.took).toEqual([t.hash])
    expect(net.outbox.rows.size).toBe(0)
  })

  test('behavior: in an unsafe block it is neither resent nor let go (a handover may replace the block)', async () => {
    const net = network({ pooled: true })
    const f = net.forwarder()
    const t = await transfer(0)
    await f.submit(t, undefined, false)
    net.mined.set(t.hash, 5n)
    net.state.clock += RESEND_MS
    await f.resend()
    expect(net.a.took).toEqual([t.hash])
    expect(net.outbox.rows.has(t.hash)).toBe(true)
  })

  test('behavior: a handover longer than HANDOVER_WAIT_MS ends in -32002, the write not kept', async () => {
    const net = network({ pooled: true })
    net.state.url = undefined
    const t = await transfer(0)
    await expect(net.forwarder().submit(t, undefined, false)).rejects.toThrow(
      'no sequencer to forward to right now',
    )
    expect(net.state.clock).toBeGreaterThanOrEqual(1_000_000 + HANDOVER_WAIT_MS)
    expect(net.outbox.rows.size).toBe(0)
  })

  test('behavior: this node taking the turn during the wait admits the write itself', async () => {
    const net = network({ pooled: true })
    net.state.url = undefined
    net.state.onSleep = () => (net.state.sequences = true)
    const t = await transfer(0)
    expect(await net.forwarder().submit(t, undefined, false)).toBeUndefined()
  })

  test('behavior: in a pool, a write forwarded to a node not sequencing is not forwarded again', async () => {
    const net = network({ pooled: true })
    const t = await transfer(0)
    await expect(net.forwarder().submit(t, undefined, true)).rejects.toThrow(
      SequencerUnavailableError,
    )
    expect(net.a.took).toEqual([])
  })

  test('behavior: refused again on resend and not there, it is dropped with the reason', async () => {
    const net = network({ pooled: false })
    const f = net.forwarder()
    const t = await transfer(0)
    await f.submit(t, undefined, false)
    // The sequencer mined another transaction of that nonce meanwhile: it now refuses this one.
    net.a.pool.clear()
    net.a.answer = () => ({ error: { code: -32000, message: 'nonce too low' } })
    const statusless = net.a.answer
    net.a.answer = (method) =>
      method === 'edge_getTransactionStatus'
        ? { result: { status: 'unknown' } }
        : statusless(method, [])
    net.state.clock += RESEND_MS
    await f.resend()
    expect(net.outbox.rows.size).toBe(0)
    expect(net.outbox.dropped.get(t.hash)).toBe('refused by the sequencer: nonce too low')
  })

  test('behavior: with no sequencer now, resend keeps everything for the next round', async () => {
    const net = network({ pooled: true })
    const f = net.forwarder()
    const t = await transfer(0)
    await f.submit(t, undefined, false)
    net.a.sequencing = false
    net.state.clock += RESEND_MS
    await f.resend()
    expect(net.outbox.rows.get(t.hash)?.lastSent).toBe(1_000_000)
    net.a.sequencing = true
    net.a.pool.clear()
    await f.resend()
    expect(net.a.pool.has(t.hash)).toBe(true)
  })
})
