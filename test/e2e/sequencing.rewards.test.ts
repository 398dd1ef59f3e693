import { isAddressEqual, parseEther, parseEventLogs } from 'viem'
import { describe, expect, test } from 'vitest'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { timelockWallet } from './l1.fixtures.js'
import {
  Outcome,
  PARAMS,
  challenge,
  claimRewards as claim,
  eventsOf,
  governChallenge,
  mineTo,
  nextEpoch,
  operatorOf,
  pool,
  read,
  resolve,
  skip,
  submit,
  useSequencingDevnet,
} from './sequencing.fixtures.js'
import {
  A,
  B,
  C,
  advance,
  chain,
  d,
  dev,
  expectError,
  mined,
  now,
  operators,
  owed,
  relayer,
  staking,
  testClient,
  vault,
  type Operator,
} from './verifiers.fixtures.js'

/**
 * SequencerPool's mining reward (issue 13: the sequencer of an epoch earns a mining reward per batched
 * block from the vault; contracts/L1/sequencing/SequencerRewards.sol) on anvil: the credit per
 * batched L2 block, capped by time; `payout` to VerifierStaking once the epoch is over and no
 * challenge opened in it against the sequencer is open; the claim from the mining vault; and the
 * attacks on it: the current epoch, a second payout, a payout during a challenge, a forfeited or
 * paid credit, a credit from anyone but the pool. The devnet of sequencing.fixtures.ts: A, B, C bond
 * 100,000, 200,000 and 300,000 EDGE, the first epoch is bootstrapped with them, every test starts from
 * that state (an anvil snapshot); automine, so eth_estimateGas runs in the latest block + 1.
 */

useSequencingDevnet('sequencing rewards')

// ---------------------------------------------------------------------------------------- helpers

const holderOf = async (e: bigint, chainId = 901n) =>
  operatorOf((await read.turnOf(chainId, e)).sequencer)
/** The pool's credit of `op` not yet paid out or forfeited, in all and in shard 901's epoch `e`. */
const poolOwed = (op: Operator) => read.owed(op.address)
const earnedIn = (e: bigint, op: Operator) =>
  relayer.readContract({ ...pool(), functionName: 'earnedIn', args: [901n, e, op.address] })
const totalCredited = () => relayer.readContract({ ...pool(), functionName: 'totalCredited' })

/** Skips shard 901's silent holders of epoch `e` until `op` holds the turn. */
async function turnTo(op: Operator, e: bigint) {
  for (
    let i = 0;
    i < operators.length && !isAddressEqual((await holderOf(e)).address, op.address);
    i++
  ) {
    await mineTo((await read.turnOf(901n, e)).skippableAt)
    await mined(await skip())
  }
  expect((await holderOf(e)).address).toBe(op.address)
}

const payout = (e: bigint, op: Operator, by = dev[3]) =>
  by.writeContract({ ...pool(), functionName: 'payout', args: [901n, e, op.address] })

/**
 * Starts the next epoch; 30 s in, shard 901's holder batches its first `blocks` blocks. Returns the
 * epoch, the holder and its credit.
 */
async function batchedEpoch(blocks: bigint) {
  const e = await nextEpoch()
  const holder = await holderOf(e)
  await testClient.increaseTime({ seconds: 30 })
  await mined(await submit(holder, blocks))
  return { e, holder, credit: blocks * PARAMS.rewardPerBlock }
}

/**
 * `batchedEpoch`, then another operator challenges the holder; once the next epoch starts the payout
 * is held (`ChallengePending`). Returns the epoch, the holder, its credit and the challenge id.
 */
async function challengedEpoch(blocks: bigint) {
  const { e, holder, credit } = await batchedEpoch(blocks)
  const id = await challenge([A, B, C].find((o) => o !== holder)!)
  await nextEpoch()
  await expectError(payout(e, holder), 'ChallengePending', [id])
  return { e, holder, credit, id }
}

/** Upheld: a Governor proposal upholds `id`; not upheld: it expires and dev 3 resolves it. Returns the receipt. */
async function settle(id: bigint, upheld: boolean) {
  return upheld ? governChallenge('uphold', id) : resolve(id)
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
    const shard = () => read.shard(901n)
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
    const { e, holder, credit } = await batchedEpoch(5n)
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
    const { e, holder: accused, id, credit } = await challengedEpoch(20n)
    const receipt = await settle(id, true)
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
    const { e, holder, id, credit } = await challengedEpoch(5n)
    const receipt = await settle(id, false)
    expect(eventsOf(receipt, 'ChallengeResolved')[0].args.outcome).toBe(Outcome.Expired)
    await mined(await payout(e, holder))
    expect(await owed(holder)).toBe(credit)
  })

  test('behavior: a paid credit is never forfeited: a later upheld challenge takes only its own epoch', async () => {
    const { e, holder: seq, credit: paid } = await batchedEpoch(10n)

    // Next epoch: the same sequencer holds the turn again, earns more, and is challenged. The open
    // challenge names this epoch, so the last one's credit is paid out all the same.
    const next = await nextEpoch()
    await turnTo(seq, next)
    // 30 s of its own turn: a turn is credited only for its own time (a handover may have just happened).
    await testClient.increaseTime({ seconds: 30 })
    await mined(await submit(seq, 15n))
    const later = 5n * PARAMS.rewardPerBlock
    const challenger = [A, B, C].find((o) => o !== seq)!
    const id = await challenge(challenger)
    await mined(await payout(e, seq))
    await expectError(payout(next, seq), 'EpochNotOver', [next, next])
    expect(await owed(seq)).toBe(paid)
    expect(await poolOwed(seq)).toBe(later)

    // Upheld: the challenged epoch's credit goes, the paid one stays owed in VerifierStaking.
    const receipt = await settle(id, true)
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
