import { request as httpRequest, type Agent } from 'node:http'
import fc from 'fast-check'

/**
 * Random JSON-RPC traffic as a hostile client sends it (fast-check arbitraries), and the check every
 * answer must pass. Shared by the fuzz suite (test/e2e/node.fuzz.test.ts) and `npm run bench`.
 * Pure Node, no test framework.
 */

/** Methods the node serves that read only, or take writes no random input can make valid. */
const METHODS = [
  'web3_clientVersion',
  'web3_sha3',
  'net_version',
  'eth_chainId',
  'eth_blockNumber',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
  'eth_getBalance',
  'eth_getTransactionCount',
  'eth_getCode',
  'eth_getStorageAt',
  'eth_call',
  'eth_estimateGas',
  'eth_createAccessList',
  'eth_getProof',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getBlockTransactionCountByNumber',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getTransactionByHash',
  'eth_getRawTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_getBlockReceipts',
  'eth_getLogs',
  'eth_newFilter',
  'eth_newBlockFilter',
  'eth_newPendingTransactionFilter',
  'eth_getFilterChanges',
  'eth_getFilterLogs',
  'eth_uninstallFilter',
  'eth_subscribe',
  'eth_unsubscribe',
  'eth_sendRawTransaction',
  'eth_sendRawTransactionSync',
  'debug_traceTransaction',
  'debug_traceCall',
  'txpool_status',
  'txpool_content',
  'edge_getTransactionStatus',
  'edge_getBatchByBlock',
  'edge_getSignedBlocks',
  'optimism_outputAtBlock',
  'optimism_syncStatus',
  'rpc_modules',
]

/** Names every JavaScript object answers through its prototype: each must be an unknown method. */
export const PROTOTYPE_NAMES = [
  'toString',
  'constructor',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'then',
  'prototype',
  'fetch',
  'alarm',
  'webSocketMessage',
  'submit',
  'rpc',
]

const hexChars = fc.constantFrom(...'0123456789abcdefABCDEF')
const hex = (min: number, max: number) =>
  fc.string({ unit: hexChars, minLength: min, maxLength: max }).map((s) => `0x${s}`)

/** Strings a parameter decoder meets: hex of every length, invalid hex, tags, huge, odd Unicode. */
const strings = fc.oneof(
  { weight: 3, arbitrary: hex(0, 80) },
  hex(40, 40),
  hex(64, 64),
  fc.string({ maxLength: 40 }).map((s) => `0x${s}`),
  fc.constantFrom(
    'latest',
    'pending',
    'safe',
    'finalized',
    'earliest',
    '0x',
    '0x0',
    '0x00',
    '-0x1',
    '0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'callTracer',
    'prestateTracer',
    'newHeads',
    'logs',
    'newPendingTransactions',
    'edge_blocks',
    '\u0000',
    '\ud800',
    'NaN',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => '0x'.padEnd(n, 'f')),
)

/** Keys of call objects, filters and trace configs, and the prototype's own. */
const keys = fc.oneof(
  fc.constantFrom(
    'from',
    'to',
    'data',
    'input',
    'gas',
    'gasPrice',
    'value',
    'nonce',
    'maxFeePerGas',
    'maxPriorityFeePerGas',
    'accessList',
    'blockHash',
    'fromBlock',
    'toBlock',
    'address',
    'topics',
    'tracer',
    'tracerConfig',
    'requireCanonical',
    'balance',
    'code',
    'state',
    'stateDiff',
    '__proto__',
    'constructor',
    'toString',
    'length',
  ),
  fc.string({ maxLength: 10 }),
)

/** Any JSON value, weighted toward what parameter decoders take, nested objects and arrays included. */
export const jsonParam: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: strings },
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -1, 2 ** 53, 1e308, null, true, false),
    fc.dictionary(keys, tie('value'), { maxKeys: 6 }),
    fc.array(tie('value'), { maxLength: 5 }),
  ),
})).value

const methods = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...METHODS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  fc.string({ maxLength: 30 }),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'm'.repeat(n)),
)

const ids = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 1_000_000 }) },
  fc.string({ maxLength: 12 }),
  fc.constant(null),
  fc.double(),
  fc.constant({}),
)

/** One request object: mostly well-formed envelopes with random method and params, sometimes not. */
export const request = fc.record(
  {
    jsonrpc: fc.oneof({ weight: 9, arbitrary: fc.constant('2.0') }, jsonParam),
    id: ids,
    method: fc.oneof({ weight: 9, arbitrary: methods }, jsonParam),
    params: fc.oneof({ weight: 9, arbitrary: fc.array(jsonParam, { maxLength: 4 }) }, jsonParam),
  },
  { requiredKeys: [] },
)

