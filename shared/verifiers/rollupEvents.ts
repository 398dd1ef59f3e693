/**
 * The rollup's L1 events for one shard, as the feed's `edge_rollup` subscription carries them: the
 * oracle's outputs, the OutputQuorum's attestations, acceptances and challenges for that oracle, and
 * the verifier set's slashes and jails (the same for every shard). Plain JSON, quantities as 0x-hex
 * (JSON-RPC style), ordered by (L1 block, log index).
 */
import {
  getAbiItem,
  maxUint256,
  numberToHex,
  type Address,
  type Chain,
  type Client,
  type Hex,
  type ParseEventLogsReturnType,
  type Transport,
} from 'viem'
import { getLogs, readContract } from 'viem/actions'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { outputQuorumAbi } from '../../generated/contracts/OutputQuorum.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'

const oracleEvents = [
  getAbiItem({ abi: l2OutputOracleAbi, name: 'OutputProposed' }),
  getAbiItem({ abi: l2OutputOracleAbi, name: 'OutputsDeleted' }),
  getAbiItem({ abi: l2OutputOracleAbi, name: 'OutputFrozen' }),
  getAbiItem({ abi: l2OutputOracleAbi, name: 'OutputInvalidated' }),
] as const
/** The quorum's events that name the oracle in an indexed topic. */
const quorumOracleEvents = [
  getAbiItem({ abi: outputQuorumAbi, name: 'Attested' }),
  getAbiItem({ abi: outputQuorumAbi, name: 'OutputAccepted' }),
  getAbiItem({ abi: outputQuorumAbi, name: 'Challenged' }),
  getAbiItem({ abi: outputQuorumAbi, name: 'EquivocationSlashed' }),
] as const
/** The quorum's events that name a challenge only (its oracle is read from the challenge). */
const quorumChallengeEvents = [
  getAbiItem({ abi: outputQuorumAbi, name: 'ChallengeResolved' }),
] as const
const stakingEvents = [
  getAbiItem({ abi: verifierStakingAbi, name: 'Slashed' }),
  getAbiItem({ abi: verifierStakingAbi, name: 'Jailed' }),
  getAbiItem({ abi: verifierStakingAbi, name: 'Unjailed' }),
] as const

/** Every event `readRollupEvents` reads, as one ABI. */
export const rollupEventsAbi = [
  ...oracleEvents,
  ...quorumOracleEvents,
  ...quorumChallengeEvents,
  ...stakingEvents,
] as const

/** A decoded log of one of `rollupEventsAbi`'s events (what viem's getLogs returns, strict). */
export type RollupLog = ParseEventLogsReturnType<typeof rollupEventsAbi, undefined, true>[number]

/** Where a rollup event happened on L1: block number, transaction hash, log index. */
type At = { l1Block: Hex; l1Tx: Hex; logIndex: Hex }

/** OutputQuorum's challenge outcomes by their enum value (0, Open, never appears in an event). */
export const CHALLENGE_OUTCOMES = ['open', 'upheld', 'dismissed', 'expired'] as const
export type ChallengeOutcome = (typeof CHALLENGE_OUTCOMES)[number]

/** One rollup event on L1, as `edge_rollup` notifies it. */
export type RollupEvent = At &
  (
    | {
        type: 'outputProposed'
        l2OutputIndex: Hex
        l2BlockNumber: Hex
        outputRoot: Hex
        l1Timestamp: Hex
      }
    | { type: 'outputsDeleted'; prevNextOutputIndex: Hex; newNextOutputIndex: Hex }
    /** One output frozen (an open challenge names it) or unfrozen; the others are unaffected. */
    | { type: 'outputFrozen'; l2OutputIndex: Hex; frozen: boolean }
    /** An upheld output with later outputs: its root zeroed, nothing proves or finalizes against it. */
    | { type: 'outputInvalidated'; l2OutputIndex: Hex; outputRoot: Hex }
    | { type: 'attested'; verifier: Address; stake: Hex; l2BlockNumber: Hex; outputRoot: Hex }
    | {
        type: 'outputAccepted'
        l2OutputIndex: Hex
        l2BlockNumber: Hex
        outputRoot: Hex
        quorum: boolean
        signedStake: Hex
        activeStake: Hex
      }
    | { type: 'challenged'; id: Hex; challenger: Address; l2BlockNumber: Hex; outputRoot: Hex }
    | { type: 'challengeResolved'; id: Hex; outcome: ChallengeOutcome }
    | { type: 'equivocationSlashed'; verifier: Address; l2BlockNumber: Hex; reporter: Address }
    | { type: 'slashed'; verifier: Address; reporter: Address; amount: Hex; toReporter: Hex }
    | { type: 'jailed'; verifier: Address; missed: Hex }
    | { type: 'unjailed'; verifier: Address }
  )

/** What a node publishes beside the L1 events: the output root it computed for an L2 block. */
export type ComputedRootEvent = {
  type: 'computed'
  l2BlockNumber: Hex
  outputRoot: Hex
  blockHash: Hex
}

/** The contracts one shard's rollup events come from; quorum and staking absent in older configs. */
export type RollupContracts = { oracle: Address; quorum?: Address; staking?: Address }

/**
 * The rollup events of L1 blocks `fromBlock`..`toBlock` (inclusive) for the shard of `contracts.oracle`,
 * ordered by (block, log index). Quorum events are those naming this oracle: by its indexed topic, and
 * for votes and resolutions by their challenge's oracle (read at `toBlock`). Staking events are
 * everyone's. The getLogs calls go out together (one JSON-RPC batch on a batching transport).
 */
