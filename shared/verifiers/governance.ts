/**
 * The verifier node's part in the DAC (issue 22): for the open challenges of its shard, the one
 * Governor transaction to send now (propose `uphold(id)`, vote, queue, execute), decided by
 * `decideGovernance` from L1 reads. The Governor is `ctx.governor`, else found on L1: the Timelock
 * that owns the OutputQuorum, and the account it granted PROPOSER_ROLE (deploy-l1 grants it to the
 * Governor only), checked against the Governor's own `timelock()`.
 */
import { encodeFunctionData, keccak256, toBytes, type Address, type Hex } from 'viem'
import { getBlock, getLogs, readContract } from 'viem/actions'
import { dacGovernorAbi } from '../../generated/contracts/DacGovernor.js'
import { dacTimelockAbi } from '../../generated/contracts/DacTimelock.js'
import { outputQuorumAbi } from '../../generated/contracts/OutputQuorum.js'
import type { L1Client } from '../settlement/l1Sender.js'
import {
  decideGovernance,
  proposalState,
  upholdDescription,
  type GovernanceStep,
  type GovernanceView,
} from './governanceDecision.js'

/** The open challenges a round looks at (the oldest first): a flood of challenges cannot make a round unbounded. */
export const MAX_GOVERNED_CHALLENGES = 16

/** A Governor transaction of the verifier, with what it does. */
export type GovernanceRequest = {
  to: Address
  data: Hex
  tag: {
    kind: 'govern'
    step: GovernanceStep['kind']
    support?: 'for' | 'against'
    id: string
    proposalId: string
  }
}

/** What the governance step needs of the verifier's context. */
export type GovernanceContext = {
  l1: L1Client
  quorum: Address
  me: Address
  governor?: Address
  /** This node's root at L2 block `n` (undefined while not computed). */
  ownRoot: (n: bigint) => Promise<Hex | undefined>
  log?: (line: string) => void
}

/** Governors found on L1, by OutputQuorum address (a deployment's Governor does not move). */
const governors = new Map<Address, Address | null>()

/** The DAC's Governor of `quorum`, found from its owner (the Timelock); null when there is none. */
export async function findGovernor(l1: L1Client, quorum: Address): Promise<Address | null> {
  const known = governors.get(quorum)
  if (known !== undefined) return known
  const timelock = await readContract(l1, {
    address: quorum,
    abi: outputQuorumAbi,
    functionName: 'owner',
  })
  const role = await readContract(l1, {
    address: timelock,
    abi: dacTimelockAbi,
    functionName: 'PROPOSER_ROLE',
  }).catch(() => undefined) // an owner that is no Timelock: no Governor to take part in
  let found: Address | null = null
  if (role) {
    const grants = await getLogs(l1, {
      address: timelock,
      event: dacTimelockAbi.find((i) => i.type === 'event' && i.name === 'RoleGranted')!,
      args: { role },
      fromBlock: 0n,
    })
    for (const g of grants) {
      const account = g.args.account!
      const its = await readContract(l1, {
        address: account,
        abi: dacGovernorAbi,
        functionName: 'timelock',
      }).catch(() => undefined)
      if (its?.toLowerCase() === timelock.toLowerCase()) found = account
    }
  }
  governors.set(quorum, found)
  return found
}

/**
 * The next Governor transaction about challenges `ids` (open ones of this shard, oldest first), or
 * undefined when none is due. Reads each challenge, its uphold proposal and the operator's votes.
 */
