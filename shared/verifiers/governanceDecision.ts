/**
 * What a verifier node does in the DAC about one open OutputQuorum challenge, decided from what L1
 * says (pure: the shell in governance.ts reads the inputs and sends the result). Only an executed
 * Governor proposal upholds a challenge (GovernedChallenge), before the challenge's deadline; the
 * node takes part by itself, with the votes delegated to its operator key, according to the root it
 * computed itself:
 * - the challenged root differs from its own: it makes sure the proposal to `uphold(id)` exists
 *   (proposes it when nobody has and a whole proposal still fits before the deadline), votes For,
 *   queues it once it succeeded and executes it once the Timelock's delay is over, before the deadline;
 * - the challenged root is its own: it votes Against any proposal to uphold it (the challenge then
 *   expires: the root stands and the challenger's bond goes to the Timelock).
 * Every input comes from L1 (the proposal's state, `hasVoted`, the votes at its snapshot), so a
 * decision is the same after a restart and never repeats a step already on L1. A node without
 * votes takes no part (it neither proposes, votes, queues nor executes).
 */

/** OpenZeppelin's `IGovernor.ProposalState`, by index; `None` when no such proposal exists. */
export const proposalState = {
  Pending: 0,
  Active: 1,
  Canceled: 2,
  Defeated: 3,
  Succeeded: 4,
  Queued: 5,
  Expired: 6,
  Executed: 7,
  None: -1,
} as const
export type ProposalStateIndex = (typeof proposalState)[keyof typeof proposalState]

/** What the node knows of one open challenge and the proposal to uphold it. */
export type GovernanceView = {
  /** The challenged root and this node's own root at that block (undefined: not computed yet). */
  challenged: `0x${string}`
  ours: `0x${string}` | undefined
  /** The challenge's deadline and the L1 head's timestamp (seconds). */
  deadline: bigint
  now: bigint
  /** The Governor's timings (seconds) and the votes a proposer needs. */
  votingDelay: bigint
  votingPeriod: bigint
  timelockDelay: bigint
  proposalThreshold: bigint
  /** The operator's votes now (for proposing). */
  votesNow: bigint
  /** The uphold proposal: its state, and for an existing one the operator's part in it. */
  proposal:
    | { state: typeof proposalState.None }
    | {
        state: Exclude<ProposalStateIndex, typeof proposalState.None>
        /** The operator's votes at the proposal's snapshot (what a vote would weigh). */
        weight: bigint
        hasVoted: boolean
        /** When the Timelock lets it execute (0 until queued). */
        eta: bigint
      }
}

/** The one Governor step to take now, if any. */
export type GovernanceStep =
  | { kind: 'propose' }
  | { kind: 'vote'; support: 'for' | 'against' }
  | { kind: 'queue' }
  | { kind: 'execute' }

/** Decides the next Governor step of a node about one open challenge (see the file's comment). */
export function decideGovernance(v: GovernanceView): GovernanceStep | undefined {
  if (v.ours === undefined || v.now >= v.deadline) return undefined
  const disagree = v.ours !== v.challenged
  const p = v.proposal
  if (p.state === proposalState.None) {
    // A proposal made now is executable at the earliest after its delay, period and the Timelock's
    // delay (and a block after each): propose only when that lands before the deadline.
    const earliest = v.now + v.votingDelay + v.votingPeriod + v.timelockDelay + 3n
    if (disagree && v.votesNow > 0n && v.votesNow >= v.proposalThreshold && earliest < v.deadline)
      return { kind: 'propose' }
    return undefined
  }
  if (p.state === proposalState.Active && !p.hasVoted && p.weight > 0n)
    return { kind: 'vote', support: disagree ? 'for' : 'against' }
  // Carried through by the nodes that voted for it (anyone may; one that voted Against does not).
  if (!disagree || !p.hasVoted) return undefined
  if (p.state === proposalState.Succeeded) return { kind: 'queue' }
  if (p.state === proposalState.Queued && p.eta > 0n && v.now >= p.eta) return { kind: 'execute' }
  return undefined
}

/** The description of the proposal to uphold challenge `id`: every node (and the CLI) uses this one. */
export const upholdDescription = (id: bigint) => `edge-l2: uphold challenge ${id}`
