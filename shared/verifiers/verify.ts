/**
 * The verifier's L1 step for one shard: a node with a staked operator key computes each output root
 * itself (from the blocks it derived from L1, or sealed and batched itself) and, one L1 transaction
 * at a time (`L1Sender`, so nothing is sent twice across crashes):
 * 1. challenges any root some verifier attested that differs from its own (safety first);
 * 2. resolves challenges whose deadline has passed (expired: the root stands, the bond is lost),
 *    and takes part in the DAC's decision on the open ones with its delegated votes (governance.ts:
 *    proposes, votes, queues and executes `uphold` of a root it disagrees with, votes Against
 *    upholding its own root);
 * 3. rejoins the active set (`unjail`) once jailed and caught up;
 * 4. signs and attests its root for the oracle's next output (EIP-712), retries the proposal once
 *    the quorum is there, or exposes its root when the long window has passed;
 * 5. attests late the latest output when it equals its own root and is not final (rewards, no miss).
 * It never signs a root it did not compute. The only test hook is `fault: 'wrong-root'` (a node
 * configured with VERIFIER_FAULT, used by the end-to-end tests to play a faulty verifier).
 */
import {
  BaseError,
  decodeErrorResult,
  encodeFunctionData,
  keccak256,
  parseAbiItem,
  type Address,
  type Hex,
  type LocalAccount,
} from 'viem'
import { call, getBlock, getBlockNumber, getLogs, readContract } from 'viem/actions'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { outputQuorumAbi } from '../../generated/contracts/OutputQuorum.js'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import type { ChainCore } from '../chain/chainCore.js'
import { L1Sender, type StepResult } from '../settlement/l1Sender.js'
import { outputAt } from '../settlement/outputRoot.js'
import { signOutput, type AttestationDomain } from './attestation.js'
import { governanceErrors, nextGovernanceRequest, type GovernanceRequest } from './governance.js'
import type { L1Client, L1Wallet } from '../settlement/l1Sender.js'

/** What the verifier step of one shard needs. */
export type VerifierContext = {
  chain: ChainCore
  l1: L1Client
  /** The operator's wallet: its address is the staked verifier, its key signs attestations. */
  wallet: L1Wallet
  domain: AttestationDomain
  staking: Address
  /** The sequencer pool, where the operator publishes `publicUrl` and seeds the next epoch. */
  pool?: Address
  publicUrl?: string
  /** The DAC's Governor; found on L1 from the OutputQuorum's owner (the Timelock) when not given. */
  governor?: Address
  /** Test only: sign and attest a corrupted root instead of the computed one. */
  fault?: 'wrong-root'
  log?: (line: string) => void
}

/** What a verifier transaction does. */
export type VerifierAction =
  | { kind: 'attest'; l2BlockNumber: string; outputRoot: Hex; late?: boolean }
  | { kind: 'challenge'; l2BlockNumber: string; outputRoot: Hex; ours: Hex }
  | { kind: 'expose'; l2BlockNumber: string; outputRoot: Hex }
  | { kind: 'resolve'; id: string }
  | { kind: 'unjail' }
  | { kind: 'publishUrl'; url: string }
  | { kind: 'seedEpoch'; epoch: string }
  | GovernanceRequest['tag']

const PENDING = 'verify.tx'
const CURSOR = 'verify.l1'
const WATCH = 'verify.watch'
const MAX_LOG_RANGE = 2_000n

const attestedEvent = parseAbiItem(
  'event Attested(address indexed oracle, uint256 indexed l2BlockNumber, bytes32 indexed outputRoot, address verifier, uint256 stake)',
)
const acceptedEvent = parseAbiItem(
  'event OutputAccepted(address indexed oracle, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, bytes32 outputRoot, bool quorum, uint256 signedStake, uint256 activeStake)',
)
const challengedEvent = parseAbiItem(
  'event Challenged(uint256 indexed id, address indexed oracle, uint256 indexed l2BlockNumber, bytes32 outputRoot, address challenger)',
)

