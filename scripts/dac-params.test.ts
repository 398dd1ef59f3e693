import { parseEther } from 'viem'
import { describe, expect, test } from 'vitest'
import {
  STAGE_1_EXIT_WINDOW,
  dacParamsFiles,
  devnetDac,
  disputeMarginSeconds,
  exitWindowSeconds,
  parseVerifierParams,
  parseDacParams,
  type DacParamsFile,
} from './dac-params'

describe('DAC parameter files', () => {
  test('default: mainnet leaves L2BEAT Stage 1 its 7-day exit window', () => {
    const mainnet = dacParamsFiles.mainnet
    // 15 days of timelock − 12 h forced inclusion − 1 h output interval − 7 days finalization.
    expect(exitWindowSeconds(mainnet)).toBe(1_296_000n - 43_200n - 3_600n - 600n - 604_800n)
    expect(exitWindowSeconds(mainnet)).toBeGreaterThanOrEqual(STAGE_1_EXIT_WINDOW)
    expect(parseDacParams(mainnet)).toMatchObject({
      votingDelay: 2n * 86400n,
      votingPeriod: 5n * 86400n,
      proposalThreshold: parseEther('25000'),
      quorumPercent: 4n,
      timelockDelay: 15n * 86400n,
      allocations: [],
    })
  })

  test('default: a challenge\'s dispute period holds a whole Governor proposal, with a margin', () => {
    // Devnet: 60 s − (1 + 20 + 15 s); mainnet: 23 days − (2 + 5 + 15 days).
    expect(disputeMarginSeconds(dacParamsFiles.devnet)).toBe(24n)
    expect(disputeMarginSeconds(dacParamsFiles.mainnet)).toBe(86_400n)
    expect(parseVerifierParams(dacParamsFiles.devnet)).toMatchObject({
      disputePeriod: 60n,
      minQuorumStake: parseEther('150000'),
    })
    // The floor is more than one devnet operator's 100,000 EDGE.
    expect(parseVerifierParams(dacParamsFiles.mainnet).minQuorumStake).toBe(parseEther('1000000'))
    const short: DacParamsFile = {
      ...dacParamsFiles.mainnet,
      verifiers: { ...dacParamsFiles.mainnet.verifiers, disputePeriodSeconds: 21 * 86400 },
    }
    expect(disputeMarginSeconds(short)).toBeLessThan(0n)
  })

  test('behavior: a shorter timelock delay fails the rule', () => {
    const short: DacParamsFile = {
      ...dacParamsFiles.mainnet,
      timelock: { minDelaySeconds: 14 * 86400 },
    }
    expect(exitWindowSeconds(short)).toBeLessThan(STAGE_1_EXIT_WINDOW)
  })

  test('behavior: the devnet votes within a minute and gives each dev account 500,000 EDGE', () => {
    const { votingDelay, votingPeriod, timelockDelay, allocations } = devnetDac
    expect(votingDelay + votingPeriod + timelockDelay).toBeLessThan(50n)
    expect(allocations).toHaveLength(10)
    expect(new Set(allocations.map((a) => a.amount))).toEqual(new Set([parseEther('500000')]))
  })

  test('behavior: allocations past the non-mining half and a zero quorum are refused', () => {
    const devnet = dacParamsFiles.devnet
    expect(() =>
      parseDacParams({
        ...devnet,
        token: { allocations: [...devnet.token.allocations, devnet.token.allocations[0]] },
      }),
    ).toThrow('allocations exceed the non-mining half')
    expect(() =>
      parseDacParams({ ...devnet, governor: { ...devnet.governor, quorumPercent: 0 } }),
    ).toThrow('quorumPercent must be 1–100')
  })
})
