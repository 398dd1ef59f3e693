import { describe, expect, test } from 'vitest'
import { decideGovernance, proposalState, type GovernanceView } from './governanceDecision.js'

const A = `0x${'aa'.repeat(32)}` as const
const B = `0x${'bb'.repeat(32)}` as const
// The devnet's timings: a proposal takes 1 + 20 + 15 s; the challenge's deadline 60 s after it.
const base: GovernanceView = {
  challenged: A,
  ours: B,
  deadline: 1_060n,
  now: 1_002n,
  votingDelay: 1n,
  votingPeriod: 20n,
  timelockDelay: 15n,
  proposalThreshold: 1_000n,
  votesNow: 500_000n,
  proposal: { state: proposalState.None },
}
const existing = (
  state: number,
  o: Partial<{ weight: bigint; hasVoted: boolean; eta: bigint }> = {},
) => ({ state, weight: 500_000n, hasVoted: false, eta: 0n, ...o }) as GovernanceView['proposal']

describe('decideGovernance', () => {
  test('default: a root the node disagrees with is proposed, voted For, queued and executed', () => {
    expect(decideGovernance(base)).toEqual({ kind: 'propose' })
    const active = { ...base, proposal: existing(proposalState.Active) }
    expect(decideGovernance(active)).toEqual({ kind: 'vote', support: 'for' })
    const voted = { hasVoted: true }
    expect(decideGovernance({ ...base, proposal: existing(proposalState.Active, voted) })).toBe(
      undefined,
    )
    expect(
      decideGovernance({ ...base, proposal: existing(proposalState.Succeeded, voted) }),
    ).toEqual({
      kind: 'queue',
    })
    const queued = existing(proposalState.Queued, { ...voted, eta: 1_040n })
    expect(decideGovernance({ ...base, now: 1_039n, proposal: queued })).toBe(undefined)
    expect(decideGovernance({ ...base, now: 1_040n, proposal: queued })).toEqual({
      kind: 'execute',
    })
    expect(decideGovernance({ ...base, now: 1_060n, proposal: queued })).toBe(undefined)
  })

  test('behavior: its own root is voted Against and never proposed, queued or executed', () => {
    const own = { ...base, ours: A }
    expect(decideGovernance(own)).toBe(undefined)
    expect(decideGovernance({ ...own, proposal: existing(proposalState.Active) })).toEqual({
      kind: 'vote',
      support: 'against',
    })
    for (const state of [proposalState.Succeeded, proposalState.Queued])
      expect(
        decideGovernance({
          ...own,
          now: 1_050n,
          proposal: existing(state, { hasVoted: true, eta: 1n }),
        }),
      ).toBe(undefined)
  })

  test('behavior: no part without votes, without its own root, or too late for a whole proposal', () => {
    expect(decideGovernance({ ...base, votesNow: 0n, proposalThreshold: 0n })).toBe(undefined)
    expect(decideGovernance({ ...base, votesNow: 999n })).toBe(undefined)
    expect(decideGovernance({ ...base, ours: undefined })).toBe(undefined)
    expect(decideGovernance({ ...base, now: 1_021n })).toBe(undefined) // 1021 + 39 = deadline
    expect(decideGovernance({ ...base, now: 1_020n })).toEqual({ kind: 'propose' })
    const noWeight = { ...base, proposal: existing(proposalState.Active, { weight: 0n }) }
    expect(decideGovernance(noWeight)).toBe(undefined)
    // Someone else's proposal the node did not vote on: left to its voters.
    expect(decideGovernance({ ...base, proposal: existing(proposalState.Succeeded) })).toBe(
      undefined,
    )
    for (const state of [proposalState.Defeated, proposalState.Executed, proposalState.Canceled])
      expect(decideGovernance({ ...base, proposal: existing(state, { hasVoted: true }) })).toBe(
        undefined,
      )
  })
})