export async function readRollupEvents(
  client: Client<Transport, Chain | undefined>,
  contracts: RollupContracts,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<RollupEvent[]> {
  if (fromBlock > toBlock) return []
  const { oracle, quorum, staking } = contracts
  const range = { fromBlock, toBlock, strict: true } as const
  const none = Promise.resolve([])
  const [proposed, ...rest] = await Promise.all([
    getLogs(client, { address: oracle, events: oracleEvents, ...range }),
    ...(quorum
      ? quorumOracleEvents.map((event) =>
          getLogs(client, { address: quorum, event, args: { oracle }, ...range }),
        )
      : [none]),
    quorum ? getLogs(client, { address: quorum, events: quorumChallengeEvents, ...range }) : none,
    staking ? getLogs(client, { address: staking, events: stakingEvents, ...range }) : none,
  ])
  const logs = [proposed, ...rest].flat() as RollupLog[]
  const known = new Set<bigint>()
  for (const log of logs) if (log.eventName === 'Challenged') known.add(log.args.id)
  const unknown = [
    ...new Set(
      logs.flatMap((log) =>
        log.eventName === 'ChallengeResolved' && !known.has(log.args.id)
          ? [log.args.id]
          : [],
      ),
    ),
  ]
  const mine = new Set(known)
  if (quorum && unknown.length) {
    const challenges = await Promise.all(
      unknown.map((id) =>
        readContract(client, {
          address: quorum,
          abi: outputQuorumAbi,
          functionName: 'getChallenge',
          args: [id],
          // At the head, not at `toBlock`: a challenge's oracle never changes, and an L1 that keeps
          // state near its head only has none for an old block (invariant 10).
        }),
      ),
    )
    challenges.forEach((c, i) => {
      if (c.oracle.toLowerCase() === oracle.toLowerCase()) mine.add(unknown[i])
    })
  }
  return buildRollupEvents(logs, mine)
}

/**
 * The rollup events of decoded `logs`, ordered by (block, log index): votes and resolutions only of
 * the challenges in `challengeIds` (this shard's); every other log as given.
 */
export function buildRollupEvents(
  logs: readonly RollupLog[],
  challengeIds: ReadonlySet<bigint>,
): RollupEvent[] {
  return logs
    .filter(
      (log) =>
        log.eventName !== 'ChallengeResolved' || challengeIds.has(log.args.id),
    )
    .sort((a, b) =>
      a.blockNumber === b.blockNumber
        ? a.logIndex - b.logIndex
        : a.blockNumber < b.blockNumber
          ? -1
          : 1,
    )
    .map(formatRollupLog)
}

/** One decoded log as its rollup event (numbers 0x-hex, the outcome as a word). */
export function formatRollupLog(log: RollupLog): RollupEvent {
  const at: At = {
    l1Block: numberToHex(log.blockNumber),
    l1Tx: log.transactionHash,
    logIndex: numberToHex(log.logIndex),
  }
  const hex = numberToHex
  switch (log.eventName) {
    case 'OutputProposed': {
      const a = log.args
      return {
        type: 'outputProposed',
        ...at,
        l2OutputIndex: hex(a.l2OutputIndex),
        l2BlockNumber: hex(a.l2BlockNumber),
        outputRoot: a.outputRoot,
        l1Timestamp: hex(a.l1Timestamp),
      }
    }
    case 'OutputsDeleted':
      return {
        type: 'outputsDeleted',
        ...at,
        prevNextOutputIndex: hex(log.args.prevNextOutputIndex),
        newNextOutputIndex: hex(log.args.newNextOutputIndex),
      }
    case 'OutputFrozen':
      return {
        type: 'outputFrozen',
        ...at,
        l2OutputIndex: hex(log.args.l2OutputIndex),
        frozen: log.args.frozen,
      }
    case 'OutputInvalidated':
      return {
        type: 'outputInvalidated',
        ...at,
        l2OutputIndex: hex(log.args.l2OutputIndex),
        outputRoot: log.args.outputRoot,
      }
    case 'Attested': {
      const a = log.args
      return {
        type: 'attested',
        ...at,
        verifier: a.verifier,
        stake: hex(a.stake),
        l2BlockNumber: hex(a.l2BlockNumber),
        outputRoot: a.outputRoot,
      }
    }
    case 'OutputAccepted': {
      const a = log.args
      return {
        type: 'outputAccepted',
        ...at,
        l2OutputIndex: hex(a.l2OutputIndex),
        l2BlockNumber: hex(a.l2BlockNumber),
        outputRoot: a.outputRoot,
        quorum: a.quorum,
        signedStake: hex(a.signedStake),
        activeStake: hex(a.activeStake),
      }
    }
    case 'Challenged': {
      const a = log.args
      return {
        type: 'challenged',
        ...at,
        id: hex(a.id),
        challenger: a.challenger,
        l2BlockNumber: hex(a.l2BlockNumber),
        outputRoot: a.outputRoot,
      }
    }
    case 'ChallengeResolved': {
      const a = log.args
      return {
        type: 'challengeResolved',
        ...at,
        id: hex(a.id),
        outcome: CHALLENGE_OUTCOMES[a.outcome] ?? 'open',
      }
    }
    case 'EquivocationSlashed': {
      const a = log.args
      return {
        type: 'equivocationSlashed',
        ...at,
        verifier: a.verifier,
        l2BlockNumber: hex(a.l2BlockNumber),
        reporter: a.reporter,
      }
    }
    case 'Slashed': {
      const a = log.args
      return {
        type: 'slashed',
        ...at,
        verifier: a.verifier,
        reporter: a.reporter,
        amount: hex(a.amount),
        toReporter: hex(a.toReporter),
      }
    }
    case 'Jailed':
      return { type: 'jailed', ...at, verifier: log.args.verifier, missed: hex(log.args.missed) }
    case 'Unjailed':
      return { type: 'unjailed', ...at, verifier: log.args.verifier }
  }
}
