import { keccak256, toHex } from 'viem'
import { describe, expect, test } from 'vitest'
import {
  A,
  B,
  C,
  D,
  PARAMS,
  SLASH,
  STAKE,
  Status,
  accept,
  activeStake,
  advance,
  attest,
  attestTx,
  candidate,
  d,
  dev,
  domain,
  edge,
  expectError,
  honestRoot,
  mined,
  nextBlock,
  quorum,
  relayer,
  sign,
  staking,
  token,
  useOutputQuorumDevnet,
  verifierOf,
  type Operator,
} from './verifiers.fixtures.js'

/**
 * VerifierStaking on anvil (DESIGN.md "Trust model", invariant 8): jailing after maxMissed outputs
 * missed in a row, unjail, minStake (to enter, and to stay active), unbonding out of the active set at once with the withdrawal
 * after the delay, and unbonding stake still slashable. D stakes only here, from dev 9.
 */
useOutputQuorumDevnet()

describe('VerifierStaking jailing', () => {
  test('default: maxMissed outputs missed in a row jail; unjail restores', async () => {
    for (let i = 1n; i <= PARAMS.maxMissed; i++) {
      await accept(honestRoot(await nextBlock()), [A, B])
      expect(await verifierOf(C)).toMatchObject({
        missed: i,
        status: i < PARAMS.maxMissed ? Status.Active : Status.Jailed,
      })
    }
    expect(await activeStake()).toBe(2n * STAKE)
    // Who signs is judged at the block's reference time (1 s before its first signature): a second
    // after the jailing, C had no stake then.
    await advance(1n)
    const l2BlockNumber = await nextBlock()
    const root = honestRoot(l2BlockNumber)
    await expectError(attestTx(l2BlockNumber, root, [C]), 'NotActiveVerifier', [C.address])
    await expectError(
      C.wallet.writeContract({
        ...quorum(),
        functionName: 'challenge',
        args: [domain.oracle, l2BlockNumber, root],
        value: PARAMS.challengeBond,
      }),
      'NotActiveVerifier',
      [C.address],
    )
    await expectError(A.wallet.writeContract({ ...staking(), functionName: 'unjail' }), 'NotJailed')

    await mined(await C.wallet.writeContract({ ...staking(), functionName: 'unjail' }))
    expect(await verifierOf(C)).toMatchObject({ missed: 0n, status: Status.Active, bonded: STAKE })
    expect(await activeStake()).toBe(3n * STAKE)
    // Its stake counts from the next second on (a block's reference time is 1 s before its first signature).
    await advance(1n)
    await attest(l2BlockNumber, root, [C])
    expect((await candidate(l2BlockNumber, root)).signedStake).toBe(STAKE)
  })

  test('behavior: a verifier that signs late in between is not jailed', async () => {
    for (let i = 2n; i < PARAMS.maxMissed; i++) await accept(honestRoot(await nextBlock()), [A, B])
    const last = await accept(honestRoot(await nextBlock()), [A, B])
    expect((await verifierOf(C)).missed).toBe(PARAMS.maxMissed - 1n)
    // Late, before that output is final: C's run of missed outputs ends.
    await attest(last.l2BlockNumber, honestRoot(last.l2BlockNumber), [C])
    expect((await verifierOf(C)).missed).toBe(0n)
    for (let i = 1n; i < PARAMS.maxMissed; i++) await accept(honestRoot(await nextBlock()), [A, B])
    expect(await verifierOf(C)).toMatchObject({
      missed: PARAMS.maxMissed - 1n,
      status: Status.Active,
    })
  })
})

