import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  devAccount,
  freshAddress,
  getShards,
  openSocket,
  post,
  snapshot,
  type NodeSnapshot,
  type RawSocket,
} from './node.fixtures.js'
import { startNode, type L2Node } from './processes.js'
import {
  BAD_LOG_LINE,
  PROTOTYPE_NAMES,
  body,
  checkAnswer,
  checkMessage,
  postBody,
  request,
} from './rpcFuzz.js'

/**
 * Property-based fuzzing of a real node (wrangler dev, automine) with random JSON-RPC as a hostile
 * client sends it (test/e2e/rpcFuzz.ts): random and prototype method names, params of every JSON
 * type, nested objects, huge strings, invalid hex, batches, malformed bodies, over HTTP and a
 * websocket. Every answer is JSON-RPC 2.0 with an EIP-1474 code and never an internal error or a 5xx,
 * the node logs no uncaught exception or internal error, and the state (head, balances, nonces, pool)
 * is what it was (invariant 6). A failure prints fast-check's seed and the shrunk body.
 */

const MAX_BATCH = 20
const WS_MAX_MESSAGE = 64 * 1024
const WS_MAX_SUBS = 3
const WS_MAX_FILTERS = 2
/** Init code that loops forever (JUMPDEST PUSH1 0 JUMP): a call runs until its gas or time is up. */
const LOOP = '0x5b600056'
const accounts = [devAccount(0).address, devAccount(1).address, freshAddress()]

let node: L2Node
let url: string
let wsUrl: string
let before: NodeSnapshot
const logLines: string[] = []

beforeAll(async () => {
  node = await startNode({
    vars: {
      BLOCK_TIME_MS: '0',
      RPC_MAX_BATCH: String(MAX_BATCH),
      WS_MAX_MESSAGE_BYTES: String(WS_MAX_MESSAGE),
      RPC_EVM_TIMEOUT: '200ms',
      WS_MAX_SUBSCRIPTIONS: String(WS_MAX_SUBS),
      WS_MAX_FILTERS: String(WS_MAX_FILTERS),
    },
    onLog: (line) => void logLines.push(line),
  })
  const shard = (await getShards(node.url)).find((s) => s.chainId === 901)!
  url = shard.rpcUrl
  wsUrl = shard.wsUrl
  before = await snapshot(url, accounts)
})

afterAll(async () => {
  await node?.stop()
})

/** Posts a raw body and checks the answer; returns why it is wrong, if it is. */
async function postAndCheck(sent: string): Promise<string | undefined> {
  const r = await postBody(url, sent)
  return checkAnswer(sent, r.status, r.text)
}

