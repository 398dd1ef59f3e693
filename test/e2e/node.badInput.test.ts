import { bytesToHex, keccak256, numberToHex, parseEther, parseGwei, toRlp, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount, sign } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  devAccount,
  freshAddress,
  getShards,
  openSocket,
  post,
  rpc,
  rpcResult,
  snapshot,
  waitForReceipt,
  type NodeSnapshot,
  type WireResponse,
} from './node.fixtures.js'
import { startNode, type L2Node } from './processes.js'

/**
 * Bad input over raw HTTP (and a websocket): every deterministic mistake gets a clear JSON-RPC error
 * with the EIP-1474 code and geth's wording, never HTTP 500 or -32603, and changes nothing: head,
 * balances, nonces and the pool are the same after it (invariant 6). Automine (BLOCK_TIME_MS=0).
 */

const MAX_BATCH = 25
const MAX_BODY = 1 << 20
const rich = devAccount(0)
const richKey = bytesToHex(rich.getHdKey().privateKey!)
const poor = freshAddress()
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

let node: L2Node
let url: string
let wsUrl: string
let minedRaw: Hex
let before: NodeSnapshot

beforeAll(async () => {
  node = await startNode({
    vars: {
      BLOCK_TIME_MS: '0',
      RPC_MAX_BATCH: String(MAX_BATCH),
      RPC_MAX_BODY_BYTES: String(MAX_BODY),
    },
  })
  const shard = (await getShards(node.url)).find((s) => s.chainId === 901)!
  url = shard.rpcUrl
  wsUrl = shard.wsUrl
  // One mined transaction to replay later.
  minedRaw = await signed1559({ nonce: 0n, to: freshAddress(), value: 1n })
  await waitForReceipt(url, await rpcResult(url, 'eth_sendRawTransaction', [minedRaw]))
  before = await snapshot(url, [rich.address, poor])
})

afterAll(async () => {
  await node?.stop()
})

type Tx1559 = {
  chainId?: bigint
  nonce?: bigint
  maxPriorityFeePerGas?: bigint
  maxFeePerGas?: bigint
  gas?: bigint
  to?: Hex
  value?: bigint
  data?: Hex
}

/**
 * A type-2 transaction signed by `rich` with whatever fields it is given, unchecked (viem's serializer
 * refuses some of the bad ones this file needs): `0x02 || rlp([...fields, yParity, r, s])`.
 */
async function signed1559(
  t: Tx1559,
  tamper?: (sig: { r: bigint; s: bigint; yParity: number }) => {
    r: bigint
    s: bigint
    yParity: number
  },
) {
  const q = (n: bigint) => (n === 0n ? '0x' : numberToHex(n))
  const fields = [
    q(t.chainId ?? 901n),
    q(t.nonce ?? 0n),
    q(t.maxPriorityFeePerGas ?? parseGwei('1')),
    q(t.maxFeePerGas ?? parseGwei('20')),
    q(t.gas ?? 21_000n),
    t.to ?? '0x',
    q(t.value ?? 0n),
    t.data ?? '0x',
    [],
  ] as const
  const unsigned = `0x02${toRlp(fields as never).slice(2)}` as Hex
  const s = await sign({ hash: keccak256(unsigned), privateKey: richKey })
  let sig = { r: BigInt(s.r), s: BigInt(s.s), yParity: s.yParity! }
  if (tamper) sig = tamper(sig)
  return `0x02${toRlp([...fields, q(BigInt(sig.yParity)), q(sig.r), q(sig.s)] as never).slice(2)}` as Hex
}

/** The node's next nonce for `rich`. */
const nextNonce = async () =>
  BigInt(await rpcResult(url, 'eth_getTransactionCount', [rich.address, 'pending']))

/** A clear error: the given code, never HTTP 500 nor -32603, and a message matching `message`. */
function expectError(
  res: { status: number; error?: { code: number; message: string } },
  code: number,
  message: RegExp | string,
) {
  expect(res.status).not.toBe(500)
  expect(res.error, JSON.stringify(res)).toBeDefined()
  expect(res.error!.code).not.toBe(-32603)
  expect(res.error!.code).toBe(code)
  if (typeof message === 'string') expect(res.error!.message).toBe(message)
  else expect(res.error!.message).toMatch(message)
}