/** Roots seen attested and not checked yet, and open challenges: kept in the chain's meta table. */
type Watch = { roots: { l2BlockNumber: string; outputRoot: Hex }[]; challenges: string[] }

/** Roots this node computed, by block hash (a block's root never changes). */
const rootCache = new Map<Hex, Hex>()

/**
 * This node's output root at L2 block `n` and that block's hash, or undefined when `n` is not safe
 * (derived from L1, or batched by this sequencer) yet. With the test-only fault, a corrupted root.
 */
export async function safeOutputRoot(
  chain: ChainCore,
  n: bigint,
  fault?: VerifierContext['fault'],
): Promise<{ outputRoot: Hex; blockHash: Hex } | undefined> {
  if (n > chain.safeHead()) return undefined
  const block = chain.store.blockByNumber(n)
  if (!block) return undefined
  let root = rootCache.get(block.hash)
  if (!root) {
    root = (await outputAt(chain, block)).outputRoot
    if (rootCache.size > 256) rootCache.delete(rootCache.keys().next().value!)
    rootCache.set(block.hash, root)
  }
  return { outputRoot: fault === 'wrong-root' ? keccak256(root) : root, blockHash: block.hash }
}

/** This node's output root at L2 block `n`, or undefined when `n` is not safe yet. */
export async function ownRoot(ctx: VerifierContext, n: bigint): Promise<Hex | undefined> {
  return (await safeOutputRoot(ctx.chain, n, ctx.fault))?.outputRoot
}

/** One verifier step: settles the transaction in flight, or decides and sends the next one. */
export async function stepVerifier(ctx: VerifierContext): Promise<StepResult<VerifierAction>> {
  const sender = new L1Sender<VerifierAction>(ctx.wallet, ctx.chain.store, PENDING)
  const result = await sender.step(async () => {
    const request = await nextAction(ctx)
    if (!request || request.tag.kind === 'challenge') return request
    // Another node may have done it first (a proposal, a resolution): skip what would revert.
    const refused = await refusal(ctx, request)
    if (refused) {
      ctx.log?.(`skipping ${describe(request.tag)}: ${refused}`)
      return undefined
    }
    return request
  })
  if (result.kind === 'sent' || result.kind === 'reverted' || result.kind === 'lost')
    ctx.log?.(`${result.kind} ${describe(result.pending.tag)}`)
  return result
}

function describe(a: VerifierAction): string {
  switch (a.kind) {
    case 'attest':
      return `${a.late ? 'late ' : ''}attestation of output ${a.outputRoot} at L2 block ${a.l2BlockNumber}`
    case 'challenge':
      return `challenge of output ${a.outputRoot} at L2 block ${a.l2BlockNumber} (ours: ${a.ours})`
    case 'expose':
      return `exposure of output ${a.outputRoot} at L2 block ${a.l2BlockNumber} (long window)`
    case 'resolve':
      return `resolution of challenge ${a.id}`
    case 'unjail':
      return 'unjail'
    case 'publishUrl':
      return `publication of this node's URL ${a.url} in the sequencer pool`
    case 'seedEpoch':
      return `seeding of sequencer epoch ${a.epoch}`
    case 'govern':
      return `${a.step === 'vote' ? `vote ${a.support} on` : a.step} Governor proposal ${a.proposalId} to uphold challenge ${a.id}`
  }
}

