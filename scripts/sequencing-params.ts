/**
 * The sequencer pool's parameters (contracts/L1/sequencing/SequencerPool.sol) as the `sequencing`
 * section of `contracts/params/*.json` states them, parsed into the units the contract takes, in the
 * order of its constructor and `setParameters`. Pure: no I/O beyond the JSON imports.
 */
import { parseEther } from 'viem'
import devnetFile from '../contracts/params/devnet.json' with { type: 'json' }
import mainnetFile from '../contracts/params/mainnet.json' with { type: 'json' }

/** The `sequencing` section of a parameter file. Token and ether amounts are decimal strings. */
export type SequencingParamsFile = {
  governor?: { votingDelaySeconds: number; votingPeriodSeconds: number }
  timelock?: { minDelaySeconds: number }
  sequencing?: {
    description?: string
    /** L1 blocks per epoch. */
    epochLengthBlocks: number
    /** L1 blocks without a batch after which anyone may replace the sequencer (less than an epoch). */
    maxSilenceBlocks: number
    /** ETH a challenge against a sequencer locks. */
    challengeBondEther: string
    /**
     * Seconds after a challenge during which only a Governor proposal can uphold it (then it expires
     * and its bond goes to the treasury); at least a whole proposal (voting delay, voting period and
     * the Timelock's delay, from the file's governor and timelock sections).
     */
    disputePeriodSeconds: number
    /** EDGE credited per batched L2 block. */
    rewardPerBlockTokens: string
    /**
     * L1 blocks a batch's last L1 origin may lag behind the batch (forced inclusion: a deposit left
     * out longer makes its sequencer silent); more than maxSilenceBlocks.
     */
    sequencingWindowBlocks: number
  }
}

/** What SequencerPool takes: L1 blocks, wei, seconds, basis points. */
export type SequencingParameters = {
  epochLength: bigint
  maxSilence: bigint
  challengeBond: bigint
  disputePeriod: bigint
  rewardPerBlock: bigint
  sequencingWindow: bigint
}

/** Parses a parameter file's `sequencing` section; throws on a missing section or a bad value. */
export function parseSequencingParams(file: SequencingParamsFile): SequencingParameters {
  const s = file.sequencing
  if (!s) throw new Error('params: no sequencing section')
  const whole = (x: number, name: string) => {
    if (!Number.isSafeInteger(x) || x < 0) throw new Error(`sequencing params: bad ${name} ${x}`)
    return BigInt(x)
  }
  const epochLength = whole(s.epochLengthBlocks, 'epochLengthBlocks')
  const maxSilence = whole(s.maxSilenceBlocks, 'maxSilenceBlocks')
  if (maxSilence === 0n || maxSilence >= epochLength)
    throw new Error(
      'sequencing params: maxSilenceBlocks must be at least 1 and less than epochLengthBlocks',
    )
  const disputePeriod = whole(s.disputePeriodSeconds, 'disputePeriodSeconds')
  const proposal =
    file.governor && file.timelock
      ? file.governor.votingDelaySeconds +
        file.governor.votingPeriodSeconds +
        file.timelock.minDelaySeconds
      : 0
  if (disputePeriod === 0n || disputePeriod < BigInt(proposal))
    throw new Error(
      `sequencing params: disputePeriodSeconds must cover a whole Governor proposal (${proposal} s)`,
    )
  const sequencingWindow = whole(s.sequencingWindowBlocks, 'sequencingWindowBlocks')
  if (sequencingWindow <= maxSilence)
    throw new Error('sequencing params: sequencingWindowBlocks must be more than maxSilenceBlocks')
  return {
    epochLength,
    maxSilence,
    challengeBond: parseEther(s.challengeBondEther),
    disputePeriod,
    rewardPerBlock: parseEther(s.rewardPerBlockTokens),
    sequencingWindow,
  }
}

/** The parameters as SequencerPool's constructor and `setParameters` take them (`uint256[6]`). */
export function poolParamsArray(p: SequencingParameters) {
  return [
    p.epochLength,
    p.maxSilence,
    p.challengeBond,
    p.disputePeriod,
    p.rewardPerBlock,
    p.sequencingWindow,
  ] as const
}

/** The parameter files' sequencing sections. */
export const sequencingParamsFiles = {
  devnet: devnetFile,
  mainnet: mainnetFile,
} as const satisfies Record<string, SequencingParamsFile>

/** The devnet's pool parameters (contracts/params/devnet.json): deployL1's default. */
export const devnetSequencingParams: SequencingParameters = parseSequencingParams(devnetFile)