/** Nothing observable changed since `before` (the head, balances, nonces and the pool). */
async function expectUnchanged() {
  expect(await snapshot(url, [rich.address, poor])).toEqual(before)
}

/** Sends a raw transaction that must be rejected; checks the error, that nothing changed, and that its hash is unknown. */
async function expectRejected(raw: Hex, code: number, message: RegExp | string) {
  const res = await rpc(url, 'eth_sendRawTransaction', [raw])
  expectError(res, code, message)
  await expectUnchanged()
  if (/^0x[0-9a-f]+$/i.test(raw) && raw.length > 2 && raw !== minedRaw)
    expect(await rpcResult(url, 'edge_getTransactionStatus', [keccak256(raw)])).toEqual({
      status: 'unknown',
    })
}

const single = (method: string, params: unknown, id: unknown = 1) => ({
  jsonrpc: '2.0',
  id,
  method,
  params,
})
const errorOf = (r: WireResponse) => ({ status: r.status, error: r.json?.error })

describe('bad input: the JSON-RPC envelope', () => {
  test.each(['{bad', '', '[', '{"jsonrpc":"2.0","id":1,', '\u0000'])(
    'default: malformed JSON %j is -32700',
    async (body) => {
      const r = await post(url, body)
      expectError(errorOf(r), -32700, /parse error/)
      expect(r.json.id).toBeNull()
    },
  )

  test.each([
    ['an object without jsonrpc', { id: 1, method: 'eth_chainId', params: [] }],
    ['jsonrpc 1.0', { jsonrpc: '1.0', id: 1, method: 'eth_chainId', params: [] }],
    ['a numeric method', { jsonrpc: '2.0', id: 1, method: 7, params: [] }],
    ['params as an object', { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: {} }],
    ['an object id', { jsonrpc: '2.0', id: {}, method: 'eth_chainId' }],
    ['null', null],
    ['a string', 'eth_chainId'],
    ['an empty batch', []],
  ])('behavior: %s is -32600', async (_what, body) => {
    expectError(
      errorOf(await post(url, JSON.stringify(body))),
      -32600,
      /invalid request|empty batch/,
    )
    await expectUnchanged()
  })

  test('behavior: every invalid member of a batch gets its own -32600, valid ones their result', async () => {
    const r = await post(url, [1, single('eth_chainId', []), { foo: 1 }])
    expect(r.status).toBe(200)
    expect(r.json).toHaveLength(3)
    expect(r.json.filter((x: any) => x.error?.code === -32600)).toHaveLength(2)
    expect(r.json.find((x: any) => x.result !== undefined)).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: '0x385',
    })
  })

  test('behavior: an unknown method is -32601 with the request id', async () => {
    const r = await post(url, single('eth_doesNotExist', [], 'abc'))
    expectError(errorOf(r), -32601, 'the method eth_doesNotExist does not exist/is not available')
    expect(r.json.id).toBe('abc')
  })

  test('behavior: a batch over RPC_MAX_BATCH is one error; at the limit it is answered', async () => {
    const batch = (n: number) => Array.from({ length: n }, (_, i) => single('eth_chainId', [], i))
    const ok = await post(url, batch(MAX_BATCH))
    expect(ok.status).toBe(200)
    expect(ok.json).toHaveLength(MAX_BATCH)
    const over = await post(url, batch(MAX_BATCH + 1))
    expectError(
      errorOf(over),
      -32600,
      `batch too large: ${MAX_BATCH + 1} requests, limit ${MAX_BATCH}`,
    )
    // Over the cap, nothing runs: not even a transaction inside it.
    const withTx = [
      ...batch(MAX_BATCH),
      single('eth_sendRawTransaction', [
        await signed1559({ nonce: await nextNonce(), to: poor, value: 1n }),
      ]),
    ]
    expectError(errorOf(await post(url, withTx)), -32600, /batch too large/)
    await expectUnchanged()
  })

  test('behavior: a body over RPC_MAX_BODY_BYTES is refused (413 or a JSON-RPC error), not 500', async () => {
    const padding = 'a'.repeat(MAX_BODY)
    const body = JSON.stringify({ ...single('eth_chainId', []), padding })
    const r = await post(url, body)
    expect([200, 413]).toContain(r.status)
    expectError(errorOf(r), -32600, /request body too large/)
    // Without a content-length (chunked), the size is only known once read: still refused.
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(body))
          c.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect([200, 413]).toContain(res.status)
    expect(((await res.json()) as any).error).toMatchObject({
      code: -32600,
      message: expect.stringMatching(/too large/),
    })
  })

  test('behavior: a notification (no id) gets no body, even when it fails', async () => {
    const r = await post(url, { jsonrpc: '2.0', method: 'eth_getBalance', params: [1] })
    expect(r.status).toBe(204)
    expect(r.text).toBe('')
  })

  test('behavior: over a websocket, bad JSON and unknown methods get errors and the socket stays usable', async () => {
    const ws = await openSocket(wsUrl)
    try {
      ws.send('{bad')
      ws.send(single('eth_nope', [], 2))
      ws.send(single('eth_subscribe', ['nonsense'], 3))
      ws.send(single('eth_chainId', [], 4))
      expect((await ws.next('the parse error', (m) => m.id === null)).error.code).toBe(-32700)
      expect((await ws.next('the unknown method', (m) => m.id === 2)).error.code).toBe(-32601)
      expect((await ws.next('the bad subscription', (m) => m.id === 3)).error).toMatchObject({
        code: -32602,
        message: expect.stringMatching(/invalid argument 0/),
      })
      expect((await ws.next('the chain id', (m) => m.id === 4)).result).toBe('0x385')
    } finally {
      ws.close()
    }
  })
})