async function nextAction(ctx: VerifierContext) {
  const { chain, l1, domain } = ctx
  const me = ctx.wallet.account.address
  const oracle = { address: domain.oracle, abi: l2OutputOracleAbi } as const
  const quorum = { address: domain.quorum, abi: outputQuorumAbi } as const
  const watch = await updateWatch(ctx)

  // 1. A root that differs from ours: challenge it while it can still be stopped.
  const bond = await readContract(l1, { ...quorum, functionName: 'challengeBond' })
  const active = await readContract(l1, {
    address: ctx.staking,
    abi: verifierStakingAbi,
    functionName: 'isActive',
    args: [me],
  })
  const unchecked: Watch['roots'] = []
  let challenge: { to: Hex; data: Hex; value: bigint; tag: VerifierAction } | undefined
  for (const seen of watch.roots) {
    const n = BigInt(seen.l2BlockNumber)
    const ours = await ownRoot(ctx, n)
    if (ours === undefined) {
      unchecked.push(seen)
      continue
    }
    if (ours === seen.outputRoot) continue
    if (challenge || !active) {
      unchecked.push(seen) // one transaction a round (or not active yet): a later round challenges it
      continue
    }
    const [, , , signedStake, , rejected, open] = await readContract(l1, {
      ...quorum,
      functionName: 'candidate',
      args: [domain.oracle, n, seen.outputRoot],
    })
    if (rejected || open !== 0n) continue
    // Signed only by verifiers no longer active (slashed, jailed, unbonded): it can neither be
    // exposed nor reach a quorum, so a bond spent on it would be wasted (a slashed key's flood of
    // roots must not drain the challengers). Should it enter the oracle, OutputAccepted brings it back.
    if (signedStake === 0n) continue
    const request = {
      to: domain.quorum,
      data: encodeFunctionData({
        ...quorum,
        functionName: 'challenge',
        args: [domain.oracle, n, seen.outputRoot],
      }),
      value: bond,
      tag: { kind: 'challenge', l2BlockNumber: String(n), outputRoot: seen.outputRoot, ours },
    } as const
    const refused = await refusal(ctx, request)
    if (refused) {
      ctx.log?.(
        `output ${seen.outputRoot} at L2 block ${n} differs from ours (${ours}) but cannot be challenged: ${refused}`,
      )
      continue
    }
    ctx.log?.(`output ${seen.outputRoot} at L2 block ${n} differs from ours (${ours}): challenging`)
    challenge = request
  }
  saveWatch(ctx, { ...watch, roots: unchecked })
  if (challenge) return challenge

  // 2. Challenges past their deadline: anyone may resolve them (expired).
  const l1Head = await getBlock(l1, { blockTag: 'latest' })
  const stillOpen: string[] = []
  let resolve: { to: Hex; data: Hex; tag: VerifierAction } | undefined
  for (const id of watch.challenges) {
    const ch = await readContract(l1, {
      ...quorum,
      functionName: 'getChallenge',
      args: [BigInt(id)],
    })
    if (ch.outcome !== 0) continue
    stillOpen.push(id)
    if (!resolve && l1Head.timestamp >= BigInt(ch.deadline))
      resolve = {
        to: domain.quorum,
        data: encodeFunctionData({ ...quorum, functionName: 'resolve', args: [BigInt(id)] }),
        tag: { kind: 'resolve', id },
      }
  }
  saveWatch(ctx, { roots: unchecked, challenges: stillOpen })
  if (resolve) return resolve

  // 2b. The open ones before their deadline: the DAC's proposal to uphold, with this node's votes.
  const govern = await nextGovernanceRequest(
    {
      l1,
      quorum: domain.quorum,
      me,
      governor: ctx.governor,
      ownRoot: (n) => ownRoot(ctx, n),
      log: ctx.log,
    },
    stillOpen,
  )
  if (govern) return govern

  const [next, nextIndex, interval] = await Promise.all([
    readContract(l1, { ...oracle, functionName: 'nextBlockNumber' }),
    readContract(l1, { ...oracle, functionName: 'nextOutputIndex' }),
    readContract(l1, { ...oracle, functionName: 'SUBMISSION_INTERVAL' }),
  ])

  // 3. Jailed (missed outputs while down): rejoin once caught up.
  if (!active) {
    const [addrs, bonded, , status] = await readContract(l1, {
      address: ctx.staking,
      abi: verifierStakingAbi,
      functionName: 'verifiers',
    })
    const i = addrs.findIndex((a) => a.toLowerCase() === me.toLowerCase())
    const minStake = await readContract(l1, {
      address: ctx.staking,
      abi: verifierStakingAbi,
      functionName: 'minStake',
    })
    if (i >= 0 && status[i] === 3 && bonded[i] >= minStake && chain.safeHead() >= next - interval) {
      ctx.log?.(`jailed and caught up (safe head ${chain.safeHead()}): rejoining`)
      return {
        to: ctx.staking,
        data: encodeFunctionData({ abi: verifierStakingAbi, functionName: 'unjail' }),
        tag: { kind: 'unjail' } as VerifierAction,
      }
    }
    return poolAction(ctx)
  }

  // 4. The oracle's next output: sign ours, retry the proposal, or expose after the long window.
  const root = await ownRoot(ctx, next)
  const due = await readContract(l1, {
    ...oracle,
    functionName: 'computeL2Timestamp',
    args: [next],
  })
  if (root && due < l1Head.timestamp) {
    const signed = await readContract(l1, {
      ...quorum,
      functionName: 'signedRootOf',
      args: [domain.oracle, next, me],
    })
    const attest = async (signatures: Hex[]) => ({
      to: domain.quorum,
      data: encodeFunctionData({
        ...quorum,
        functionName: 'attest',
        args: [domain.oracle, next, root, signatures],
      }),
      tag: { kind: 'attest', l2BlockNumber: String(next), outputRoot: root } as VerifierAction,
    })
    if (/^0x0*$/.test(signed)) {
      const signature = await signOutput(ctx.wallet.account as LocalAccount, domain, {
        l2BlockNumber: next,
        outputRoot: root,
      })
      return attest([signature])
    }
    if (signed === root) {
      const [[, exposableAt, , signedStake, activeStake, rejected, open], floor] =
        await Promise.all([
          readContract(l1, {
            ...quorum,
            functionName: 'candidate',
            args: [domain.oracle, next, root],
          }),
          readContract(l1, { ...quorum, functionName: 'minQuorumStake' }),
        ])
      if (!rejected && open === 0n) {
        // A quorum as the contract counts it (2/3 of the stake at the block's reference time and the
        // floor): retry the proposal. Below the floor, 2/3 alone would retry for ever and never expose.
        const hasQuorum = activeStake > 0n && signedStake * 3n >= activeStake * 2n
        if (hasQuorum && signedStake >= floor) return attest([])
        if (exposableAt > 0n && l1Head.timestamp >= exposableAt) {
          // `expose` re-weighs the block's lead itself (a rejected leader, or one whose signers were
          // slashed since, is overtaken), so ours needs no new attest first.
          return {
            to: domain.quorum,
            data: encodeFunctionData({
              ...quorum,
              functionName: 'expose',
              args: [domain.oracle, next, root],
            }),
            tag: {
              kind: 'expose',
              l2BlockNumber: String(next),
              outputRoot: root,
            } as VerifierAction,
          }
        }
      }
    }
  }

  // 5. The latest output, if ours and not final: attest it late.
  if (nextIndex > 1n) {
    const latest = nextIndex - 1n
    const output = await readContract(l1, {
      ...oracle,
      functionName: 'getL2Output',
      args: [latest],
    })
    const ours = await ownRoot(ctx, output.l2BlockNumber)
    if (ours && ours === output.outputRoot) {
      const [signed, final] = await Promise.all([
        readContract(l1, {
          ...quorum,
          functionName: 'signedRootOf',
          args: [domain.oracle, output.l2BlockNumber, me],
        }),
        readContract(l1, { ...oracle, functionName: 'isOutputFinalized', args: [latest] }),
      ])
      if (/^0x0*$/.test(signed) && !final) {
        const signature = await signOutput(ctx.wallet.account as LocalAccount, domain, {
          l2BlockNumber: output.l2BlockNumber,
          outputRoot: ours,
        })
        return {
          to: domain.quorum,
          data: encodeFunctionData({
            ...quorum,
            functionName: 'attest',
            args: [domain.oracle, output.l2BlockNumber, ours, [signature]],
          }),
          tag: {
            kind: 'attest',
            l2BlockNumber: String(output.l2BlockNumber),
            outputRoot: ours,
            late: true,
          } as VerifierAction,
        }
      }
    }
  }
  return poolAction(ctx)
}

