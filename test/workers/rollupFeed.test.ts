import { env, SELF } from 'cloudflare:test'
import { describe, expect, test } from 'vitest'
import { shardStubs } from '../../durable-objects/edgeContext.js'

/** A websocket to shard `chainId` through the Worker, and its messages (parsed) as they arrive. */
async function openSocket(chainId = 901) {
  const res = await SELF.fetch(`http://node/chain/${chainId}`, {
    headers: { upgrade: 'websocket' },
  })
  const ws = res.webSocket
  if (res.status !== 101 || !ws) throw new Error(`no websocket: HTTP ${res.status}`)
  ws.accept()
  const messages: any[] = []
  const waiters: (() => void)[] = []
  ws.addEventListener('message', (e) => {
    messages.push(JSON.parse(e.data as string))
    for (const w of waiters.splice(0)) w()
  })
  const closed = new Promise<void>((resolve) => ws.addEventListener('close', () => resolve()))
  /** Closes the socket and waits for the feed's close frame, so nothing is left open. */
  const close = async () => {
    ws.close(1000, 'done')
    await closed
  }
  let nextId = 1
  /** The first message (past or future) that `match` accepts, removed from the queue. */
  const next = async (what: string, match: (m: any) => boolean) => {
    const deadline = Date.now() + 5_000
    for (;;) {
      const i = messages.findIndex(match)
      if (i >= 0) return messages.splice(i, 1)[0]
      if (Date.now() > deadline) throw new Error(`no ${what} within 5 s`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
  }
  const call = async (method: string, params: unknown[]) => {
    const id = nextId++
    ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    return next(`answer to ${method}`, (m) => m.id === id)
  }
  return { call, next, messages, close }
}

const attested = {
  type: 'attested',
  l1Block: '0x2a',
  l1Tx: '0x5a1e000000000000000000000000000000000000000000000000000000000001',
  logIndex: '0x0',
  verifier: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  stake: '0x152d02c7e14af6800000',
  l2BlockNumber: '0xa',
  outputRoot: '0xe7d96d2a0472e22e1ab91c3ce1401a033ccfeb546b16479046acdeb552c2819c',
}
const computed = {
  type: 'computed',
  l2BlockNumber: '0xa',
  outputRoot: attested.outputRoot,
  blockHash: '0xb10c000000000000000000000000000000000000000000000000000000000001',
}

describe('eth_subscribe edge_rollup', () => {
  test('default: each published rollup event is one eth_subscription notification, in order', async () => {
    const socket = await openSocket(901)
    try {
      const sub = await socket.call('eth_subscribe', ['edge_rollup'])
      expect(sub.result).toMatch(/^0x[0-9a-f]{32}$/)
      const heads = await socket.call('eth_subscribe', ['newHeads'])
      const reply = await shardStubs(env, 901).feed.publishRollup(901, [attested, computed])
      expect(reply).toEqual({ rollupSubscribers: 1 })
      const first = await socket.next('the first rollup event', (m) => m.method)
      const second = await socket.next('the second rollup event', (m) => m.method)
      expect([first, second]).toEqual([
        {
          jsonrpc: '2.0',
          method: 'eth_subscription',
          params: { subscription: sub.result, result: attested },
        },
        {
          jsonrpc: '2.0',
          method: 'eth_subscription',
          params: { subscription: sub.result, result: computed },
        },
      ])
      // Only the edge_rollup subscription heard them: no notification for newHeads.
      expect(socket.messages.filter((m) => m.params?.subscription === heads.result)).toEqual([])
      expect((await socket.call('eth_unsubscribe', [sub.result])).result).toBe(true)
      expect(await shardStubs(env, 901).feed.publishRollup(901, [computed])).toEqual({
        rollupSubscribers: 0,
      })
    } finally {
      await socket.close()
    }
  })

  test("behavior: a shard's events reach only that shard's subscribers", async () => {
    const [a, b] = [await openSocket(901), await openSocket(902)]
    try {
      const subA = await a.call('eth_subscribe', ['edge_rollup'])
      await b.call('eth_subscribe', ['edge_rollup'])
      await shardStubs(env, 901).feed.publishRollup(901, [computed])
      const got = await a.next('the event on 901', (m) => m.method === 'eth_subscription')
      expect(got.params).toEqual({ subscription: subA.result, result: computed })
      // 902's feed is another object: a round trip there shows it received nothing meanwhile.
      await b.call('eth_chainId', [])
      expect(b.messages).toEqual([])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  test('behavior: an unknown kind is -32602 naming the supported ones', async () => {
    const socket = await openSocket(901)
    try {
      expect((await socket.call('eth_subscribe', ['edge_nonsense'])).error).toEqual({
        code: -32602,
        message:
          'invalid argument 0: unsupported subscription "edge_nonsense"; use newHeads, logs, newPendingTransactions, edge_blocks or edge_rollup',
      })
    } finally {
      await socket.close()
    }
  })
})

describe('GET /network', () => {
  test('behavior: an L1 config without verifier contracts is 404 with an error', async () => {
    const res = await SELF.fetch('http://node/network')
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({
      error: 'no verifier contracts (verifierStaking, outputQuorum) in the L1 config',
    })
  })
})