describe('bad input: parameters (-32602 naming the argument)', () => {
  const addr = rich.address
  const h = `0x${'11'.repeat(32)}`
  test.each([
    ['eth_getBalance', [1, 'latest'], 0],
    ['eth_getBalance', ['0x123', 'latest'], 0],
    ['eth_getBalance', ['0xzz00000000000000000000000000000000000000', 'latest'], 0],
    ['eth_getBalance', [addr, 'lastest'], 1],
    ['eth_getBalance', [addr, {}], 1],
    ['eth_getBalance', [addr, '0x'], 1],
    ['eth_getBalance', [addr, 12], 1],
    ['eth_getBalance', [addr, { blockHash: h, blockNumber: '0x1' }], 1],
    ['eth_getTransactionCount', [addr, 'pendingg'], 1],
    ['eth_getBlockByNumber', ['latest', 'yes'], 1],
    ['eth_getBlockByHash', ['0x12', false], 0],
    ['eth_getTransactionByHash', ['0x12'], 0],
    ['eth_getTransactionReceipt', [42], 0],
    ['eth_getStorageAt', [addr, 'zz', 'latest'], 1],
    ['eth_getCode', [addr, 'earliestt'], 1],
    ['eth_call', [{ to: 'zz' }, 'latest'], 0],
    ['eth_call', [{ to: addr, data: '0x1' }, 'latest'], 0],
    ['eth_call', [{ to: addr, gasPrice: '0x1', maxFeePerGas: '0x1' }, 'latest'], 0],
    ['eth_estimateGas', [{ to: addr, value: 'lots' }], 0],
    ['eth_getLogs', [{ address: '0x12' }], 0],
    ['eth_getLogs', [{ topics: 'x' }], 0],
    ['eth_getLogs', [{ blockHash: h, fromBlock: '0x1' }], 0],
    ['eth_getLogs', [{ fromBlock: 'soon' }], 0],
    ['eth_sendRawTransaction', ['zz'], 0],
    ['eth_sendRawTransaction', ['0x'], 0],
    ['eth_sendRawTransaction', [7], 0],
    ['eth_newFilter', [{ toBlock: 'never' }], 0],
    ['eth_getFilterChanges', [5], 0],
    ['eth_feeHistory', ['0x0', 'latest', []], 0],
    ['eth_feeHistory', ['0x2', 'latest', [50, 10]], 2],
  ] as const)('default: %s %j is -32602 naming argument %i', async (method, params, i) => {
    expectError(
      await rpc(url, method, params as unknown as unknown[]),
      -32602,
      new RegExp(`argument ${i}`),
    )
    await expectUnchanged()
  })

  test.each([
    ['eth_getBalance', []],
    ['eth_getBalance', [rich.address, 'latest', 'extra']],
    ['eth_getTransactionReceipt', []],
  ] as const)(
    'behavior: %s with %j has the wrong number of arguments: -32602',
    async (method, params) => {
      expectError(
        await rpc(url, method, params as unknown as unknown[]),
        -32602,
        /missing value for required argument|too many arguments/,
      )
    },
  )

  test('behavior: a block that does not exist is null or "header not found", not an internal error', async () => {
    expect(await rpcResult(url, 'eth_getBlockByNumber', ['0xffffff', false])).toBeNull()
    expectError(
      await rpc(url, 'eth_getBalance', [rich.address, '0xffffff']),
      -32000,
      'header not found',
    )
    expectError(
      await rpc(url, 'eth_getBalance', [rich.address, { blockHash: `0x${'22'.repeat(32)}` }]),
      -32000,
      'header not found',
    )
    expectError(
      await rpc(url, 'eth_getLogs', [{ fromBlock: '0x5', toBlock: '0x1' }]),
      -32602,
      'invalid block range params',
    )
    expectError(await rpc(url, 'eth_getFilterChanges', ['0x1234']), -32602, 'filter not found')
  })
})