/**
 * The operator's share of the sequencer pool (issue 13's groundwork): publish this node's URL where
 * peers and wallets find the scheduled sequencer, and seed the next epoch (or the current one while
 * the pool has no candidates yet) with L1 randomness, so the schedule never falls back to a
 * predictable seed. Either is skipped when it would revert (another verifier seeded first).
 */
async function poolAction(ctx: VerifierContext) {
  if (!ctx.pool) return undefined
  const pool = { address: ctx.pool, abi: sequencerPoolAbi } as const
  const me = ctx.wallet.account.address
  if (ctx.publicUrl) {
    const published = await readContract(ctx.l1, { ...pool, functionName: 'urlOf', args: [me] })
    if (published !== ctx.publicUrl)
      return {
        to: ctx.pool,
        data: encodeFunctionData({ ...pool, functionName: 'setUrl', args: [ctx.publicUrl] }),
        tag: { kind: 'publishUrl', url: ctx.publicUrl } as VerifierAction,
      }
  }
  const epoch = await readContract(ctx.l1, { ...pool, functionName: 'currentEpoch' })
  for (const e of [epoch, epoch + 1n]) {
    const [, seeded] = await readContract(ctx.l1, { ...pool, functionName: 'seedOf', args: [e] })
    if (seeded) continue
    if (e > epoch && !(await seedsNext(ctx, epoch))) continue
    const request = {
      to: ctx.pool,
      data: encodeFunctionData({ ...pool, functionName: 'seedEpoch', args: [e] }),
      tag: { kind: 'seedEpoch', epoch: String(e) } as VerifierAction,
    }
    // The current epoch is seedable only while the pool has no candidates (its bootstrap); another
    // shard of this node or another verifier may have seeded first.
    if (await refusal(ctx, request)) continue
    return request
  }
  return undefined
}

