import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createClient, http } from 'viem'
import { getLogs } from 'viem/actions'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RetryableError } from '../errors.js'
import { classifiedTransport } from './l1Transport.js'
import { NodeHealth } from './nodeHealth.js'

/**
 * The deterministic-failure path (invariant 10): an L1 that refuses a request the same way every
 * time (a real viem client over a real HTTP server answering -32602, as anvil does for a block it
 * has no state for) is logged once, makes the node unhealthy with the reason, is retried slowly,
 * and the other steps go on; a retryable one backs off and is logged sparsely.
 */

let server: Server
let url: string
let refuse = true

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      const { id } = JSON.parse(body) as { id: number }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify(
          refuse
            ? { jsonrpc: '2.0', id, error: { code: -32602, message: 'BlockOutOfRangeError' } }
            : { jsonrpc: '2.0', id, result: [] },
        ),
      )
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => server.close())

describe('NodeHealth', () => {
  test('default: a deterministic failure is logged once, shown, retried slowly; others go on', async () => {
    const l1 = createClient({ transport: classifiedTransport(http(url, { retryCount: 0 })) })
    const health = new NodeHealth()
    const lines: string[] = []
    let now = 1_000_000
    const opts = { now: () => now, baseMs: 1_000, log: (l: string) => lines.push(l) }
    let other = 0
    for (let i = 0; i < 20; i++, now += 5_000) {
      await health.run('derivation', () => getLogs(l1, { fromBlock: 1n, toBlock: 2n }), opts)
      await health.run('pool round', async () => other++, opts)
    }
    expect(other).toBe(20) // the node goes on with what still works
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^derivation failed \(deterministic.*Invalid parameters/)
    const report = health.report()
    expect(report.healthy).toBe(false)
    expect(report.failures).toMatchObject([{ step: 'derivation', kind: 'deterministic' }])
    // 100 s at one round each 5 s: tried every 10 s, not every round.
    expect(report.failures[0].attempts).toBe(10)

    refuse = false
    now += 10_000
    expect(
      await health.run('derivation', () => getLogs(l1, { fromBlock: 1n, toBlock: 2n }), opts),
    ).toBe(true)
    expect(lines.at(-1)).toMatch(/derivation works again after 10 failed attempt/)
    expect(health.report()).toEqual({ healthy: true, failures: [] })
  })

  test('behavior: a retryable failure backs off exponentially, is logged sparsely, keeps the node healthy', async () => {
    const health = new NodeHealth()
    const lines: string[] = []
    let now = 0
    let attempts = 0
    for (let i = 0; i < 600; i++, now += 1_000)
      await health.run(
        'L1 watch',
        async () => {
          attempts++
          throw new RetryableError('L1 unreachable')
        },
        { now: () => now, baseMs: 1_000, log: (l) => lines.push(l) },
      )
    expect(health.report().healthy).toBe(true)
    expect(attempts).toBeLessThan(40) // 10 minutes, backing off up to 30 s
    expect(lines.length).toBeLessThanOrEqual(4)
    expect(lines[0]).toMatch(/^L1 watch failed \(retryable/)
  })
})