describe('bad input: deterministic failures are never -32603', () => {
  const to = devAccount(1).address
  test.each([
    // eth_call and friends take any gas the caller names; above the EIP-7825 cap (2^24, Osaka) the call
    // transaction cannot even be built.
    ['eth_call with gas above the EIP-7825 cap', 'eth_call', [{ to, gas: '0x1000001' }, 'latest']],
    ['eth_call with gas of 2^64', 'eth_call', [{ to, gas: '0x10000000000000000' }, 'latest']],
    [
      'eth_estimateGas with gas above the EIP-7825 cap',
      'eth_estimateGas',
      [{ to, gas: '0x1000001' }],
    ],
    [
      'eth_createAccessList with gas above the EIP-7825 cap',
      'eth_createAccessList',
      [{ to, gas: '0x1000001' }],
    ],
    [
      'debug_traceCall with gas above the EIP-7825 cap',
      'debug_traceCall',
      [{ to, gas: '0x1000001' }, 'latest'],
    ],
    [
      'eth_call with maxPriorityFeePerGas above maxFeePerGas',
      'eth_call',
      [{ to, maxFeePerGas: '0x1', maxPriorityFeePerGas: '0x2' }, 'latest'],
    ],
    [
      'eth_call with a nonce over 64 bits',
      'eth_call',
      [{ to, nonce: '0xffffffffffffffffff' }, 'latest'],
    ],
    // geth's prestateTracer has diffMode; the node does not, which must be said as a clear error.
    [
      'debug_traceCall with prestateTracer in diffMode',
      'debug_traceCall',
      [{ to }, 'latest', { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }],
    ],
    // An internal method of the sequencer, reachable from the public RPC.
    ['edge_blockHashes with non-numeric bounds', 'edge_blockHashes', ['a', 'b']],
  ] as const)('behavior: %s', async (_what, method, params) => {
    const r = await rpc(url, method, params as unknown as unknown[])
    expect(r.status).not.toBe(500)
    expect(r.error?.code, JSON.stringify(r.error)).not.toBe(-32603)
    await expectUnchanged()
  })
})