/**
 * Whether this operator seeds the epoch after `epoch`: the current epoch's sequencer of this shard
 * does (so the verifiers do not all race for it), anyone once three quarters of the epoch passed.
 */
async function seedsNext(ctx: VerifierContext, epoch: bigint): Promise<boolean> {
  const pool = { address: ctx.pool!, abi: sequencerPoolAbi } as const
  const [[sequencer], start, length, head] = await Promise.all([
    readContract(ctx.l1, {
      ...pool,
      functionName: 'turnOf',
      args: [BigInt(ctx.domain.l2ChainId), epoch],
    }),
    readContract(ctx.l1, { ...pool, functionName: 'epochStart', args: [epoch] }),
    readContract(ctx.l1, { ...pool, functionName: 'epochLength' }),
    getBlockNumber(ctx.l1, { cacheTime: 0 }),
  ])
  const mine = sequencer.toLowerCase() === ctx.wallet.account.address.toLowerCase()
  return mine || head >= start + (length * 3n) / 4n
}

/** Reads Attested and Challenged logs of this shard since the last round into the watch list. */
async function updateWatch(ctx: VerifierContext): Promise<Watch> {
  const { chain, l1, domain } = ctx
  const watch: Watch = JSON.parse(chain.store.getMeta(WATCH) ?? '{"roots":[],"challenges":[]}')
  const head = await getBlockNumber(l1, { cacheTime: 0 })
  const stored = chain.store.getMeta(CURSOR)
  let from = stored === undefined ? head : BigInt(stored) + 1n
  if (stored === undefined) {
    // First round: look back far enough to see the roots still challengeable.
    from = head > MAX_LOG_RANGE ? head - MAX_LOG_RANGE : 0n
  }
  if (from > head) return watch
  const to = head - from > MAX_LOG_RANGE ? from + MAX_LOG_RANGE : head
  // A root is checked when it is signed and again whenever it enters the oracle: one deleted after
  // a challenge without a vote quorum may be put back with the signatures it already has.
  const [attested, accepted, challenged] = await Promise.all([
    getLogs(l1, {
      address: domain.quorum,
      event: attestedEvent,
      args: { oracle: domain.oracle },
      fromBlock: from,
      toBlock: to,
    }),
    getLogs(l1, {
      address: domain.quorum,
      event: acceptedEvent,
      args: { oracle: domain.oracle },
      fromBlock: from,
      toBlock: to,
    }),
    getLogs(l1, {
      address: domain.quorum,
      event: challengedEvent,
      args: { oracle: domain.oracle },
      fromBlock: from,
      toBlock: to,
    }),
  ])
  const known = new Set(watch.roots.map((r) => `${r.l2BlockNumber}:${r.outputRoot}`))
  for (const log of [...attested, ...accepted]) {
    const entry = {
      l2BlockNumber: String(log.args.l2BlockNumber!),
      outputRoot: log.args.outputRoot!,
    }
    const k = `${entry.l2BlockNumber}:${entry.outputRoot}`
    if (!known.has(k)) {
      known.add(k)
      watch.roots.push(entry)
    }
  }
  for (const log of challenged) {
    const id = String(log.args.id!)
    if (!watch.challenges.includes(id)) watch.challenges.push(id)
  }
  // Bounded, keeping the lowest blocks: a flood of roots signed for far-future blocks (one staked key
  // can sign one root per block) cannot push out the ones due soon; a dropped root that enters the
  // oracle later is seen again through OutputAccepted.
  if (watch.roots.length > 512)
    watch.roots = watch.roots
      .sort((a, b) => (BigInt(a.l2BlockNumber) < BigInt(b.l2BlockNumber) ? -1 : 1))
      .slice(0, 512)
  chain.transact(() => {
    chain.store.setMeta(WATCH, JSON.stringify(watch))
    chain.store.setMeta(CURSOR, String(to))
  })
  return watch
}

