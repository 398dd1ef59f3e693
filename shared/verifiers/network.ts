/**
 * The verifier network as `GET /network` shows it: the staking and quorum parameters, every
 * verifier's stake and status, and per shard its last outputs (who attested them, whether they are
 * final or frozen) and its open and recent challenges. Read from L1 in three Multicall3 calls
 * (`aggregate3`), the last two pinned to the block of the first; numbers as decimal strings.
 */
import type { Address, Chain, Client, ContractFunctionParameters, Hex, Transport } from 'viem'
import { maxUint256 } from 'viem'
import { multicall } from 'viem/actions'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { multicall3Abi } from '../../generated/contracts/Multicall3.js'
import { outputQuorumAbi } from '../../generated/contracts/OutputQuorum.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import type { L1Config } from '../config.js'
import { L1UnavailableError } from '../settlement/withdrawalStatus.js'
import { CHALLENGE_OUTCOMES, type ChallengeOutcome } from './rollupEvents.js'

/** The contracts `readNetwork` reads: the verifier set, the quorum and each shard's oracle. */
export type NetworkContracts = {
  l1ChainId: number
  multicall3: Address
  staking: Address
  quorum: Address
  shards: { chainId: number; oracle: Address }[]
}

/** VerifierStaking's `Status` by enum value (None never appears: `verifiers()` lists registered ones). */
const VERIFIER_STATUS = ['inactive', 'active', 'inactive', 'jailed'] as const

/** One verifier: bonded stake, stake unbonding, status, outputs missed in a row, rewards owed. */
export type NetworkVerifier = {
  address: Address
  stake: string
  unbonding: string
  status: 'active' | 'jailed' | 'inactive'
  missed: string
  rewardsOwed: string
}

/** One output of a shard's oracle and its attestations (signers with their stake now). */
export type NetworkOutput = {
  index: string
  l2BlockNumber: string
  outputRoot: Hex
  /** L1 timestamp of the proposal. */
  proposedAt: string
  final: boolean
  /** An open challenge names it (the oracle's `frozen`): not final until it is resolved; later outputs are unaffected. */
  frozen: boolean
  attestations: { verifier: Address; stake: string }[]
  /** The signers' stake at the block's reference time, and whether it is ≥ 2/3 of the stake active then and ≥ minQuorumStake. */
  signedStake: string
  quorum: boolean
  /** The open challenge against this root, if any. */
  challenge: string | null
}

/** One challenge: the root it names, its bond, its deadline and outcome (only a Governor proposal upholds). */
export type NetworkChallenge = {
  id: string
  l2BlockNumber: string
  outputRoot: Hex
  challenger: Address
  bond: string
  createdAt: string
  /** Upheld only before it (by the Timelock); anyone resolves it as expired at or after it. */
  deadline: string
  outcome: ChallengeOutcome
}

/** The answer of `GET /network`. */
export type NetworkReport = {
  l1ChainId: number
  /** The L1 block (and its timestamp) every value was read at. */
  l1Block: string
  l1Timestamp: string
  staking: Address
  quorum: Address
  params: {
    minStake: string
    unbondingDelay: string
    maxMissed: string
    slashBps: string
    reporterBps: string
    longWindow: string
    challengeBond: string
    disputePeriod: string
    minQuorumStake: string
    rewardPerOutput: string
    /** The first shard's oracle's (each shard states its own too). */
    finalizationPeriodSeconds: string
  }
  verifiers: NetworkVerifier[]
  activeStake: string
  /** The least signed stake that makes a quorum: ⌈2/3 × activeStake⌉. */
  quorumStake: string
  shards: {
    chainId: number
    oracle: Address
    finalizationPeriodSeconds: string
    /** The last outputs, newest first. */
    outputs: NetworkOutput[]
    /** This shard's challenges among the most recent ones, newest first (open ones included). */
    challenges: NetworkChallenge[]
  }[]
}

type OutputProposal = { outputRoot: Hex; timestamp: bigint; l2BlockNumber: bigint }
type Candidate = readonly [bigint, bigint, readonly Address[], bigint, bigint, boolean, bigint]
type ChallengeRecord = {
  oracle: Address
  l2BlockNumber: bigint
  outputRoot: Hex
  challenger: Address
  bond: bigint
  createdAt: bigint
  deadline: bigint
  outcome: number
}

/** What `readNetwork` read from L1, decoded, before `buildNetwork` shapes it. */
export type NetworkReads = {
  l1Block: bigint
  l1Timestamp: bigint
  staking: Record<
    'minStake' | 'unbondingDelay' | 'maxMissed' | 'slashBps' | 'reporterBps' | 'activeStake',
    bigint
  > & {
    /** `verifiers()`: addresses, bonded, unbonding, status, missed, owed. */
    verifiers: readonly [
      readonly Address[],
      readonly bigint[],
      readonly bigint[],
      readonly number[],
      readonly bigint[],
      readonly bigint[],
    ]
  }
  quorum: Record<
    'longWindow' | 'challengeBond' | 'disputePeriod' | 'minQuorumStake' | 'rewardPerOutput',
    bigint
  >
  shards: {
    finalizationPeriodSeconds: bigint
    outputs: {
      index: bigint
      proposal: OutputProposal
      final: boolean
      frozen: boolean
      candidate: Candidate
    }[]
  }[]
  challenges: { id: bigint; challenge: ChallengeRecord }[]
}

