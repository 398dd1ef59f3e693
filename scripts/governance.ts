/**
 * The DAC's proposal lifecycle as viem actions over a client (`propose(client, governor, …)`):
 * propose → vote → queue → execute on the DacGovernor, and a proposal's status with the time left in
 * its current stage. The CLI (scripts/gov.ts) and the end-to-end tests both use these.
 */
import {
  type Account,
  type Address,
  type Chain,
  type Client,
  type Hash,
  type Hex,
  type Transport,
  BaseError,
  ContractFunctionRevertedError,
  decodeEventLog,
  keccak256,
  toBytes,
} from 'viem'
import {
  getBlock,
  readContract,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from 'viem/actions'
import { dacGovernorAbi } from '../generated/contracts/DacGovernor'
import { dacTimelockAbi } from '../generated/contracts/DacTimelock'

/** The Governor's ABI plus the Timelock's errors, which bubble up through queue and execute. */
const governorAbi = [...dacGovernorAbi, ...dacTimelockAbi.filter((item) => item.type === 'error')]

/** A client that signs (proposer, voter, anyone who queues or executes). */
export type GovClient = Client<Transport, Chain | undefined, Account>
/** A client that reads. */
export type GovReader = Client<Transport, Chain | undefined>

/** One call a proposal makes from the Timelock. */
export type ProposalAction = { target: Address; value?: bigint; data: Hex }

/** OpenZeppelin's `IGovernor.ProposalState`, by index. */
export const proposalStates = [
  'Pending',
  'Active',
  'Canceled',
  'Defeated',
  'Succeeded',
  'Queued',
  'Expired',
  'Executed',
] as const
export type ProposalState = (typeof proposalStates)[number]

/** `GovernorCountingSimple` support values. */
export const voteSupport = { against: 0, for: 1, abstain: 2 } as const
export type VoteSupport = keyof typeof voteSupport

/** Sends a transaction through `simulateContract` (so a revert throws with its decoded error) and awaits it. */
async function send(
  client: GovClient,
  request: Omit<Parameters<typeof simulateContract>[1], 'abi' | 'account' | 'chain'>,
): Promise<Hash> {
  const { request: simulated } = await simulateContract(client, {
    ...request,
    abi: governorAbi,
    account: client.account,
    chain: client.chain,
  } as Parameters<typeof simulateContract>[1])
  const hash = await writeContract(client, simulated as Parameters<typeof writeContract>[1])
  const receipt = await waitForTransactionReceipt(client, { hash })
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`)
  return hash
}

/** Proposes `actions` with `description`; resolves to the proposal id (from ProposalCreated). */
export async function propose(
  client: GovClient,
  governor: Address,
  actions: readonly ProposalAction[],
  description: string,
): Promise<{ proposalId: bigint; hash: Hash }> {
  const hash = await send(client, {
    address: governor,
    functionName: 'propose',
    args: [
      actions.map((a) => a.target),
      actions.map((a) => a.value ?? 0n),
      actions.map((a) => a.data),
      description,
    ],
  })
  const receipt = await waitForTransactionReceipt(client, { hash })
  for (const log of receipt.logs) {
    try {
      const event = decodeEventLog({ abi: dacGovernorAbi, ...log })
      if (event.eventName === 'ProposalCreated') return { proposalId: event.args.proposalId, hash }
    } catch {
      // another contract's log (none expected)
    }
  }
  throw new Error(`propose: no ProposalCreated log in ${hash}`)
}

/** The id a proposal of `actions` with `description` has (Governor.hashProposal). */
export function proposalIdOf(
  client: GovReader,
  governor: Address,
  actions: readonly ProposalAction[],
  description: string,
): Promise<bigint> {
  return readContract(client, {
    address: governor,
    abi: dacGovernorAbi,
    functionName: 'hashProposal',
    args: [
      actions.map((a) => a.target),
      actions.map((a) => a.value ?? 0n),
      actions.map((a) => a.data),
      keccak256(toBytes(description)),
    ],
  })
}

/** Casts the client account's vote on `proposalId`. */
export function castVote(
  client: GovClient,
  governor: Address,
  proposalId: bigint,
  support: VoteSupport,
  reason = '',
): Promise<Hash> {
  return send(client, {
    address: governor,
    functionName: 'castVoteWithReason',
    args: [proposalId, voteSupport[support], reason],
  })
}

/** Queues a succeeded proposal in the Timelock (GovernorStorage's `queue(proposalId)`). */
export function queue(client: GovClient, governor: Address, proposalId: bigint): Promise<Hash> {
  return send(client, { address: governor, functionName: 'queue', args: [proposalId] })
}

/** Executes a queued proposal whose Timelock delay has passed. */
export function execute(client: GovClient, governor: Address, proposalId: bigint): Promise<Hash> {
  return send(client, { address: governor, functionName: 'execute', args: [proposalId] })
}

/** Where a proposal stands: its state, its votes, and the seconds left in the current stage. */
export type ProposalStatus = {
  proposalId: bigint
  state: ProposalState
  /** Timestamps (the Governor's clock). */
  now: bigint
  voteStart: bigint
  voteEnd: bigint
  /** When the Timelock lets it execute; 0 until queued. */
  eta: bigint
  votes: { against: bigint; for: bigint; abstain: bigint }
  /** Votes (for + abstain) needed; undefined while the snapshot is in the future. */
  quorum?: bigint
  /** What happens next and in how many seconds (0: it can happen now). */
  next?: { what: string; inSeconds: bigint }
}

/** Reads a proposal's status from the Governor and the latest L1 block's timestamp. */
export async function proposalStatus(
  client: GovReader,
  governor: Address,
  proposalId: bigint,
): Promise<ProposalStatus> {
  const read = { address: governor, abi: dacGovernorAbi } as const
  const [stateIndex, voteStart, voteEnd, eta, [against, forVotes, abstain], block] =
    await Promise.all([
      readContract(client, { ...read, functionName: 'state', args: [proposalId] }),
      readContract(client, { ...read, functionName: 'proposalSnapshot', args: [proposalId] }),
      readContract(client, { ...read, functionName: 'proposalDeadline', args: [proposalId] }),
      readContract(client, { ...read, functionName: 'proposalEta', args: [proposalId] }),
      readContract(client, { ...read, functionName: 'proposalVotes', args: [proposalId] }),
      getBlock(client),
    ])
  const now = block.timestamp
  const quorum =
    voteStart < now
      ? await readContract(client, { ...read, functionName: 'quorum', args: [voteStart] })
      : undefined
  const state = proposalStates[stateIndex]
  const left = (t: bigint) => (t > now ? t - now : 0n)
  const next =
    state === 'Pending'
      ? { what: 'voting opens', inSeconds: left(voteStart + 1n) }
      : state === 'Active'
        ? { what: 'voting closes', inSeconds: left(voteEnd + 1n) }
        : state === 'Succeeded'
          ? { what: 'anyone may queue it', inSeconds: 0n }
          : state === 'Queued'
            ? { what: 'executable', inSeconds: left(eta) }
            : undefined
  return {
    proposalId,
    state,
    now,
    voteStart,
    voteEnd,
    eta,
    votes: { against, for: forVotes, abstain },
    quorum,
    next,
  }
}

/**
 * A failed step in words: the revert's error name and arguments, with what it means for the common
 * ones (a proposal in the wrong state, a second vote, a Timelock delay not over).
 */
export function explainRevert(err: unknown): string {
  if (!(err instanceof BaseError)) return err instanceof Error ? err.message : String(err)
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError)
  if (!(revert instanceof ContractFunctionRevertedError) || !revert.data) return err.shortMessage
  const { errorName, args = [] } = revert.data
  const call = `${errorName}(${args.map(String).join(', ')})`
  switch (errorName) {
    case 'GovernorUnexpectedProposalState': {
      const [, current, expected] = args as [bigint, number, Hex]
      const allowed = proposalStates.filter((_, i) => (BigInt(expected) >> BigInt(i)) & 1n)
      return `${call}: the proposal is ${proposalStates[current]}; this needs ${allowed.join(' or ')}`
    }
    case 'GovernorAlreadyCastVote':
      return `${call}: this account already voted`
    case 'GovernorInsufficientProposerVotes':
      return `${call}: the proposer's votes are below the proposal threshold (delegate first?)`
    case 'GovernorNonexistentProposal':
      return `${call}: no such proposal on this governor`
    case 'TimelockUnexpectedOperationState':
      return `${call}: the timelock delay is not over yet (see status)`
    default:
      return call
  }
}

/** Every proposal id the Governor stores, oldest first (GovernorStorage). */
export async function listProposals(client: GovReader, governor: Address): Promise<bigint[]> {
  const read = { address: governor, abi: dacGovernorAbi } as const
  const count = await readContract(client, { ...read, functionName: 'proposalCount' })
  const ids: bigint[] = []
  for (let i = 0n; i < count; i++) {
    const [proposalId] = await readContract(client, {
      ...read,
      functionName: 'proposalDetailsAt',
      args: [i],
    })
    ids.push(proposalId)
  }
  return ids
}
