/**
 * The DAC's parameters (token allocations, Governor, Timelock) as `contracts/params/*.json` states
 * them, parsed into the units the contracts take, and the L2BEAT Stage 1 exit window they leave.
 * Pure: no I/O beyond the JSON imports.
 */
import { getAddress, parseEther, type Address } from 'viem'
import devnetFile from '../contracts/params/devnet.json' with { type: 'json' }
import mainnetFile from '../contracts/params/mainnet.json' with { type: 'json' }

/** A parameter file, `contracts/params/<network>.json`. Token amounts are whole EDGE, as strings. */
export type DacParamsFile = {
  description?: string
  governor: {
    votingDelaySeconds: number
    votingPeriodSeconds: number
    proposalThresholdTokens: string
    quorumPercent: number
  }
  timelock: { minDelaySeconds: number }
  token: { allocations: { holder: string; tokens: string }[] }
  /** The rollup settings the exit window depends on (deployL1 takes the first three). */
  rollup?: {
    finalizationPeriodSeconds: number
    submissionInterval: number
    l2BlockTimeSeconds: number
    /** Longest a deposit (a forced transaction) can wait before the L2 must include it. */
    forcedInclusionDelaySeconds: number
  }
  /** The verifier set and the output quorum (VerifierStaking, OutputQuorum). */
  verifiers?: {
    description?: string
    minStakeTokens: string
    unbondingDelaySeconds: number
    maxMissedOutputs: number
    slashBps: number
    reporterBps: number
    longWindowSeconds: number
    challengeBondEther: string
    /** Seconds from a challenge to its deadline: a whole Governor proposal must fit (disputeMarginSeconds). */
    disputePeriodSeconds: number
    /** Least signed stake of a fast-path quorum (whole EDGE). */
    minQuorumStakeTokens: string
    rewardPerOutputTokens: string
  }
}

/** What VerifierStaking and OutputQuorum take: wei, seconds, basis points. */
export type VerifierParameters = {
  /** Least bonded stake of an active verifier (wei of EDGE). */
  minStake: bigint
  /** Seconds from unbonding to withdrawal. */
  unbondingDelay: bigint
  /** Outputs missed in a row that jail a verifier. */
  maxMissed: bigint
  /** Share of a stake a slash takes, and the share of a slash its reporter gets (basis points). */
  slashBps: bigint
  reporterBps: bigint
  /** Seconds an output without a 2/3 quorum waits after its first signature. */
  longWindow: bigint
  /** Wei a challenge locks. */
  challengeBond: bigint
  /** Seconds from a challenge to its deadline (only an executed Governor proposal upholds, before it). */
  disputePeriod: bigint
  /** Least signed stake (wei of EDGE) of a fast-path quorum: a smaller active stake cannot attest alone. */
  minQuorumStake: bigint
  /** EDGE (wei) one accepted output pays its signers. */
  rewardPerOutput: bigint
}

/** Parses a parameter file's `verifiers` section; throws on a missing section or a bad value. */
export function parseVerifierParams(file: DacParamsFile): VerifierParameters {
  const v = file.verifiers
  if (!v) throw new Error('params: no verifiers section')
  const whole = (x: number, name: string) => {
    if (!Number.isSafeInteger(x) || x < 0) throw new Error(`verifier params: bad ${name} ${x}`)
    return BigInt(x)
  }
  const bps = (x: number, name: string) => {
    if (whole(x, name) > 10_000n) throw new Error(`verifier params: ${name} above 10000`)
    return BigInt(x)
  }
  return {
    minStake: parseEther(v.minStakeTokens),
    unbondingDelay: whole(v.unbondingDelaySeconds, 'unbondingDelaySeconds'),
    maxMissed: whole(v.maxMissedOutputs, 'maxMissedOutputs'),
    slashBps: bps(v.slashBps, 'slashBps'),
    reporterBps: bps(v.reporterBps, 'reporterBps'),
    longWindow: whole(v.longWindowSeconds, 'longWindowSeconds'),
    challengeBond: parseEther(v.challengeBondEther),
    disputePeriod: whole(v.disputePeriodSeconds, 'disputePeriodSeconds'),
    minQuorumStake: parseEther(v.minQuorumStakeTokens),
    rewardPerOutput: parseEther(v.rewardPerOutputTokens),
  }
}

