import {
  encodeFunctionData,
  isAddressEqual,
  parseEther,
  parseEventLogs,
  type Abi,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem'
import { expect } from 'vitest'
import { dacGovernorAbi } from '../../generated/contracts/DacGovernor.js'
import { dacTimelockAbi } from '../../generated/contracts/DacTimelock.js'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import { castVote, execute, propose, queue } from '../../scripts/governance.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { devnetVerifierParams, type VerifierParameters } from '../../scripts/dac-params.js'
import { stakeOperators } from '../../scripts/devnet-verifiers.js'
import {
  devnetSequencingParams,
  type SequencingParameters,
} from '../../scripts/sequencing-params.js'
import {
  A,
  B,
  C,
  D,
  advance,
  d,
  dev,
  edge,
  mined,
  operators,
  relayer,
  staking,
  testClient,
  useStakingDevnet,
  vault,
  type Operator,
} from './verifiers.fixtures.js'

/**
 * Fixtures of the SequencerPool tests (sequencing.contracts, sequencing.challenges and
 * sequencing.rewards): the pool devnet (operators A, B, C bond 100,000, 200,000 and 300,000 EDGE, the
 * first epoch is bootstrapped with them), the pool's views, and its writes as a test drives them: a
 * batch, a skip, a seed (in the epoch's seed window), a challenge, its uphold or dismissal by a
 * Governor proposal, and its expiry. Built on verifiers.fixtures.ts (its
 * anvil, accounts and operators); also `claimRewards`, a VerifierStaking claim with what the vault held.
 */

/**
 * Devnet values, with longer epochs so a test's transactions fit in one, 1 EDGE a block, and a
 * 300 s dispute period (a Governor proposal takes 36 s; an accused may unbond and withdraw, 120 s,
 * before it is upheld).
 */
export const PARAMS: SequencingParameters = {
  ...devnetSequencingParams,
  epochLength: 40n,
  maxSilence: 5n,
  rewardPerBlock: parseEther('1'),
  disputePeriod: 300n,
}
/** Devnet verifier values with a 50 % slash, so "reduced by slashBps" differs from "emptied". */
export const VERIFIERS: VerifierParameters = { ...devnetVerifierParams, slashBps: 5000n }
/** What A, B and C bond. */
export const STAKES = [parseEther('100000'), parseEther('200000'), parseEther('300000')]
/** SequencerPool.Change: why a turn moved. */
export const Change = { Silent: 0, Inactive: 1, Challenged: 2, Equivocated: 3, Stalled: 4 } as const
/** GovernedChallenge.Outcome: how a pool challenge ended. */
export const Outcome = { Open: 0, Upheld: 1, Dismissed: 2, Expired: 3 } as const
export const BATCH = '0x00deadbeef' as Hex

/** The epoch the candidates were bootstrapped in (seeded during itself). */
export let bootEpoch: bigint
/** Shard 901's turn in that epoch before its seed: nobody's. */
export let beforeBootstrap: { sequencer: Address }

/**
 * Registers the pool devnet of a test file (useStakingDevnet, deployed by the key named `name`): A and
 * B stake from dev 9, C from dev 7; with `fundD`, D gets 10 ETH (it stakes only in tests); then the
 * current epoch, which had no candidates yet, is seeded during itself (`bootEpoch`).
 */
export function useSequencingDevnet(name: string, { fundD = false } = {}) {
  useStakingDevnet({
    name,
    deploy: { sequencing: PARAMS, verifiers: VERIFIERS },
    errors: [...sequencerPoolAbi, ...verifierStakingAbi] as Abi,
    setup: async () => {
      const contracts = { token: d.dac.token, staking: d.verifiers.staking }
      // dev 9 holds 500,000 EDGE: A and B from it, C from dev 7.
      await stakeOperators(dev[9], contracts, [A.address], STAKES[0])
      await stakeOperators(dev[9], contracts, [B.address], STAKES[1])
      await stakeOperators(dev[7], contracts, [C.address], STAKES[2])
      if (fundD)
        await mined(await dev[6].sendTransaction({ to: D.address, value: parseEther('10') }))
      // No epoch had candidates: nobody sequences, and the current epoch may be seeded during itself.
      const e = await read.epochAt((await latestBlock()) + 1n)
      beforeBootstrap = await read.turnOf(901n, e)
      const receipt = await mined(await seed(await read.epochAt((await latestBlock()) + 1n)))
      bootEpoch = eventsOf(receipt, 'EpochSeeded')[0].args.epoch
    },
  })
}

export const pool = () => ({ address: d.sequencing.pool, abi: sequencerPoolAbi }) as const

/** The pool's events named `eventName` in a receipt. */
export function eventsOf(receipt: TransactionReceipt, eventName: string) {
  const logs = parseEventLogs({ abi: sequencerPoolAbi, logs: receipt.logs }) as {
    eventName: string
    args: Record<string, any>
  }[]
  return logs.filter((e) => e.eventName === eventName)
}

/** The pool's views (at the latest block). */
export const read = {
  currentEpoch: () => relayer.readContract({ ...pool(), functionName: 'currentEpoch' }),
  epochAt: (b: bigint) => relayer.readContract({ ...pool(), functionName: 'epochAt', args: [b] }),
  epochStart: (e: bigint) =>
    relayer.readContract({ ...pool(), functionName: 'epochStart', args: [e] }),
  seedOf: (e: bigint) => relayer.readContract({ ...pool(), functionName: 'seedOf', args: [e] }),
  candidatesOf: (e: bigint) =>
    relayer.readContract({ ...pool(), functionName: 'candidatesOf', args: [e] }),
  orderOf: (chainId: bigint, e: bigint, blockNumber?: bigint) =>
    relayer.readContract({ ...pool(), functionName: 'orderOf', args: [chainId, e], blockNumber }),
  turnOf: async (chainId: bigint, e: bigint) => {
    const [sequencer, position, since, skippableAt, url] = await relayer.readContract({
      ...pool(),
      functionName: 'turnOf',
      args: [chainId, e],
    })
    return { sequencer, position, since, skippableAt, url }
  },
  shard: async (chainId: bigint) => {
    const [oracle, l2BlockTime, registeredAt, highestL2Block, creditedBlocks] =
      await relayer.readContract({ ...pool(), functionName: 'shards', args: [chainId] })
    return { oracle, l2BlockTime, registeredAt, highestL2Block, creditedBlocks }
  },
  owed: (a: Address) => relayer.readContract({ ...pool(), functionName: 'rewardsOwed', args: [a] }),
}

/** The latest L1 block, uncached (viem caches it for the polling interval; a revert moves it back). */
export const latestBlock = () => relayer.getBlockNumber({ cacheTime: 0 })

/**
 * Seeds `epoch`: for the next epoch, first mines up to its seed block (seedBlockOf) if that is still
 * ahead, so the seeding transaction lands in the seed window; the current one (the bootstrap) at once.
 */
export async function seed(epoch: bigint, by = relayer) {
  if (epoch > (await read.epochAt((await latestBlock()) + 1n)))
    await mineTo(await seedBlockOf(epoch))
  return by.writeContract({ ...pool(), functionName: 'seedEpoch', args: [epoch] })
}
export const seedBlockOf = (e: bigint) =>
  relayer.readContract({ ...pool(), functionName: 'seedBlockOf', args: [e] })
/** `op` posts a batch; its last L1 origin is the latest L1 block unless given. */
export const submit = async (
  op: Operator,
  lastL2Block = 1n,
  chainId = 901n,
  data: Hex = BATCH,
  lastL1Origin?: bigint,
) =>
  op.wallet.writeContract({
    ...pool(),
    functionName: 'submitBatch',
    args: [chainId, lastL2Block, lastL1Origin ?? (await latestBlock()), data],
  })
export const skip = (chainId = 901n) =>
  relayer.writeContract({ ...pool(), functionName: 'skip', args: [chainId] })

export const operatorOf = (a: Address) => operators.find((o) => isAddressEqual(o.address, a))!
export const stakeOf = (op: Operator) => STAKES[[A, B, C].indexOf(op)]

/** Mines until the latest block is the first of the next epoch (so views and transactions agree on it). */
export async function nextEpoch(): Promise<bigint> {
  const latest = await latestBlock()
  const epoch = (await read.epochAt(latest)) + 1n
  const start = await read.epochStart(epoch)
  await testClient.mine({ blocks: Number(start - latest) })
  expect(await read.currentEpoch()).toBe(epoch)
  return epoch
}

/** Mines until the latest block is `n`. */
export async function mineTo(n: bigint) {
  const latest = await latestBlock()
  if (n > latest) await testClient.mine({ blocks: Number(n - latest) })
}

/** `by` challenges shard 901's sequencer; returns the challenge id. */
export async function challenge(by: Operator, reason = 'left deposit 0x01 out past the window') {
  const receipt = await mined(
    await by.wallet.writeContract({
      ...pool(),
      functionName: 'challenge',
      args: [901n, reason],
      value: PARAMS.challengeBond,
    }),
  )
  const [event] = eventsOf(receipt, 'Challenged')
  expect(event.args).toMatchObject({ chainId: 901n, challenger: by.address, reason })
  return event.args.id as bigint
}

/**
 * Passes and executes a Governor proposal calling the pool's `functionName(id)` (uphold or dismiss):
 * dev 0 proposes, dev 0 and dev 1 (1,000,000 EDGE, the 10 % quorum) vote for it, it is queued in the
 * Timelock and executed once its delay passed (L1 time moved forward, a block mined at each stage:
 * the Governor's clock is the timestamp). Returns the execution's receipt.
 */
export async function governChallenge(functionName: 'uphold' | 'dismiss', id: bigint) {
  const governor = d.dac.governor
  const gov = (name: string) =>
    relayer.readContract({
      address: governor,
      abi: dacGovernorAbi,
      functionName: name as 'votingDelay',
    })
  const [delay, period] = [await gov('votingDelay'), await gov('votingPeriod')]
  const minDelay = await relayer.readContract({
    address: d.dac.timelock,
    abi: dacTimelockAbi,
    functionName: 'getMinDelay',
  })
  const data = encodeFunctionData({ abi: sequencerPoolAbi, functionName, args: [id] })
  const actions = [{ target: d.sequencing.pool, data }]
  const { proposalId } = await propose(
    dev[0],
    governor,
    actions,
    `${functionName} pool challenge ${id}`,
  )
  await advance(BigInt(delay) + 1n)
  for (const voter of dev.slice(0, 2)) await castVote(voter, governor, proposalId, 'for')
  await advance(BigInt(period) + 1n)
  await queue(dev[0], governor, proposalId)
  await advance(minDelay + 1n)
  const hash = await execute(dev[0], governor, proposalId)
  return relayer.waitForTransactionReceipt({ hash })
}

/** Waits out challenge `id`'s dispute period and resolves it (dev 3, a bystander); returns the receipt. */
export async function resolve(id: bigint) {
  await advance(PARAMS.disputePeriod)
  return mined(await dev[3].writeContract({ ...pool(), functionName: 'resolve', args: [id] }))
}

/** `op` claims its VerifierStaking rewards; returns the EDGE it received and the vault's state then. */
export async function claimRewards(op: Operator) {
  const before = await edge(op.address)
  const receipt = await mined(
    await op.wallet.writeContract({ ...staking(), functionName: 'claimRewards' }),
  )
  const { timestamp } = await relayer.getBlock({ blockNumber: receipt.blockNumber })
  const released = await relayer.readContract({ ...vault(), functionName: 'released' })
  const vested = await relayer.readContract({
    ...vault(),
    functionName: 'vestedAmount',
    args: [timestamp],
  })
  return { paid: (await edge(op.address)) - before, released, vested }
}
