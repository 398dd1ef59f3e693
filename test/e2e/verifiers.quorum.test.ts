import { describe, expect, test } from 'vitest'
import { outputDigest } from '../../shared/verifiers/attestation.js'
import { claimRewards } from './sequencing.fixtures.js'
import {
  A,
  B,
  C,
  PARAMS,
  STAKE,
  accept,
  acceptedIn,
  activeStake,
  advance,
  attest,
  candidate,
  domain,
  expectError,
  honestRoot,
  mined,
  nextBlock,
  nextIndex,
  now,
  outputAt,
  owed,
  quorum,
  relayer,
  staking,
  useOutputQuorumDevnet,
  vault,
  verifierOf,
  type Operator,
} from './verifiers.fixtures.js'

/**
 * How an output enters the oracle through the OutputQuorum on anvil (DESIGN.md "Trust model",
 * invariant 8): at once with signatures of ≥ 2/3 of the active stake (the fast path), crediting its
 * signers the rewards the vault pays as it vests; or with fewer after the long window (the long path,
 * which credits and costs nothing).
 * Operators A, B, C bond 100,000 EDGE each; each test starts from that state (useOutputQuorumDevnet).
 */
useOutputQuorumDevnet()

describe('OutputQuorum fast path', () => {
  test('default', async () => {
    const l2BlockNumber = await nextBlock()
    const root = honestRoot(l2BlockNumber)
    const index = await nextIndex()
    expect(await activeStake()).toBe(3n * STAKE)
    // The digest the operators sign is the contract's.
    expect(
      await relayer.readContract({
        ...quorum(),
        functionName: 'outputDigest',
        args: [domain.oracle, l2BlockNumber, root],
      }),
    ).toBe(outputDigest(domain, { l2BlockNumber, outputRoot: root }))

    // One third: recorded, not proposed.
    const first = await attest(l2BlockNumber, root, [A])
    expect(acceptedIn(first)).toEqual([])
    expect(await nextIndex()).toBe(index)
    const one = await candidate(l2BlockNumber, root)
    expect(one.signers).toEqual([A.address])
    expect(one.signedStake).toBe(STAKE)
    expect(one.active).toBe(3n * STAKE)

    // Two thirds: in the oracle at once.
    const second = await attest(l2BlockNumber, root, [B])
    const [event] = acceptedIn(second)
    expect(event.args).toEqual({
      oracle: domain.oracle,
      l2OutputIndex: index,
      l2BlockNumber,
      outputRoot: root,
      quorum: true,
      signedStake: 2n * STAKE,
      activeStake: 3n * STAKE,
    })
    expect(await nextIndex()).toBe(index + 1n)
    expect(await outputAt(index)).toMatchObject({ outputRoot: root, l2BlockNumber })
    const share = (PARAMS.rewardPerOutput * STAKE) / (3n * STAKE)
    expect(await owed(A)).toBe(share)
    expect(await owed(B)).toBe(share)
    expect(await owed(C)).toBe(0n)
    expect((await verifierOf(C)).missed).toBe(1n)

    // The third, late (before the output is final): credited too, its missed run ended; nothing proposed.
    const late = await attest(l2BlockNumber, root, [C])
    expect(acceptedIn(late)).toEqual([])
    expect(await nextIndex()).toBe(index + 1n)
    expect(await owed(C)).toBe(share)
    expect((await verifierOf(C)).missed).toBe(0n)
    // A signature sent again is skipped, not credited twice.
    await attest(l2BlockNumber, root, [A, B, C])
    for (const op of [A, B, C]) expect(await owed(op)).toBe(share)
    expect((await candidate(l2BlockNumber, root)).signers).toEqual([
      A.address,
      B.address,
      C.address,
    ])
  })

  test('behavior: claimRewards pays what is owed from the vault, never beyond what has vested', async () => {
    const l2BlockNumber = await nextBlock()
    await accept(honestRoot(l2BlockNumber), [A, B, C])
    const share = PARAMS.rewardPerOutput / 3n
    expect(await owed(A)).toBe(share)

    const claim = async (op: Operator) => {
      const claimed = await claimRewards(op)
      expect(claimed.released).toBeLessThanOrEqual(claimed.vested)
      return claimed
    }

    // Right after the deployment the vault has vested less than a share (~0.016 EDGE a second):
    // A is paid all that has vested, the rest stays owed.
    const vestedNow = await relayer.readContract({
      ...vault(),
      functionName: 'vestedAmount',
      args: [await now()],
    })
    expect(vestedNow).toBeLessThan(share)
    const early = await claim(A)
    expect(early.released).toBe(early.vested)
    expect(early.paid).toBe(early.vested)
    expect(await owed(A)).toBe(share - early.paid)

    // Later: the rest, exactly; then B's whole share from what that release left over.
    await advance(600n)
    const rest = await claim(A)
    expect(rest.paid).toBe(share - early.paid)
    expect(rest.released).toBe(rest.vested)
    expect(await owed(A)).toBe(0n)
    const b = await claim(B)
    expect(b.paid).toBe(share)
    expect(b.released).toBe(rest.released)
    expect(await owed(B)).toBe(0n)
    await expectError(
      A.wallet.writeContract({ ...staking(), functionName: 'claimRewards' }),
      'ZeroAmount',
    )
  })
})

describe('OutputQuorum long path', () => {
  test('default', async () => {
    const l2BlockNumber = await nextBlock()
    const root = honestRoot(l2BlockNumber)
    const index = await nextIndex()
    const expose = () =>
      relayer.writeContract({
        ...quorum(),
        functionName: 'expose',
        args: [domain.oracle, l2BlockNumber, root],
      })
    await expectError(expose(), 'NotExposable') // never signed
    const receipt = await attest(l2BlockNumber, root, [A])
    const { timestamp } = await relayer.getBlock({ blockNumber: receipt.blockNumber })
    const c = await candidate(l2BlockNumber, root)
    expect(c.firstSeen).toBe(timestamp)
    expect(c.exposableAt).toBe(timestamp + PARAMS.longWindow)

    await expectError(expose(), 'NotExposable')
    await advance(PARAMS.longWindow - 10n)
    await expectError(expose(), 'NotExposable')
    expect(await nextIndex()).toBe(index)
    await advance(10n)
    const [event] = acceptedIn(await mined(await expose()))
    expect(event.args).toEqual({
      oracle: domain.oracle,
      l2OutputIndex: index,
      l2BlockNumber,
      outputRoot: root,
      quorum: false,
      signedStake: STAKE,
      activeStake: 3n * STAKE,
    })
    expect(await outputAt(index)).toMatchObject({ outputRoot: root, l2BlockNumber })
    // A root without a quorum earns its signer nothing; whoever signed no root at all for the block
    // (B and C here) has missed it (withholding is what halts the quorum path); one that signed
    // another root has not (verifiers.economics, withholding).
    expect(await owed(A)).toBe(0n)
    expect((await verifierOf(B)).missed).toBe(1n)
    // Once in, not again.
    await expectError(expose(), 'NotExposable')
  })
})