const STAKING_PARAMS = [
  'minStake',
  'unbondingDelay',
  'maxMissed',
  'slashBps',
  'reporterBps',
] as const
const QUORUM_PARAMS = [
  'longWindow',
  'challengeBond',
  'disputePeriod',
  'minQuorumStake',
  'rewardPerOutput',
] as const

/**
 * The network contracts of an L1 config for the shards `chainIds` that settle on it; undefined when
 * no shard names a VerifierStaking and an OutputQuorum (a config older than the verifiers).
 */
export function buildNetworkContracts(
  l1: L1Config,
  chainIds: readonly number[],
): NetworkContracts | undefined {
  const settled = chainIds.flatMap((chainId) => {
    const s = l1.shards[String(chainId)]
    return s ? [{ chainId, ...s }] : []
  })
  const withVerifiers = settled.find((s) => s.verifierStaking && s.outputQuorum)
  if (!withVerifiers) return undefined
  return {
    l1ChainId: l1.chainId,
    multicall3: l1.multicall3 as Address,
    staking: withVerifiers.verifierStaking as Address,
    quorum: withVerifiers.outputQuorum as Address,
    shards: settled.map((s) => ({ chainId: s.chainId, oracle: s.l2OutputOracle as Address })),
  }
}

/**
 * Reads the network from L1: three `aggregate3` calls through `contracts.multicall3` (parameters,
 * verifiers, counts and the block; then the last outputs and challenges at that block; then the
 * outputs' attestations). `limits`: outputs shown per shard, challenges read (all shards). Throws
 * `L1UnavailableError` when any read fails.
 */
export async function readNetwork(
  client: Client<Transport, Chain | undefined>,
  contracts: NetworkContracts,
  limits = { outputs: 10, challenges: 32 },
): Promise<NetworkReport> {
  const { staking, quorum, multicall3 } = contracts
  const call = (
    address: Address,
    abi: readonly unknown[],
    functionName: string,
    args?: unknown[],
  ) => ({ address, abi, functionName, args }) as ContractFunctionParameters
  const aggregate = async (calls: ContractFunctionParameters[], blockNumber?: bigint) =>
    calls.length === 0
      ? []
      : ((await multicall(client, {
          contracts: calls,
          allowFailure: false,
          multicallAddress: multicall3,
          batchSize: 0,
          blockNumber,
        })) as unknown[])
  try {
    const first = await aggregate([
      call(multicall3, multicall3Abi, 'getBlockNumber'),
      call(multicall3, multicall3Abi, 'getCurrentBlockTimestamp'),
      ...STAKING_PARAMS.map((f) => call(staking, verifierStakingAbi, f)),
      call(staking, verifierStakingAbi, 'activeStake'),
      call(staking, verifierStakingAbi, 'verifiers'),
      ...QUORUM_PARAMS.map((f) => call(quorum, outputQuorumAbi, f)),
      call(quorum, outputQuorumAbi, 'challengeCount'),
      ...contracts.shards.flatMap(({ oracle }) => [
        call(oracle, l2OutputOracleAbi, 'latestOutputIndex'),
        call(oracle, l2OutputOracleAbi, 'FINALIZATION_PERIOD_SECONDS'),
      ]),
    ])
    const take = <T>() => first.shift() as T
    const l1Block = take<bigint>()
    const l1Timestamp = take<bigint>()
    const stakingReads = Object.fromEntries(STAKING_PARAMS.map((f) => [f, take<bigint>()]))
    const activeStake = take<bigint>()
    const verifiers = take<NetworkReads['staking']['verifiers']>()
    const quorumReads = Object.fromEntries(QUORUM_PARAMS.map((f) => [f, take<bigint>()]))
    const challengeCount = take<bigint>()
    const shardHeads = contracts.shards.map(() => ({
      latest: take<bigint>(),
      finalizationPeriodSeconds: take<bigint>(),
    }))

    const indices = shardHeads.map(({ latest }) => lastOf(latest + 1n, limits.outputs))
    const ids = lastOf(challengeCount, limits.challenges)
    const second = await aggregate(
      [
        ...contracts.shards.flatMap(({ oracle }, i) =>
          indices[i].flatMap((index) => [
            call(oracle, l2OutputOracleAbi, 'getL2Output', [index]),
            call(oracle, l2OutputOracleAbi, 'isOutputFinalized', [index]),
            call(oracle, l2OutputOracleAbi, 'frozen', [index]),
          ]),
        ),
        ...ids.map((id) => call(quorum, outputQuorumAbi, 'getChallenge', [id])),
      ],
      l1Block,
    )
    const outputs = indices.map((list) =>
      list.map((index) => ({
        index,
        proposal: second.shift() as OutputProposal,
        final: second.shift() as boolean,
        frozen: second.shift() as boolean,
      })),
    )
    const challenges = ids.map((id) => ({ id, challenge: second.shift() as ChallengeRecord }))

    const third = await aggregate(
      contracts.shards.flatMap(({ oracle }, i) =>
        outputs[i].map(({ proposal }) =>
          call(quorum, outputQuorumAbi, 'candidate', [
            oracle,
            proposal.l2BlockNumber,
            proposal.outputRoot,
          ]),
        ),
      ),
      l1Block,
    )
    return buildNetwork(contracts, {
      l1Block,
      l1Timestamp,
      staking: {
        ...(stakingReads as Record<(typeof STAKING_PARAMS)[number], bigint>),
        activeStake,
        verifiers,
      },
      quorum: quorumReads as NetworkReads['quorum'],
      shards: shardHeads.map((head, i) => ({
        finalizationPeriodSeconds: head.finalizationPeriodSeconds,
        outputs: outputs[i].map((o) => ({ ...o, candidate: third.shift() as Candidate })),
      })),
      challenges,
    })
  } catch (err) {
    const e = err as { shortMessage?: string; details?: string; message?: string }
    const reason = [e.shortMessage ?? e.message ?? String(err), e.details].filter(Boolean).join(' ')
    throw new L1UnavailableError(`L1 request failed: ${reason}`, { cause: err })
  }
}