/** Bodies that are not a JSON-RPC request: cut JSON, other JSON, bytes, huge. */
const malformed = fc.oneof(
  fc.string({ maxLength: 200 }),
  request.map((r) => JSON.stringify(r)).map((s) => s.slice(0, Math.max(1, s.length >> 1))),
  jsonParam.map((v) => JSON.stringify(v) ?? 'undefined'),
  fc.constantFrom(
    '',
    '{',
    '[',
    '[{}',
    '{"jsonrpc":"2.0"',
    'null',
    '[]',
    '[[]]',
    '\u0000',
    '\ufeff{}',
  ),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
)

/** A whole body: a request, a batch (sometimes over the node's cap), or malformed text. */
export function body(maxBatch: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: request.map((r) => JSON.stringify(r)) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.oneof({ weight: 4, arbitrary: request }, jsonParam), {
          maxLength: maxBatch + 3,
        })
        .map((b) => JSON.stringify(b)),
    },
    { weight: 2, arbitrary: malformed },
  )
}

/** The error codes a node may answer (EIP-1474, and 3, 4, 5 of geth / EIP-7966); -32603 is a bug here. */
const CODES = new Set([
  -32700, -32600, -32601, -32602, -32000, -32001, -32002, -32003, -32004, -32005, -32006, 3, 4, 5,
])

/** What a response must never show: a stack frame, a source path, an internal class. */
const INTERNALS =
  /\n\s+at |\bat [\w.<>]+ \(|[\w/-]+\.(ts|js|mjs):\d+|node_modules|DataCloneError|TypeError|RangeError|SyntaxError|\[object /

/**
 * Why an answer to `sent` is wrong, or undefined if it is fine: the HTTP status is not 2xx/4xx (a
 * 5xx), the body is not JSON-RPC 2.0 (one response or a non-empty array of them, each with an id and
 * exactly one of result and error), an error code is not one above or is -32603 (an internal error:
 * random input must not reach one), or the text shows internals the request did not contain.
 */
export function checkAnswer(sent: string, status: number, text: string): string | undefined {
  if (status >= 500) return `HTTP ${status}: ${text.slice(0, 200)}`
  if (status === 204) return text === '' ? undefined : `HTTP 204 with a body`
  if (status !== 200 && status !== 413 && status !== 400) return `HTTP ${status}`
  return checkMessage(sent, text)
}

/** The JSON-RPC part of `checkAnswer`, for a websocket message. */
export function checkMessage(sent: string, text: string): string | undefined {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return `not JSON: ${text.slice(0, 200)}`
  }
  const all = Array.isArray(json) ? json : [json]
  if (all.length === 0) return 'an empty array'
  for (const r of all) {
    const why = checkResponse(r)
    if (why) return `${why}: ${JSON.stringify(r).slice(0, 300)}`
  }
  const leak = INTERNALS.exec(text)
  if (leak && !sent.includes(leak[0]))
    return `internals in the answer (${leak[0]}): ${text.slice(0, 300)}`
  return undefined
}

function checkResponse(r: unknown): string | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'not an object'
  const o = r as Record<string, unknown>
  if (o.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"'
  if (!('id' in o)) return 'no id'
  if (!(o.id === null || typeof o.id === 'string' || typeof o.id === 'number')) return 'bad id'
  if ('result' in o === 'error' in o) return 'not exactly one of result and error'
  if (!('error' in o)) return undefined
  const e = o.error as { code?: unknown; message?: unknown }
  if (typeof e !== 'object' || e === null) return 'error is not an object'
  if (typeof e.message !== 'string') return 'error without a message'
  if (!Number.isInteger(e.code)) return 'error code is not an integer'
  if (e.code === -32603) return 'an internal error (-32603)'
  if (!CODES.has(e.code as number)) return `error code ${e.code} is not EIP-1474`
  return undefined
}

/** Node log lines that mean a failure escaped: an uncaught exception, or an internal error logged. */
export const BAD_LOG_LINE = /Uncaught|internal error [0-9a-f]{8}|unhandled rejection/i

/**
 * POSTs `body` as JSON and resolves with the status and text; never rejects on an HTTP status. On a
 * new connection unless `agent` keeps some alive: a server may close one after answering a request
 * whose body it did not read (413), and a request written on it fails with "other side closed"
 * before any answer, which is sent again once on a new connection (Node's documented remedy).
 */
export function postBody(
  url: string,
  body: string,
  agent?: Agent,
): Promise<{ status: number; text: string }> {
  const once = (a: Agent | false) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      let answered = false
      const req = httpRequest(
        url,
        {
          method: 'POST',
          agent: a,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          answered = true
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          )
          res.on('error', reject)
        },
      )
      req.on('error', (err) => reject(Object.assign(err, { retryable: !answered })))
      req.end(body)
    })
  return once(agent ?? false).catch((err: Error & { retryable?: boolean }) => {
    if (err.retryable) return once(false)
    throw err
  })
}