function saveWatch(ctx: VerifierContext, watch: Watch): void {
  ctx.chain.store.setMeta(WATCH, JSON.stringify(watch))
}

/** Why `request` would revert now (an eth_call from the operator), or undefined when it would not. */
async function refusal(
  ctx: VerifierContext,
  request: { to: Hex; data: Hex; value?: bigint },
): Promise<string | undefined> {
  try {
    await call(ctx.l1, { account: ctx.wallet.account.address, ...request })
    return undefined
  } catch (err) {
    // A custom error of the quorum or the staking contract says why (RootChallenged, OutputFinal, …).
    const data = err instanceof BaseError ? err.walk((e) => hasData(e)) : undefined
    if (data && hasData(data))
      try {
        const { errorName, args } = decodeErrorResult({ abi: contractErrors, data: data.data })
        return `${errorName}(${(args ?? []).map(String).join(', ')})`
      } catch {
        // not one of theirs: the message below
      }
    const e = err as { shortMessage?: string; message?: string }
    return (e.shortMessage ?? e.message ?? String(err)).split('\n')[0]
  }
}

const contractErrors = [
  ...[...outputQuorumAbi, ...verifierStakingAbi].filter((i) => i.type === 'error'),
  ...governanceErrors,
]

function hasData(e: unknown): e is { data: Hex } {
  const d = (e as { data?: unknown }).data
  return typeof d === 'string' && d.startsWith('0x') && d.length >= 10
}