describe('bad input: transactions are rejected and change nothing', () => {
  test('default: garbage bytes are a decoding error, never an internal one', async () => {
    for (const raw of [
      '0x00',
      '0x02',
      '0xc0',
      '0xf8',
      '0xdeadbeef',
      '0x02c0',
      '0x01c0',
      '0x04c0',
      `0x02${'ff'.repeat(64)}`,
      '0xc2c0c0',
    ] as Hex[]) {
      const r = await rpc(url, 'eth_sendRawTransaction', [raw])
      expect(r.status).not.toBe(500)
      expect([-32602, -32000], `${raw}: ${JSON.stringify(r.error)}`).toContain(r.error?.code)
    }
    await expectUnchanged()
  })

  test('behavior: a transaction type the chain does not take (blob, deposit) is refused', async () => {
    await expectRejected('0x03c0', -32000, 'transaction type not supported')
    await expectRejected('0x7ec0', -32000, 'transaction type not supported')
  })

  test('behavior: a bad signature (r = 0, or a high s) is "invalid sender"', async () => {
    const nonce = await nextNonce()
    await expectRejected(
      await signed1559({ nonce, to: poor, value: 1n }, (s) => ({ ...s, r: 0n })),
      -32000,
      'invalid sender',
    )
    await expectRejected(
      await signed1559({ nonce, to: poor, value: 1n }, (s) => ({
        r: s.r,
        s: SECP256K1_N - s.s,
        yParity: 1 - s.yParity,
      })),
      -32000,
      'invalid sender',
    )
  })

  test('behavior: a transaction signed for chain 1 is "invalid chain id for signer"', async () => {
    const raw = await rich.signTransaction({
      chainId: 1,
      type: 'eip1559',
      nonce: Number(await nextNonce()),
      to: poor,
      value: 1n,
      gas: 21_000n,
      maxFeePerGas: parseGwei('20'),
      maxPriorityFeePerGas: parseGwei('1'),
    })
    await expectRejected(raw, -32000, 'invalid chain id for signer: have 1 want 901')
    const legacy = await rich.signTransaction({
      chainId: 1,
      type: 'legacy',
      nonce: Number(await nextNonce()),
      to: poor,
      value: 1n,
      gas: 21_000n,
      gasPrice: parseGwei('20'),
    })
    await expectRejected(legacy, -32000, 'invalid chain id for signer: have 1 want 901')
  })

  test('behavior: replaying a mined transaction is "already known" or "nonce too low"', async () => {
    await expectRejected(
      minedRaw,
      -32000,
      /^(already known|nonce too low: next nonce 1, tx nonce 0)$/,
    )
  })

  test('behavior: insufficient funds for gas * price + value', async () => {
    await expectRejected(
      await signed1559({ nonce: await nextNonce(), to: poor, value: parseEther('20000') }),
      -32000,
      /^insufficient funds for gas \* price \+ value/,
    )
    // A never-funded sender: a fresh key.
    const nobody = privateKeyToAccount(generatePrivateKey())
    const raw = await nobody.signTransaction({
      chainId: 901,
      type: 'eip1559',
      nonce: 0,
      to: poor,
      value: 0n,
      gas: 21_000n,
      maxFeePerGas: parseGwei('20'),
      maxPriorityFeePerGas: parseGwei('1'),
    })
    await expectRejected(raw, -32000, /^insufficient funds for gas \* price \+ value/)
    expect(await rpcResult(url, 'eth_getTransactionCount', [nobody.address, 'pending'])).toBe('0x0')
  })

  test('behavior: intrinsic gas too low', async () => {
    await expectRejected(
      await signed1559({ nonce: await nextNonce(), to: poor, gas: 20_999n }),
      -32000,
      'intrinsic gas too low: gas 20999, minimum needed 21000',
    )
  })

  test("behavior: fee, nonce and gas-limit rules are geth's", async () => {
    const nonce = await nextNonce()
    await expectRejected(
      await signed1559({ nonce, to: poor, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }),
      -32000,
      /^max fee per gas less than block base fee/,
    )
    await expectRejected(
      await signed1559({
        nonce,
        to: poor,
        maxFeePerGas: parseGwei('2'),
        maxPriorityFeePerGas: parseGwei('3'),
      }),
      -32000,
      'max priority fee per gas higher than max fee per gas',
    )
    await expectRejected(
      await signed1559({ nonce: nonce + 1000n, to: poor }),
      -32000,
      /^nonce too high/,
    )
    await expectRejected(
      await signed1559({ nonce, to: poor, gas: 1n << 25n }),
      -32000,
      /^transaction gas limit too high|^exceeds block gas limit/,
    )
    await expectRejected(
      await signed1559({ nonce, to: poor, gas: 1n << 40n }),
      -32000,
      /^transaction gas limit too high|^exceeds block gas limit/,
    )
  })

  test('behavior: a transaction over 128 KiB is "oversized data"', async () => {
    const data = `0x${'01'.repeat(130 * 1024)}` as Hex
    await expectRejected(
      await signed1559({ nonce: await nextNonce(), to: poor, gas: 10_000_000n, data }),
      -32000,
      /^oversized data/,
    )
  })

  test('behavior: after all of it, a good transaction still goes through', async () => {
    const hash = await rpcResult(url, 'eth_sendRawTransaction', [
      await signed1559({ nonce: await nextNonce(), to: poor, value: 5n }),
    ])
    expect((await waitForReceipt(url, hash)).status).toBe('0x1')
    expect(await rpcResult(url, 'eth_getBalance', [poor, 'latest'])).toBe('0x5')
  })
})