/** What `deployDac` takes: seconds, wei, percent. */
export type DacParameters = {
  /** Seconds from a proposal to its vote (Governor clock: timestamps). */
  votingDelay: bigint
  /** Seconds a vote lasts. */
  votingPeriod: bigint
  /** Votes (wei) a proposer needs. */
  proposalThreshold: bigint
  /** Quorum in percent of the total supply (for + abstain votes). */
  quorumPercent: bigint
  /** Seconds a passed proposal waits in the Timelock. */
  timelockDelay: bigint
  /** Genesis holders of the non-mining half (self-delegated); the rest goes to the Timelock. */
  allocations: readonly { holder: Address; amount: bigint }[]
}

/** The token's cap and the mining vault's share (DacToken.CAP, MINING_SUPPLY). */
export const TOKEN_CAP = parseEther('10000000')
export const MINING_SUPPLY = TOKEN_CAP / 2n

/** Parses a parameter file; throws on an allocation past the non-mining half or a bad value. */
export function parseDacParams(file: DacParamsFile): DacParameters {
  const whole = (v: number, name: string) => {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`DAC params: bad ${name} ${v}`)
    return BigInt(v)
  }
  const allocations = file.token.allocations.map((a) => ({
    holder: getAddress(a.holder),
    amount: parseEther(a.tokens),
  }))
  const allocated = allocations.reduce((sum, a) => sum + a.amount, 0n)
  if (allocated > TOKEN_CAP - MINING_SUPPLY)
    throw new Error(`DAC params: allocations exceed the non-mining half of the supply`)
  const quorumPercent = whole(file.governor.quorumPercent, 'quorumPercent')
  if (quorumPercent === 0n || quorumPercent > 100n)
    throw new Error(`DAC params: quorumPercent must be 1–100`)
  return {
    votingDelay: whole(file.governor.votingDelaySeconds, 'votingDelaySeconds'),
    votingPeriod: whole(file.governor.votingPeriodSeconds, 'votingPeriodSeconds'),
    proposalThreshold: parseEther(file.governor.proposalThresholdTokens),
    quorumPercent,
    timelockDelay: whole(file.timelock.minDelaySeconds, 'minDelaySeconds'),
    allocations,
  }
}

/**
 * The exit window an unwanted proposal leaves users, by L2BEAT's Stage 1 rule (at least 7 days for
 * upgrades not made by a Security Council): counted from the moment the proposal is queued (its
 * outcome is certain; the vote before that is not counted), a user who then forces a withdrawal
 * through an L1 deposit must see it included (forced-inclusion delay), covered by an output (one
 * submission interval) and final before the proposal executes. Final is counted on the slow path: no
 * verifier quorum (the long window) plus the finalization period, since a hostile proposal could
 * name a proposer of its own (SystemConfig) and only outputs already final are safe from it.
 */
export function exitWindowSeconds(file: DacParamsFile): bigint {
  if (!file.rollup) throw new Error('DAC params: no rollup section to compute an exit window from')
  const r = file.rollup
  return (
    BigInt(file.timelock.minDelaySeconds) -
    BigInt(r.forcedInclusionDelaySeconds) -
    BigInt(r.submissionInterval * r.l2BlockTimeSeconds) -
    BigInt(r.finalizationPeriodSeconds) -
    BigInt(file.verifiers?.longWindowSeconds ?? 0)
  )
}

/**
 * What a challenge's dispute period leaves after a whole Governor proposal to uphold it (votingDelay +
 * votingPeriod + the Timelock's minDelay), counted from the challenge: the proposal must be made,
 * voted, queued and executed before the deadline. Must be positive (the margin covers the proposer's
 * reaction time and the blocks between the steps).
 */
export function disputeMarginSeconds(file: DacParamsFile): bigint {
  if (!file.verifiers) throw new Error('DAC params: no verifiers section')
  return (
    BigInt(file.verifiers.disputePeriodSeconds) -
    BigInt(file.governor.votingDelaySeconds) -
    BigInt(file.governor.votingPeriodSeconds) -
    BigInt(file.timelock.minDelaySeconds)
  )
}

/** L2BEAT's Stage 1 minimum exit window: 7 days. */
export const STAGE_1_EXIT_WINDOW = 7n * 24n * 3600n

/** The parameter files in the repository. */
export const dacParamsFiles = {
  devnet: devnetFile,
  mainnet: mainnetFile,
} as const satisfies Record<string, DacParamsFile>

/** The devnet's DAC (contracts/params/devnet.json): deployL1's default. */
export const devnetDac: DacParameters = parseDacParams(devnetFile)

/** The devnet's verifier parameters (contracts/params/devnet.json): deployL1's default. */
export const devnetVerifierParams: VerifierParameters = parseVerifierParams(devnetFile)
