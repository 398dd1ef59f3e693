import { InvalidParamsRpcError, RpcRequestError } from 'viem'
import { describe, expect, test } from 'vitest'
import { classifyL1Failure, RetryableError } from '../errors.js'
import { L1Round, L1_ROUND_STEPS, type L1RoundParts } from './l1Round.js'

/** A round over a manual clock; `next` records each delay it was asked for. */
function harness() {
  const state = { clock: 1_000_000, logs: [] as string[], delays: [] as number[] }
  const round = new L1Round<string>({
    now: () => state.clock,
    log: (line) => state.logs.push(line),
    pollMs: 1_000,
    next: async (delayMs) => {
      state.delays.push(delayMs)
    },
  })
  return { state, round }
}

/** Parts that record their order; `derive` from the argument. */
function parts(ran: string[], derive?: () => Promise<{ more: boolean }>): L1RoundParts<string> {
  const part = (name: string) => async () => {
    ran.push(name)
  }
  return {
    settle: async () => {
      ran.push('settle')
      return 'report'
    },
    ...(derive && { derive }),
    pool: part('pool'),
    verifier: part('verifier'),
    rollup: part('rollup'),
    batchIndex: part('batchIndex'),
  }
}

/**
 * What anvil answers after loading saved state, for `eth_call` at a block before the restart
 * (issue 23, bug 2), classified as the L1 client's edge classifies it.
 */
function blockOutOfRange() {
  const cause = new RpcRequestError({
    body: { method: 'eth_call' },
    url: 'http://127.0.0.1:8545',
    error: { code: -32602, message: 'BlockOutOfRangeError: block height is 10 but requested 3' },
  })
  return classifyL1Failure(new InvalidParamsRpcError(cause))
}

describe('L1Round', () => {
  test('default: the parts run in order and the next round is a poll interval later', async () => {
    const { state, round } = harness()
    const ran: string[] = []
    expect(await round.run(parts(ran, async () => (ran.push('derive'), { more: false })))).toBe(
      'report',
    )
    expect(ran).toEqual(['settle', 'derive', 'pool', 'verifier', 'rollup', 'batchIndex'])
    expect(state.delays).toEqual([1_000])
    expect(round.report()).toEqual({ healthy: true, failures: [] })
  })

  test('behavior: a derivation backlog schedules the next round at once; a failing derivation does not', async () => {
    const { state, round } = harness()
    await round.run(parts([], async () => ({ more: true })))
    await round.run(
      parts([], async () => {
        throw new RetryableError('L1 unreachable')
      }),
    )
    expect(state.delays).toEqual([0, 1_000])
  })

  test('behavior: one round at a time: a call while one runs gets that one', async () => {
    const { round } = harness()
    let release!: () => void
    const ran: string[] = []
    const p = parts(ran)
    const slow = { ...p, settle: () => new Promise<string>((r) => (release = () => r('once'))) }
    const first = round.run(slow)
    const second = round.run(slow)
    release()
    expect(await first).toBe('once')
    expect(await second).toBe('once')
    expect(ran.filter((x) => x === 'verifier')).toHaveLength(1)
  })

  test('behavior: a deterministic L1 error after a restart is logged once, the node unhealthy, the other parts go on (issue 23, bug 2)', async () => {
    const { state, round } = harness()
    const ran: string[] = []
    let attempts = 0
    const p = parts(ran, async () => {
      attempts++
      throw blockOutOfRange()
    })
    // A minute of rounds a second apart: no hot loop, one log line, the rest of the round each time.
    for (let i = 0; i < 60; i++, state.clock += 1_000) await round.run(p)
    expect(state.logs).toHaveLength(1)
    expect(state.logs[0]).toContain(`${L1_ROUND_STEPS.derive} failed (deterministic`)
    expect(attempts).toBeLessThanOrEqual(7)
    const health = round.report()
    expect(health.healthy).toBe(false)
    expect(health.failures).toMatchObject([{ step: L1_ROUND_STEPS.derive, kind: 'deterministic' }])
    expect(ran.filter((x) => x === 'pool')).toHaveLength(60)
    expect(ran.filter((x) => x === 'verifier')).toHaveLength(60)
    // The L1 changes under it (a block it can read): it works again, said once, healthy.
    p.derive = async () => ({ more: false })
    state.clock += 10_000
    await round.run(p)
    expect(state.logs).toHaveLength(2)
    expect(state.logs[1]).toContain('works again')
    expect(round.report().healthy).toBe(true)
  })

  test('behavior: L1 unreachable is retryable: backs off, logged once at first, healthy', async () => {
    const { state, round } = harness()
    let attempts = 0
    const p = parts([])
    p.settle = async () => {
      attempts++
      throw new RetryableError('fetch failed')
    }
    for (let i = 0; i < 60; i++, state.clock += 1_000)
      expect(await round.run(p)).toEqual({ error: 'not run (backing off)' })
    expect(attempts).toBeLessThan(12)
    expect(state.logs[0]).toContain('failed (retryable; backing off)')
    expect(state.logs.length).toBeLessThanOrEqual(2)
    expect(round.report().healthy).toBe(true)
  })
})
