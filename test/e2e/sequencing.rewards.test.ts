import {
  isAddressEqual,
  parseEther,
  parseEventLogs,
  type Abi,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { devnetVerifierParams, type VerifierParameters } from '../../scripts/dac-params.js'
import { stakeOperators } from '../../scripts/devnet-verifiers.js'
import {
  devnetSequencingParams,
  type SequencingParameters,
} from '../../scripts/sequencing-params.js'
import { timelockWallet } from './l1.fixtures.js'
import {
  A,
  B,
  C,
  advance,
  chain,
  d,
  dev,
  edge,
  expectError,
  mined,
  now,
  operators,
  owed,
  relayer,
  staking,
  testClient,
  useStakingDevnet,
  vault,
  type Operator,
} from './verifiers.fixtures.js'

/**
 * SequencerPool's mining reward (issue 13: the sequencer of an epoch earns a mining reward per batched
 * block from the vault; contracts/L1/sequencing/SequencerRewards.sol) on anvil: the credit per
 * batched L2 block, capped by time; `payout` to VerifierStaking once the epoch is over and no
 * challenge opened in it against the sequencer is open; the claim from the mining vault; and the
 * attacks on it: the current epoch, a second payout, a payout during a challenge, a forfeited or
 * paid credit, a credit from anyone but the pool. The devnet of sequencing.contracts.test.ts: A, B, C
 * bond 100,000, 200,000 and 300,000 EDGE, the first epoch is bootstrapped with them, every test starts
 * from that state (an anvil snapshot); automine, so eth_estimateGas runs in the latest block + 1.
 */

/** Devnet values, with longer epochs so a test's transactions fit in one, and 1 EDGE a block. */
const PARAMS: SequencingParameters = {
  ...devnetSequencingParams,
  epochLength: 40n,
  maxSilence: 5n,
  rewardPerBlock: parseEther('1'),
}
const VERIFIERS: VerifierParameters = { ...devnetVerifierParams, slashBps: 5000n }
const STAKES = [parseEther('100000'), parseEther('200000'), parseEther('300000')]
const Outcome = { Open: 0, Upheld: 1, Rejected: 2, NoQuorum: 3 } as const
const BATCH = '0x00deadbeef' as Hex

const pool = () => ({ address: d.sequencing.pool, abi: sequencerPoolAbi }) as const

useStakingDevnet({
  name: 'sequencing rewards',
  deploy: { sequencing: PARAMS, verifiers: VERIFIERS },
  errors: [...sequencerPoolAbi, ...verifierStakingAbi] as Abi,
  setup: async () => {
    const contracts = { token: d.dac.token, staking: d.verifiers.staking }
    await stakeOperators(dev[9], contracts, [A.address], STAKES[0])
    await stakeOperators(dev[9], contracts, [B.address], STAKES[1])
    await stakeOperators(dev[7], contracts, [C.address], STAKES[2])
    // No epoch had candidates yet: the current one is seeded during itself.
    const e = await epochAt((await latestBlock()) + 1n)
    await mined(await relayer.writeContract({ ...pool(), functionName: 'seedEpoch', args: [e] }))
  },
})

// ---------------------------------------------------------------------------------------- helpers

/** The pool's events named `eventName` in a receipt. */
function eventsOf(receipt: TransactionReceipt, eventName: string) {
  const logs = parseEventLogs({ abi: sequencerPoolAbi, logs: receipt.logs }) as {
    eventName: string
    args: Record<string, any>
  }[]
  return logs.filter((e) => e.eventName === eventName)
}

const latestBlock = () => relayer.getBlockNumber({ cacheTime: 0 })
const epochAt = (b: bigint) =>
  relayer.readContract({ ...pool(), functionName: 'epochAt', args: [b] })
const currentEpoch = () => relayer.readContract({ ...pool(), functionName: 'currentEpoch' })
const holderOf = async (e: bigint, chainId = 901n) =>
  operatorOf(
    await relayer.readContract({ ...pool(), functionName: 'sequencerOf', args: [chainId, e] }),
  )
const operatorOf = (a: Address) => operators.find((o) => isAddressEqual(o.address, a))!
/** The pool's credit of `op` not yet paid out or forfeited, in all and in shard 901's epoch `e`. */
const poolOwed = (op: Operator) =>
  relayer.readContract({ ...pool(), functionName: 'rewardsOwed', args: [op.address] })
const earnedIn = (e: bigint, op: Operator) =>
  relayer.readContract({ ...pool(), functionName: 'earnedIn', args: [901n, e, op.address] })
const totalCredited = () => relayer.readContract({ ...pool(), functionName: 'totalCredited' })

/** Mines until the latest block is the first of the next epoch (so views and transactions agree on it). */
async function nextEpoch(): Promise<bigint> {
  const latest = await latestBlock()
  const epoch = (await epochAt(latest)) + 1n
  const start = await relayer.readContract({ ...pool(), functionName: 'epochStart', args: [epoch] })
  await testClient.mine({ blocks: Number(start - latest) })
  expect(await currentEpoch()).toBe(epoch)
  return epoch
}

/** `op` posts a batch of shard 901 ending at L2 block `lastL2Block`, its L1 origin the latest block. */
const submit = async (op: Operator, lastL2Block: bigint) =>
  op.wallet.writeContract({
    ...pool(),
    functionName: 'submitBatch',
    args: [901n, lastL2Block, await latestBlock(), BATCH],
  })

/** Skips shard 901's silent holders of epoch `e` until `op` holds the turn. */
async function turnTo(op: Operator, e: bigint) {
  for (
    let i = 0;
    i < operators.length && !isAddressEqual((await holderOf(e)).address, op.address);
    i++
  ) {
    const [, , , skippableAt] = await relayer.readContract({
      ...pool(),
      functionName: 'turnOf',
      args: [901n, e],
    })
    const latest = await latestBlock()
    if (skippableAt > latest) await testClient.mine({ blocks: Number(skippableAt - latest) })
    await mined(await relayer.writeContract({ ...pool(), functionName: 'skip', args: [901n] }))
  }
  expect((await holderOf(e)).address).toBe(op.address)
}

const payout = (e: bigint, op: Operator, by = dev[3]) =>
  by.writeContract({ ...pool(), functionName: 'payout', args: [901n, e, op.address] })

/** `by` challenges shard 901's holder; returns the challenge id. */
async function challenge(by: Operator) {
  const receipt = await mined(
    await by.wallet.writeContract({
      ...pool(),
      functionName: 'challenge',
      args: [901n, 'left deposit 0x01 out past the window'],
      value: PARAMS.challengeBond,
    }),
  )
  return eventsOf(receipt, 'Challenged')[0].args.id as bigint
}

/** Dev 0 and 1 (the vote quorum) vote on `id`, the vote is waited out, dev 3 resolves it. */
async function voteAndResolve(id: bigint, support: boolean, voters = dev.slice(0, 2)) {
  for (const voter of voters)
    await mined(await voter.writeContract({ ...pool(), functionName: 'vote', args: [id, support] }))
  await advance(PARAMS.resolutionPeriod)
  return mined(await dev[3].writeContract({ ...pool(), functionName: 'resolve', args: [id] }))
}

/** `op` claims its VerifierStaking rewards; returns the EDGE it received and the vault's state then. */
async function claim(op: Operator) {
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

// ---------------------------------------------------------------------------------------- tests

describe('SequencerPool rewards', () => {
  test('default: after its epoch anyone pays the credit out to VerifierStaking, and the sequencer claims it from the vault', async () => {
    const e = await nextEpoch()
    const holder = await holderOf(e)
    await testClient.increaseTime({ seconds: 100 })
    const credit = 10n * PARAMS.rewardPerBlock
    expect(eventsOf(await mined(await submit(holder, 10n)), 'RewardCredited')[0].args.amount).toBe(
      credit,
    )
    expect(await earnedIn(e, holder)).toBe(credit)

    await nextEpoch()
    // dev 3, a bystander, pays it out; it lands on the sequencer's VerifierStaking account.
    const receipt = await mined(await payout(e, holder))
    expect(eventsOf(receipt, 'RewardPaid')[0].args).toEqual({
      sequencer: holder.address,
      chainId: 901n,
      epoch: e,
      amount: credit,
    })
    expect(
      parseEventLogs({
        abi: verifierStakingAbi,
        logs: receipt.logs,
        eventName: 'RewardCredited',
      }).map((l) => l.args),
    ).toEqual([{ verifier: holder.address, amount: credit }])
    expect(await earnedIn(e, holder)).toBe(0n)
    expect(await poolOwed(holder)).toBe(0n)
    expect(await totalCredited()).toBe(0n)
    expect(await owed(holder)).toBe(credit)
    expect(await relayer.readContract({ ...staking(), functionName: 'totalOwed' })).toBe(credit)

    // The reserve is empty and the vault has vested less than the credit (~0.016 EDGE a second):
    // the first claim pays what vested, the rest stays owed; later the rest, exactly.
    expect(await relayer.readContract({ ...staking(), functionName: 'rewardReserve' })).toBe(0n)
    expect(
      await relayer.readContract({ ...vault(), functionName: 'vestedAmount', args: [await now()] }),
    ).toBeLessThan(credit)
    const early = await claim(holder)
    expect(early.released).toBe(early.vested)
    expect(early.paid).toBe(early.vested)
    expect(await owed(holder)).toBe(credit - early.paid)
    await advance(1_000n)
    const rest = await claim(holder)
    expect(rest.paid).toBe(credit - early.paid)
    expect(early.paid + rest.paid).toBe(credit)
    expect(await owed(holder)).toBe(0n)
    await expectError(
      holder.wallet.writeContract({ ...staking(), functionName: 'claimRewards' }),
      'ZeroAmount',
    )
  })

  test('behavior: the sequencer is credited per batched L2 block, never past one block per L2 block time', async () => {
    const e = await nextEpoch()
    const holder = await holderOf(e)
    const shard = async () => {
      const [, , registeredAt, highestL2Block, creditedBlocks] = await relayer.readContract({
        ...pool(),
        functionName: 'shards',
        args: [901n],
      })
      return { registeredAt, highestL2Block, creditedBlocks }
    }
    const { registeredAt } = await shard()
    await testClient.increaseTime({ seconds: 100 })
    let receipt = await mined(await submit(holder, 10n))
    expect(eventsOf(receipt, 'RewardCredited')[0].args).toEqual({
      sequencer: holder.address,
      chainId: 901n,
      epoch: e,
      blocks: 10n,
      amount: 10n * PARAMS.rewardPerBlock,
    })
    // Blocks already credited earn nothing again.
    receipt = await mined(await submit(holder, 10n))
    expect(eventsOf(receipt, 'RewardCredited')).toEqual([])
    receipt = await mined(await submit(holder, 4n))
    expect(eventsOf(receipt, 'RewardCredited')).toEqual([])
    // A claim far ahead is capped at the blocks time allows since the shard's registration.
    receipt = await mined(await submit(holder, 10n ** 12n))
    const { timestamp } = await relayer.getBlock({ blockNumber: receipt.blockNumber })
    const allowed = timestamp - registeredAt
    expect(eventsOf(receipt, 'RewardCredited')[0].args.blocks).toBe(allowed - 10n)
    expect(await shard()).toMatchObject({ highestL2Block: allowed, creditedBlocks: allowed })
    expect(await poolOwed(holder)).toBe(allowed * PARAMS.rewardPerBlock)
    expect(await totalCredited()).toBe(allowed * PARAMS.rewardPerBlock)
    expect(await earnedIn(e, holder)).toBe(allowed * PARAMS.rewardPerBlock)
  })

  test('behavior: no payout of the current or a later epoch, none twice, none of nothing', async () => {
    const e = await nextEpoch()
    const holder = await holderOf(e)
    await testClient.increaseTime({ seconds: 30 })
    await mined(await submit(holder, 5n))
    const credit = 5n * PARAMS.rewardPerBlock
    // The epoch is not over: a challenge may still name it.
    await expectError(payout(e, holder), 'EpochNotOver', [e, e])
    await expectError(payout(e + 1n, holder), 'EpochNotOver', [e + 1n, e])
    await expectError(payout(e, holder, holder.wallet), 'EpochNotOver', [e, e])
    expect(await owed(holder)).toBe(0n)

    await nextEpoch()
    // Nothing to pay: another operator, another shard, an epoch without batches.
    const other = [A, B, C].find((o) => o !== holder)!
    await expectError(payout(e, other), 'NothingToPay', [901n, e, other.address])
    await expectError(
      dev[3].writeContract({ ...pool(), functionName: 'payout', args: [902n, e, holder.address] }),
      'NothingToPay',
      [902n, e, holder.address],
    )
    await expectError(payout(e - 1n, holder), 'NothingToPay', [901n, e - 1n, holder.address])

    await mined(await payout(e, holder, holder.wallet))
    await expectError(payout(e, holder), 'NothingToPay', [901n, e, holder.address])
    expect(await owed(holder)).toBe(credit)
    expect(await poolOwed(holder)).toBe(0n)
  })

  test('behavior: a challenge opened in the epoch holds its payout; upheld, it forfeits the credit and nothing is paid', async () => {
    const e = await nextEpoch()
    const accused = await holderOf(e)
    const challenger = [A, B, C].find((o) => o !== accused)!
    await testClient.increaseTime({ seconds: 30 })
    await mined(await submit(accused, 20n))
    const credit = 20n * PARAMS.rewardPerBlock
    const id = await challenge(challenger)

    await nextEpoch()
    await expectError(payout(e, accused), 'ChallengePending', [id])
    const receipt = await voteAndResolve(id, true)
    expect(eventsOf(receipt, 'ChallengeResolved')[0].args.outcome).toBe(Outcome.Upheld)
    expect(eventsOf(receipt, 'RewardForfeited')[0].args).toEqual({
      sequencer: accused.address,
      chainId: 901n,
      epoch: e,
      amount: credit,
    })
    await expectError(payout(e, accused), 'NothingToPay', [901n, e, accused.address])
    expect(await poolOwed(accused)).toBe(0n)
    expect(await totalCredited()).toBe(0n)
    expect(await owed(accused)).toBe(0n)
  })

  test('behavior: a challenge that is not upheld releases the payout', async () => {
    const e = await nextEpoch()
    const holder = await holderOf(e)
    const challenger = [A, B, C].find((o) => o !== holder)!
    await testClient.increaseTime({ seconds: 30 })
    await mined(await submit(holder, 5n))
    const id = await challenge(challenger)
    await nextEpoch()
    await expectError(payout(e, holder), 'ChallengePending', [id])
    const receipt = await voteAndResolve(id, false)
    expect(eventsOf(receipt, 'ChallengeResolved')[0].args.outcome).toBe(Outcome.Rejected)
    await mined(await payout(e, holder))
    expect(await owed(holder)).toBe(5n * PARAMS.rewardPerBlock)
  })

  test('behavior: a paid credit is never forfeited: a later upheld challenge takes only its own epoch', async () => {
    const e = await nextEpoch()
    const seq = await holderOf(e)
    await testClient.increaseTime({ seconds: 30 })
    await mined(await submit(seq, 10n))
    const paid = 10n * PARAMS.rewardPerBlock

    // Next epoch: the same sequencer holds the turn again, earns more, and is challenged. The open
    // challenge names this epoch, so the last one's credit is paid out all the same.
    const next = await nextEpoch()
    await turnTo(seq, next)
    await mined(await submit(seq, 15n))
    const later = 5n * PARAMS.rewardPerBlock
    const challenger = [A, B, C].find((o) => o !== seq)!
    const id = await challenge(challenger)
    await mined(await payout(e, seq))
    await expectError(payout(next, seq), 'EpochNotOver', [next, next])
    expect(await owed(seq)).toBe(paid)
    expect(await poolOwed(seq)).toBe(later)

    // Upheld: the challenged epoch's credit goes, the paid one stays owed in VerifierStaking.
    const receipt = await voteAndResolve(id, true)
    expect(eventsOf(receipt, 'ChallengeResolved')[0].args.outcome).toBe(Outcome.Upheld)
    expect(eventsOf(receipt, 'RewardForfeited').map((l) => l.args)).toEqual([
      { sequencer: seq.address, chainId: 901n, epoch: next, amount: later },
    ])
    expect(await poolOwed(seq)).toBe(0n)
    expect(await totalCredited()).toBe(0n)
    expect(await owed(seq)).toBe(paid)
    await nextEpoch()
    await expectError(payout(next, seq), 'NothingToPay', [901n, next, seq.address])
    expect(await owed(seq)).toBe(paid)
  })

  test('behavior: only the pool credits sequencers in VerifierStaking', async () => {
    const timelock = await timelockWallet(chain, d.dac.timelock)
    for (const wallet of [dev[0], dev[3], dev[9], timelock, A.wallet])
      await expectError(
        wallet.writeContract({
          ...staking(),
          functionName: 'creditSequencer',
          args: [wallet.account.address, parseEther('1')],
        }),
        'NotPool',
        [wallet.account.address],
      )
    expect(await relayer.readContract({ ...staking(), functionName: 'POOL' })).toBe(
      d.sequencing.pool,
    )
    expect(await relayer.readContract({ ...staking(), functionName: 'totalOwed' })).toBe(0n)
  })
})