describe('VerifierStaking stake', () => {
  const stakeTx = async (op: Operator, amount: bigint) => {
    await mined(
      await dev[9].writeContract({
        ...token(),
        functionName: 'approve',
        args: [d.verifiers.staking, amount],
      }),
    )
    return dev[9].writeContract({ ...staking(), functionName: 'stake', args: [op.address, amount] })
  }
  const stake = async (op: Operator, amount: bigint) => mined(await stakeTx(op, amount))
  const isActive = (op: Operator) =>
    relayer.readContract({ ...staking(), functionName: 'isActive', args: [op.address] })

  test('default: a newcomer below minStake is refused; at minStake it is active; a member below it is not', async () => {
    await expectError(stakeTx(D, PARAMS.minStake - 1n), 'BelowMinStake', [
      PARAMS.minStake - 1n,
      PARAMS.minStake,
    ])
    expect(await isActive(D)).toBe(false)
    expect(await activeStake()).toBe(3n * STAKE)
    await stake(D, PARAMS.minStake)
    expect(await isActive(D)).toBe(true)
    expect(await verifierOf(D)).toMatchObject({ bonded: PARAMS.minStake, status: Status.Active })
    expect(await activeStake()).toBe(3n * STAKE + PARAMS.minStake)
    // A member that drops below minStake stays listed but is not active; topping up restores it.
    await mined(await D.wallet.writeContract({ ...staking(), functionName: 'unbond', args: [1n] }))
    expect(await isActive(D)).toBe(false)
    expect(await verifierOf(D)).toMatchObject({
      bonded: PARAMS.minStake - 1n,
      unbonding: 1n,
      status: Status.Inactive,
    })
    expect(await activeStake()).toBe(3n * STAKE)
    const l2BlockNumber = await nextBlock()
    await expectError(
      attestTx(l2BlockNumber, honestRoot(l2BlockNumber), [D]),
      'NotActiveVerifier',
      [D.address],
    )
    await stake(D, 1n)
    expect(await isActive(D)).toBe(true)
    expect(await activeStake()).toBe(3n * STAKE + PARAMS.minStake)
  })

  test('behavior: unbond leaves the active set at once; withdraw waits for the delay', async () => {
    const unbond = (amount: bigint) =>
      A.wallet.writeContract({ ...staking(), functionName: 'unbond', args: [amount] })
    const withdraw = () => A.wallet.writeContract({ ...staking(), functionName: 'withdraw' })
    await expectError(withdraw(), 'NothingToWithdraw')
    await expectError(unbond(0n), 'ZeroAmount')
    await expectError(unbond(STAKE + 1n), 'InsufficientBond', [STAKE])
    const part = STAKE - PARAMS.minStake + 1n // leaves A below minStake
    const receipt = await mined(await unbond(part))
    const { timestamp } = await relayer.getBlock({ blockNumber: receipt.blockNumber })
    expect(await isActive(A)).toBe(false)
    expect(await verifierOf(A)).toMatchObject({
      bonded: PARAMS.minStake - 1n,
      unbonding: part,
      status: Status.Inactive,
    })
    expect(await activeStake()).toBe(2n * STAKE)
    await advance(1n) // a reference time after the unbonding (signers are judged there)
    const l2BlockNumber = await nextBlock()
    await expectError(
      attestTx(l2BlockNumber, honestRoot(l2BlockNumber), [A]),
      'NotActiveVerifier',
      [A.address],
    )

    await expectError(withdraw(), 'NotUnbonded', [timestamp + PARAMS.unbondingDelay])
    await advance(PARAMS.unbondingDelay - 10n)
    await expectError(withdraw(), 'NotUnbonded', [timestamp + PARAMS.unbondingDelay])
    await advance(10n)
    const before = await edge(A.address)
    await mined(await withdraw())
    expect((await edge(A.address)) - before).toBe(part)
    expect(await verifierOf(A)).toMatchObject({ bonded: PARAMS.minStake - 1n, unbonding: 0n })
    await expectError(withdraw(), 'NothingToWithdraw')
  })

  test('behavior: unbonding stake is still slashable', async () => {
    await mined(
      await A.wallet.writeContract({ ...staking(), functionName: 'unbond', args: [STAKE] }),
    )
    expect(await verifierOf(A)).toMatchObject({
      bonded: 0n,
      unbonding: STAKE,
      status: Status.Inactive,
    })
    // A equivocated while it was staked; the report comes after it unbonded everything.
    const l2BlockNumber = await nextBlock()
    const [x, y] = [keccak256(toHex('unbonding x')), keccak256(toHex('unbonding y'))]
    await mined(
      await dev[4].writeContract({
        ...quorum(),
        functionName: 'slashEquivocation',
        args: [
          domain.oracle,
          l2BlockNumber,
          x,
          await sign(A, l2BlockNumber, x),
          y,
          await sign(A, l2BlockNumber, y),
        ],
      }),
    )
    expect(await verifierOf(A)).toMatchObject({
      bonded: 0n,
      unbonding: STAKE - SLASH,
      status: Status.Jailed,
    })
    await advance(PARAMS.unbondingDelay)
    const before = await edge(A.address)
    await mined(await A.wallet.writeContract({ ...staking(), functionName: 'withdraw' }))
    expect((await edge(A.address)) - before).toBe(STAKE - SLASH)
  })
})
