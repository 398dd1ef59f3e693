import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createClient, http, parseAbi } from 'viem'
import { getBlockNumber, getLogs, readContract } from 'viem/actions'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DeterministicError, failureKind, RetryableError } from '../errors.js'
import { classifiedTransport } from './l1Transport.js'

/**
 * The L1 client's edge classifies each failure once (shared/errors.ts): a real viem client over a
 * real HTTP server that answers as L1 endpoints do when they fail.
 */

/** How the server answers the next request: a JSON-RPC error object, an HTTP status, or silence. */
let answer:
  { error: { code: number; message: string; data?: string } } | { status: number } | 'hang'
let server: Server
let url: string

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      if (answer === 'hang') return
      if ('status' in answer) return res.writeHead(answer.status).end('busy')
      const { id } = JSON.parse(body) as { id: number }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ jsonrpc: '2.0', id, error: answer.error }))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

const client = (to = url) =>
  createClient({ transport: classifiedTransport(http(to, { retryCount: 0, timeout: 500 })) })
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure')
    },
    (err: unknown) => ({ kind: failureKind(err), err }),
  )

describe('classifiedTransport', () => {
  test('default: invalid params (anvil without state for an old block) is deterministic', async () => {
    answer = {
      error: {
        code: -32602,
        message: 'BlockOutOfRangeError: block height is 5 but requested was 2',
      },
    }
    const { kind, err } = await failure(getLogs(client(), { fromBlock: 1n, toBlock: 2n }))
    expect(kind).toBe('deterministic')
    expect((err as Error).name).toBe('InvalidParamsRpcError') // viem's class, unchanged
  })

  test('behavior: a revert is deterministic and viem still decodes it', async () => {
    const abi = parseAbi(['function f() view returns (uint256)', 'error Nope(uint256 x)'])
    answer = {
      error: {
        code: 3,
        message: 'execution reverted',
        data: '0x9b1b0f4b000000000000000000000000000000000000000000000000000000000000002a',
      },
    }
    const { kind, err } = await failure(
      readContract(client(), { address: `0x${'11'.repeat(20)}`, abi, functionName: 'f' }),
    )
    expect(kind).toBe('deterministic')
    expect(String(err)).toMatch(/Nope|reverted/)
  })

  test('behavior: an endpoint failing inside or rate-limiting is retryable', async () => {
    for (const code of [-32603, -32005, 429]) {
      answer = { error: { code, message: 'try later' } }
      expect((await failure(getBlockNumber(client(), { cacheTime: 0 }))).kind).toBe('retryable')
    }
  })

  test('behavior: HTTP 503 and 429 are retryable, HTTP 400 deterministic', async () => {
    for (const [status, kind] of [
      [503, 'retryable'],
      [429, 'retryable'],
      [400, 'deterministic'],
    ] as const) {
      answer = { status }
      expect((await failure(getBlockNumber(client(), { cacheTime: 0 }))).kind).toBe(kind)
    }
  })

  test('behavior: a timeout and a refused connection are retryable', async () => {
    answer = 'hang'
    expect((await failure(getBlockNumber(client(), { cacheTime: 0 }))).kind).toBe('retryable')
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    expect((await failure(getBlockNumber(client(`http://127.0.0.1:${port}`)))).kind).toBe(
      'retryable',
    )
  })
})

describe('failureKind', () => {
  test('default: the first mark in the cause chain decides; unmarked (a bug) is deterministic', () => {
    expect(failureKind(new Error('outer', { cause: new RetryableError('L1 changed') }))).toBe(
      'retryable',
    )
    expect(failureKind(new DeterministicError('bad data'))).toBe('deterministic')
    expect(failureKind(new TypeError('x is undefined'))).toBe('deterministic')
  })
})
