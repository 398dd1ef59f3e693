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
  sequencing?: {
    description?: string
    /** L1 blocks per epoch. */
    epochLengthBlocks: number
    /** L1 blocks without a batch after which anyone may replace the sequencer (less than an epoch). */
    maxSilenceBlocks: number
    /** ETH a challenge against a sequencer locks. */
    challengeBondEther: string
    /** Seconds a challenge's vote lasts. */
    resolutionPeriodSeconds: number
    /** Votes a challenge needs, in basis points of the token supply. */
    voteQuorumBps: number
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
  resolutionPeriod: bigint
  voteQuorumBps: bigint
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
  const voteQuorumBps = whole(s.voteQuorumBps, 'voteQuorumBps')
  if (voteQuorumBps > 10_000n) throw new Error('sequencing params: voteQuorumBps above 10000')
  const sequencingWindow = whole(s.sequencingWindowBlocks, 'sequencingWindowBlocks')
  if (sequencingWindow <= maxSilence)
    throw new Error('sequencing params: sequencingWindowBlocks must be more than maxSilenceBlocks')
  return {
    epochLength,
    maxSilence,
    challengeBond: parseEther(s.challengeBondEther),
    resolutionPeriod: whole(s.resolutionPeriodSeconds, 'resolutionPeriodSeconds'),
    voteQuorumBps,
    rewardPerBlock: parseEther(s.rewardPerBlockTokens),
    sequencingWindow,
  }
}

/** The parameters as SequencerPool's constructor and `setParameters` take them (`uint256[7]`). */
export function poolParamsArray(p: SequencingParameters) {
  return [
    p.epochLength,
    p.maxSilence,
    p.challengeBond,
    p.resolutionPeriod,
    p.voteQuorumBps,
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