describe('fuzz: random JSON-RPC', () => {
  test('default: prototype names are -32601 with geth wording, over HTTP, in a batch and over a websocket', async () => {
    const reqs = PROTOTYPE_NAMES.map((method, id) => ({ jsonrpc: '2.0', id, method, params: [] }))
    const expected = PROTOTYPE_NAMES.map((method, id) => ({
      jsonrpc: '2.0',
      id,
      error: { code: -32601, message: `the method ${method} does not exist/is not available` },
    }))
    for (const [i, r] of reqs.entries()) expect((await post(url, r)).json).toEqual(expected[i])
    expect((await post(url, reqs.slice(0, MAX_BATCH))).json).toEqual(expected.slice(0, MAX_BATCH))
    const ws = await openSocket(wsUrl)
    try {
      for (const [i, r] of reqs.entries()) {
        ws.send(r)
        expect(await ws.next(r.method, (m) => m.id === i)).toEqual(expected[i])
      }
    } finally {
      ws.close()
    }
  })

  test('behavior: single requests over HTTP all get well-formed answers', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const why = await postAndCheck(JSON.stringify(r))
        if (why) throw new Error(why)
      }),
      { numRuns: 200 },
    )
  })

  test('behavior: batches and malformed bodies over HTTP all get well-formed answers', async () => {
    await fc.assert(
      fc.asyncProperty(body(MAX_BATCH), async (sent) => {
        const why = await postAndCheck(sent)
        if (why) throw new Error(why)
      }),
      { numRuns: 80 },
    )
  })

  test('behavior: bodies over a websocket all get well-formed answers, and the socket stays usable', async () => {
    let ws: RawSocket = await openSocket(wsUrl)
    let seen = 0
    const bodies = fc.oneof(
      body(MAX_BATCH),
      fc.integer({ min: WS_MAX_MESSAGE, max: 2 * WS_MAX_MESSAGE }).map((n) => ' '.repeat(n)),
    )
    try {
      await fc.assert(
        fc.asyncProperty(bodies, async (sent) => {
          ws.send(sent)
          // A sentinel after each body: its answer means the body's answer, if any, has come too
          // (the feed may answer out of order, so both are awaited by id, not by position).
          const sentinel = `sentinel-${seen}`
          ws.send({ jsonrpc: '2.0', id: sentinel, method: 'eth_chainId', params: [] })
          await ws.next(sentinel, (m) => m.id === sentinel)
          const fresh = ws.messages.slice(seen)
          seen = ws.messages.length
          for (const m of fresh) {
            if (m.id === sentinel) continue
            const why = checkMessage(sent, JSON.stringify(m))
            if (why) throw new Error(why)
          }
        }),
        { numRuns: 100 },
      )
      // Still answering after all of it.
      ws.send({ jsonrpc: '2.0', id: 'last', method: 'eth_chainId', params: [] })
      expect(await ws.next('last', (m) => m.id === 'last')).toMatchObject({ result: '0x385' })
    } finally {
      ws.close()
    }
    ws = undefined as never
  })

  test('behavior: inputs the fuzz found: a fractional eth_feeHistory block count is -32602, not -32603', async () => {
    const r = await post(url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_feeHistory',
      params: [1.0411846825347883e-230, 'latest', []],
    })
    expect(r.json.error).toEqual({
      code: -32602,
      message:
        'invalid argument 0: block count 1.0411846825347883e-230 is not a non-negative integer',
    })
  })

  test('behavior: a call past RPC_EVM_TIMEOUT is aborted with geth wording, and the node goes on', async () => {
    for (const method of ['eth_call', 'eth_estimateGas'])
      expect(
        (await post(url, { jsonrpc: '2.0', id: 1, method, params: [{ data: LOOP }] })).json,
      ).toEqual({
        jsonrpc: '2.0',
        id: 1,
        error: { code: -32000, message: 'execution aborted (timeout = 200ms)' },
      })
    const r = await post(url, { jsonrpc: '2.0', id: 2, method: 'eth_chainId', params: [] })
    expect(r.json.result).toBe('0x385')
  })

  test('behavior: a websocket has at most WS_MAX_SUBSCRIPTIONS subscriptions, WS_MAX_FILTERS filters and WS_MAX_MESSAGE_BYTES a message', async () => {
    const ws = await openSocket(wsUrl)
    let id = 0
    const call = async (method: string, params: unknown[]) => {
      const i = `limits-${id++}`
      ws.send({ jsonrpc: '2.0', id: i, method, params })
      return ws.next(method, (m) => m.id === i)
    }
    try {
      const subs = []
      for (let i = 0; i < WS_MAX_SUBS; i++)
        subs.push((await call('eth_subscribe', ['newHeads'])).result)
      expect((await call('eth_subscribe', ['newHeads'])).error).toEqual({
        code: -32005,
        message: `too many subscriptions on this connection (limit ${WS_MAX_SUBS}); unsubscribe first`,
      })
      expect((await call('eth_unsubscribe', ['toString'])).result).toBe(false)
      expect((await call('eth_unsubscribe', [subs[0]])).result).toBe(true)
      expect((await call('eth_subscribe', ['newHeads'])).result).toMatch(/^0x[0-9a-f]{32}$/)

      const filters = []
      for (let i = 0; i < WS_MAX_FILTERS; i++)
        filters.push((await call('eth_newBlockFilter', [])).result)
      expect((await call('eth_newBlockFilter', [])).error).toEqual({
        code: -32005,
        message: `too many filters on this connection (limit ${WS_MAX_FILTERS}); uninstall some first`,
      })
      expect((await call('eth_uninstallFilter', [filters[0]])).result).toBe(true)
      expect((await call('eth_newPendingTransactionFilter', [])).result).toMatch(/^0x/)

      ws.send(' '.repeat(WS_MAX_MESSAGE + 1))
      expect(await ws.next('size error', (m) => m.error?.code === -32600)).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32600,
          message: `request body too large: ${WS_MAX_MESSAGE + 1} bytes, limit ${WS_MAX_MESSAGE}`,
        },
      })
    } finally {
      ws.close()
    }
  })

  test('behavior: afterwards the state is unchanged and the node logged no uncaught or internal error', async () => {
    expect(await snapshot(url, accounts)).toEqual(before)
    expect(logLines.filter((l) => BAD_LOG_LINE.test(l))).toEqual([])
  })
})