export async function nextGovernanceRequest(
  ctx: GovernanceContext,
  ids: readonly string[],
): Promise<GovernanceRequest | undefined> {
  if (ids.length === 0) return undefined
  const governorAddress = ctx.governor ?? (await findGovernor(ctx.l1, ctx.quorum))
  if (!governorAddress) return undefined
  const governor = { address: governorAddress, abi: dacGovernorAbi } as const
  const read = ctx.l1
  const [head, votingDelay, votingPeriod, threshold, clock, timelock] = await Promise.all([
    getBlock(read, { blockTag: 'latest' }),
    readContract(read, { ...governor, functionName: 'votingDelay' }),
    readContract(read, { ...governor, functionName: 'votingPeriod' }),
    readContract(read, { ...governor, functionName: 'proposalThreshold' }),
    readContract(read, { ...governor, functionName: 'clock' }),
    readContract(read, { ...governor, functionName: 'timelock' }),
  ])
  const [timelockDelay, votesNow] = await Promise.all([
    readContract(read, { address: timelock, abi: dacTimelockAbi, functionName: 'getMinDelay' }),
    readContract(read, {
      ...governor,
      functionName: 'getVotes',
      args: [ctx.me, BigInt(clock) - 1n],
    }),
  ])
  for (const id of ids.slice(0, MAX_GOVERNED_CHALLENGES)) {
    const ch = await readContract(read, {
      address: ctx.quorum,
      abi: outputQuorumAbi,
      functionName: 'getChallenge',
      args: [BigInt(id)],
    })
    if (ch.outcome !== 0) continue
    const data = encodeFunctionData({
      abi: outputQuorumAbi,
      functionName: 'uphold',
      args: [BigInt(id)],
    })
    const description = upholdDescription(BigInt(id))
    const proposalId = await readContract(read, {
      ...governor,
      functionName: 'hashProposal',
      args: [[ctx.quorum], [0n], [data], keccak256(toBytes(description))],
    })
    const snapshot = await readContract(read, {
      ...governor,
      functionName: 'proposalSnapshot',
      args: [proposalId],
    })
    let proposal: GovernanceView['proposal'] = { state: proposalState.None }
    if (snapshot > 0n) {
      const [state, hasVoted, eta] = await Promise.all([
        readContract(read, { ...governor, functionName: 'state', args: [proposalId] }),
        readContract(read, {
          ...governor,
          functionName: 'hasVoted',
          args: [proposalId, ctx.me],
        }),
        readContract(read, { ...governor, functionName: 'proposalEta', args: [proposalId] }),
      ])
      // Votes count at the snapshot, readable once it is past (the proposal is Active from then).
      const weight =
        snapshot < BigInt(clock)
          ? await readContract(read, {
              ...governor,
              functionName: 'getVotes',
              args: [ctx.me, snapshot],
            })
          : 0n
      proposal = {
        state: state as Exclude<GovernanceView['proposal']['state'], -1>,
        weight,
        hasVoted,
        eta,
      }
    }
    const step = decideGovernance({
      challenged: ch.outputRoot,
      ours: await ctx.ownRoot(ch.l2BlockNumber),
      deadline: BigInt(ch.deadline),
      now: head.timestamp,
      votingDelay,
      votingPeriod,
      timelockDelay,
      proposalThreshold: threshold,
      votesNow,
      proposal,
    })
    if (!step) continue
    const tag = {
      kind: 'govern',
      step: step.kind,
      id,
      proposalId: String(proposalId),
      ...(step.kind === 'vote' && { support: step.support }),
    } as const
    switch (step.kind) {
      case 'propose':
        return {
          to: governor.address,
          data: encodeFunctionData({
            ...governor,
            functionName: 'propose',
            args: [[ctx.quorum], [0n], [data], description],
          }),
          tag,
        }
      case 'vote':
        return {
          to: governor.address,
          data: encodeFunctionData({
            ...governor,
            functionName: 'castVoteWithReason',
            args: [
              proposalId,
              step.support === 'for' ? 1 : 0,
              `edge-l2 verifier: the root challenged at L2 block ${ch.l2BlockNumber} is ${step.support === 'for' ? 'not ' : ''}the one this node computed`,
            ],
          }),
          tag,
        }
      case 'queue':
        return {
          to: governor.address,
          data: encodeFunctionData({ ...governor, functionName: 'queue', args: [proposalId] }),
          tag,
        }
      case 'execute':
        return {
          to: governor.address,
          data: encodeFunctionData({ ...governor, functionName: 'execute', args: [proposalId] }),
          tag,
        }
    }
  }
  return undefined
}

/** The Governor's and the Timelock's errors, to name a refused Governor step. */
export const governanceErrors = [...dacGovernorAbi, ...dacTimelockAbi].filter(
  (i) => i.type === 'error',
)