/** The last `n` of indices 0..count-1, newest first. */
function lastOf(count: bigint, n: number): bigint[] {
  const out: bigint[] = []
  for (let i = count - 1n; i >= 0n && out.length < n; i--) out.push(i)
  return out
}

/** Shapes what `readNetwork` read into `GET /network`'s answer (pure). */
export function buildNetwork(contracts: NetworkContracts, reads: NetworkReads): NetworkReport {
  const s = reads.staking
  const [addrs, bonded, unbonding, status, missed, owed] = s.verifiers
  const verifiers: NetworkVerifier[] = addrs.map((address, i) => ({
    address,
    stake: String(bonded[i]),
    unbonding: String(unbonding[i]),
    status: VERIFIER_STATUS[status[i]] ?? 'inactive',
    missed: String(missed[i]),
    rewardsOwed: String(owed[i]),
  }))
  const stakeOf = new Map(addrs.map((a, i) => [a.toLowerCase(), bonded[i]]))
  const q = reads.quorum
  const challenge = ({
    id,
    challenge: c,
  }: NetworkReads['challenges'][number]): NetworkChallenge => ({
    id: String(id),
    l2BlockNumber: String(c.l2BlockNumber),
    outputRoot: c.outputRoot,
    challenger: c.challenger,
    bond: String(c.bond),
    createdAt: String(c.createdAt),
    deadline: String(c.deadline),
    outcome: CHALLENGE_OUTCOMES[c.outcome] ?? 'open',
  })
  const shards = contracts.shards.map(({ chainId, oracle }, i) => {
    const shard = reads.shards[i]
    return {
      chainId,
      oracle,
      finalizationPeriodSeconds: String(shard.finalizationPeriodSeconds),
      outputs: shard.outputs.map(({ index, proposal, final, frozen, candidate }): NetworkOutput => {
        const [, , signers, signedStake, activeStake, , openChallenge] = candidate
        return {
          index: String(index),
          l2BlockNumber: String(proposal.l2BlockNumber),
          outputRoot: proposal.outputRoot,
          proposedAt: String(proposal.timestamp),
          final,
          frozen,
          attestations: signers.map((verifier) => ({
            verifier,
            stake: String(stakeOf.get(verifier.toLowerCase()) ?? 0n),
          })),
          signedStake: String(signedStake),
          quorum:
            activeStake > 0n &&
            signedStake * 3n >= activeStake * 2n &&
            signedStake >= q.minQuorumStake,
          challenge: openChallenge === 0n ? null : String(openChallenge - 1n),
        }
      }),
      challenges: reads.challenges
        .filter(({ challenge: c }) => c.oracle.toLowerCase() === oracle.toLowerCase())
        .map(challenge),
    }
  })
  return {
    l1ChainId: contracts.l1ChainId,
    l1Block: String(reads.l1Block),
    l1Timestamp: String(reads.l1Timestamp),
    staking: contracts.staking,
    quorum: contracts.quorum,
    params: {
      minStake: String(s.minStake),
      unbondingDelay: String(s.unbondingDelay),
      maxMissed: String(s.maxMissed),
      slashBps: String(s.slashBps),
      reporterBps: String(s.reporterBps),
      longWindow: String(q.longWindow),
      challengeBond: String(q.challengeBond),
      disputePeriod: String(q.disputePeriod),
      minQuorumStake: String(q.minQuorumStake),
      rewardPerOutput: String(q.rewardPerOutput),
      finalizationPeriodSeconds: shards[0]?.finalizationPeriodSeconds ?? '0',
    },
    verifiers,
    activeStake: String(s.activeStake),
    quorumStake: String((s.activeStake * 2n + 2n) / 3n),
    shards,
  }
}
