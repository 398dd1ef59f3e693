import { keccak256, maxUint256, parseEventLogs, toHex, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { outputQuorumAbi } from '../../generated/contracts/OutputQuorum.js'
import {
  A,
  B,
  C,
  FINALIZATION_PERIOD,
  NOT_FINAL,
  Outcome,
  PARAMS,
  REPORTER_SHARE,
  SLASH,
  STAKE,
  Status,
  accept,
  acceptedIn,
  activeStake,
  advance,
  attest,
  attestTx,
  candidate,
  challenge,
  challengeOf,
  d,
  dev,
  dismissByGovernance,
  domain,
  edge,
  eth,
  expectError,
  finalize,
  honestRoot,
  isFinal,
  isFrozen,
  madeUpWithdrawal,
  mined,
  nextBlock,
  now,
  nextIndex,
  outputAt,
  prove,
  queueChallengeProposal,
  quorum,
  relayer,
  resolve,
  sign,
  upholdByGovernance,
  useOutputQuorumDevnet,
  verifierOf,
} from './verifiers.fixtures.js'

const ZERO32 = `0x${'00'.repeat(32)}` as Hex

/**
 * Challenges of the OutputQuorum on anvil (DESIGN.md "Trust model", invariant 8): a wrong root that a
 * colluding 2/3 put in is challenged by the honest third, which freezes that output alone; an
 * executed Governor proposal upholds it before the deadline (no token vote and no party to the
 * challenge can): the root is rejected for good, taken out of the oracle (deleted when it is the
 * latest output, else invalidated alone) and its signers slashed. A frivolous challenge is dismissed
 * by a proposal, or expires unresolved: the root stands and the bond goes to the Timelock. Two
 * signatures on two roots for one block are slashed as equivocation.
 */
useOutputQuorumDevnet()

const challengeTx = (by: typeof A, l2BlockNumber: bigint, root: Hex) =>
  by.wallet.writeContract({
    ...quorum(),
    functionName: 'challenge',
    args: [domain.oracle, l2BlockNumber, root],
    value: PARAMS.challengeBond,
  })

describe('OutputQuorum colluding quorum', () => {
  test('default: two of three sign a wrong root; the honest third challenges and a Governor proposal upholds it', async () => {
    const { w, l2, recipient } = await madeUpWithdrawal('collusion')
    const wrong = await accept(l2.outputRoot, [A, B])
    const later = await accept(honestRoot(wrong.l2BlockNumber + 10n), [A, B])
    expect(later.index).toBe(wrong.index + 1n)
    await mined(await prove(w, wrong.index, l2))

    // Only an active verifier challenges, with exactly the bond.
    await expectError(
      dev[0].writeContract({
        ...quorum(),
        functionName: 'challenge',
        args: [domain.oracle, wrong.l2BlockNumber, l2.outputRoot],
        value: PARAMS.challengeBond,
      }),
      'NotActiveVerifier',
      [dev[0].account.address],
    )
    await expectError(
      C.wallet.writeContract({
        ...quorum(),
        functionName: 'challenge',
        args: [domain.oracle, wrong.l2BlockNumber, l2.outputRoot],
        value: PARAMS.challengeBond - 1n,
      }),
      'WrongBond',
      [PARAMS.challengeBond - 1n, PARAMS.challengeBond],
    )
    const cBefore = { edge: await edge(C.address), eth: await eth(C.address) }
    const id = await challenge(C, wrong.l2BlockNumber, l2.outputRoot)
    const cAfterChallenge = await eth(C.address)
    const opened = await challengeOf(id)
    expect(opened).toMatchObject({
      oracle: domain.oracle,
      l2BlockNumber: wrong.l2BlockNumber,
      outputRoot: l2.outputRoot,
      challenger: C.address,
      bond: PARAMS.challengeBond,
      outcome: Outcome.Open,
    })
    expect(BigInt(opened.deadline - opened.createdAt)).toBe(PARAMS.disputePeriod)
    // A root is challenged once.
    await expectError(challengeTx(B, wrong.l2BlockNumber, l2.outputRoot), 'RootChallenged', [id])
    // Nobody but the Timelock settles it before the deadline: not the accused (A also holds votes of
    // its own), not the challenger, not a 10 % token holder; resolve waits for the deadline.
    for (const wallet of [A.wallet, B.wallet, C.wallet, dev[0]])
      for (const functionName of ['uphold', 'dismiss'] as const)
        await expectError(
          wallet.writeContract({ ...quorum(), functionName, args: [id] }),
          'OwnableUnauthorizedAccount',
          [wallet.account.address],
        )
    await expectError(
      dev[3].writeContract({ ...quorum(), functionName: 'resolve', args: [id] }),
      'DeadlineNotReached',
      [BigInt(opened.deadline)],
    )
    // The challenged output alone is frozen: past the finalization period it is not final (the
    // portal refuses the withdrawal proven against it), the later output is.
    expect(await isFrozen(wrong.index)).toBe(true)
    expect(await isFrozen(later.index)).toBe(false)
    await advance(FINALIZATION_PERIOD + 1n)
    expect(await isFinal(wrong.index)).toBe(false)
    expect(await isFinal(later.index)).toBe(true)
    await expectError(finalize(w), 'Error', [NOT_FINAL])

    const timelockBefore = await eth(d.dac.timelock)
    await upholdByGovernance(id)
    expect(await challengeOf(id)).toMatchObject({ outcome: Outcome.Upheld })
    await expectError(
      dev[3].writeContract({ ...quorum(), functionName: 'resolve', args: [id] }),
      'ChallengeClosed',
      [id],
    )

    // Not the latest output: invalidated alone (root zeroed, unfrozen, never final); the later
    // output stays, final.
    expect(await nextIndex()).toBe(later.index + 1n)
    expect(await outputAt(wrong.index)).toMatchObject({
      outputRoot: ZERO32,
      l2BlockNumber: wrong.l2BlockNumber,
    })
    expect(await isFrozen(wrong.index)).toBe(false)
    expect(await isFinal(wrong.index)).toBe(false)
    expect(await outputAt(later.index)).toMatchObject({
      outputRoot: honestRoot(later.l2BlockNumber),
    })
    expect(await isFinal(later.index)).toBe(true)
    // Both signers slashed by slashBps and jailed; C got the reporter's share of both and its bond.
    for (const op of [A, B])
      expect(await verifierOf(op)).toMatchObject({
        bonded: STAKE - SLASH,
        unbonding: 0n,
        status: Status.Jailed,
      })
    expect(await verifierOf(C)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect(await activeStake()).toBe(STAKE)
    expect((await edge(C.address)) - cBefore.edge).toBe(2n * REPORTER_SHARE)
    expect(cBefore.eth - cAfterChallenge).toBeGreaterThan(PARAMS.challengeBond) // bond + gas
    expect((await eth(C.address)) - cAfterChallenge).toBe(PARAMS.challengeBond)
    expect(await eth(d.dac.timelock)).toBe(timelockBefore)
    expect(await eth(d.verifiers.quorum)).toBe(0n)

    // The wrong root never comes back; the withdrawal never pays, nor is it proven against it again.
    expect((await candidate(wrong.l2BlockNumber, l2.outputRoot)).rejected).toBe(true)
    await expectError(attestTx(wrong.l2BlockNumber, l2.outputRoot, [C]), 'RootRejected')
    await expectError(finalize(w), 'Error', [
      'OptimismPortal: output root proven is not the same as current output root',
    ])
    await expectError(prove(w, wrong.index, l2), 'Error', [
      'OptimismPortal: invalid output root proof',
    ])
    await advance(FINALIZATION_PERIOD + 1n)
    await expectError(finalize(w), 'Error', [
      'OptimismPortal: output root proven is not the same as current output root',
    ])
    expect(await eth(recipient)).toBe(0n)
  })

  test('behavior: upheld while it is the latest output, it is deleted; the honest root takes its place', async () => {
    const { w, l2, recipient } = await madeUpWithdrawal('collusion latest')
    const wrong = await accept(l2.outputRoot, [A, B])
    await mined(await prove(w, wrong.index, l2))
    const id = await challenge(C, wrong.l2BlockNumber, l2.outputRoot)
    await upholdByGovernance(id)
    expect(await nextIndex()).toBe(wrong.index)
    for (const op of [A, B]) expect(await verifierOf(op)).toMatchObject({ status: Status.Jailed })
    // C alone (100,000 EDGE, below the floor) is no fast quorum: its honest root for the block waits
    // out the long window, then enters (the rejected root no longer leads the block).
    const honest = honestRoot(wrong.l2BlockNumber)
    expect(acceptedIn(await attest(wrong.l2BlockNumber, honest, [C]))).toEqual([])
    await advance(PARAMS.longWindow + 1n)
    const [event] = acceptedIn(
      await mined(
        await dev[3].writeContract({
          ...quorum(),
          functionName: 'expose',
          args: [domain.oracle, wrong.l2BlockNumber, honest],
        }),
      ),
    )
    expect(event.args).toMatchObject({
      l2OutputIndex: wrong.index,
      outputRoot: honest,
      quorum: false,
    })
    expect(await isFrozen(wrong.index)).toBe(false)
    await advance(FINALIZATION_PERIOD + 1n)
    expect(await isFinal(wrong.index)).toBe(true)
    await expectError(finalize(w), 'Error', [
      'OptimismPortal: output root proven is not the same as current output root',
    ])
    expect(await eth(recipient)).toBe(0n)
  })

  test('behavior: a proposal that executes at or after the deadline cannot uphold; the challenge expires', async () => {
    const { l2 } = await madeUpWithdrawal('late uphold')
    const wrong = await accept(l2.outputRoot, [A, B])
    const id = await challenge(C, wrong.l2BlockNumber, l2.outputRoot)
    // The proposal starts 30 s before the deadline; a whole proposal takes longer than that.
    await advance(PARAMS.disputePeriod - 30n)
    const executeUphold = await queueChallengeProposal('uphold', id)
    const { deadline } = await challengeOf(id)
    await expectError(executeUphold(), 'DeadlinePassed', [BigInt(deadline)])
    expect(await resolve(id)).toBe(Outcome.Expired)
    // Nobody slashed; the bond is the Timelock's.
    for (const op of [A, B, C])
      expect(await verifierOf(op)).toMatchObject({ bonded: STAKE, status: Status.Active })
  })
})

describe('OutputQuorum frivolous challenge', () => {
  test('default: dismissed by a Governor proposal, the output stands and finalizes; the bond goes to the Timelock', async () => {
    // An honest output with a real withdrawal in it.
    const { w, l2, recipient } = await madeUpWithdrawal('honest')
    const out = await accept(l2.outputRoot, [A, B])
    await mined(await prove(w, out.index, l2))
    const id = await challenge(C, out.l2BlockNumber, l2.outputRoot)
    expect(await isFrozen(out.index)).toBe(true)
    const timelockBefore = await eth(d.dac.timelock)
    const cBefore = await eth(C.address)
    await dismissByGovernance(id)
    expect(await challengeOf(id)).toMatchObject({ outcome: Outcome.Dismissed })
    expect(await outputAt(out.index)).toMatchObject({ outputRoot: l2.outputRoot })
    expect(await isFrozen(out.index)).toBe(false)
    expect((await eth(d.dac.timelock)) - timelockBefore).toBe(PARAMS.challengeBond)
    expect(await eth(C.address)).toBe(cBefore)
    for (const op of [A, B, C])
      expect(await verifierOf(op)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect(await candidate(out.l2BlockNumber, l2.outputRoot)).toMatchObject({
      rejected: false,
      openChallenge: 0n,
    })
    // Dismissed before its finalization period ended: final once it has passed, and the withdrawal pays.
    await advance(FINALIZATION_PERIOD)
    expect(await isFinal(out.index)).toBe(true)
    await mined(await finalize(w))
    expect(await eth(recipient)).toBe(w.value)
  })

  test('behavior: a challenge nobody upholds expires: the output stands, nobody is slashed, the bond goes to the Timelock', async () => {
    const out = await accept(honestRoot(await nextBlock()), [A, B])
    const root = honestRoot(out.l2BlockNumber)
    // C signs the later output (a disagreement on one root, not an absent verifier).
    const later = await accept(honestRoot(out.l2BlockNumber + 10n), [A, B, C])
    const id = await challenge(C, out.l2BlockNumber, root)
    const cBefore = await eth(C.address)
    const timelockBefore = await eth(d.dac.timelock)
    expect(await resolve(id)).toBe(Outcome.Expired)
    expect(await challengeOf(id)).toMatchObject({ outcome: Outcome.Expired, challenger: C.address })
    expect(await nextIndex()).toBe(later.index + 1n)
    expect(await outputAt(out.index)).toMatchObject({ outputRoot: root })
    expect(await isFrozen(out.index)).toBe(false)
    expect(await isFinal(out.index)).toBe(true)
    for (const op of [A, B, C])
      expect(await verifierOf(op)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect(await activeStake()).toBe(3n * STAKE)
    expect(await eth(C.address)).toBe(cBefore)
    expect((await eth(d.dac.timelock)) - timelockBefore).toBe(PARAMS.challengeBond)
    expect(await candidate(out.l2BlockNumber, root)).toMatchObject({
      rejected: false,
      openChallenge: 0n,
    })
    // Final now, it cannot be challenged again; the time to act was the challenge's.
    await expectError(challengeTx(C, out.l2BlockNumber, root), 'OutputFinal', [out.index])
  })

  test('behavior: a pending root challenged while its challenge is open once; after it, challengeable again, its long window restarted', async () => {
    const l2BlockNumber = await nextBlock()
    const root = keccak256(toHex('pending, one signer'))
    expect(acceptedIn(await attest(l2BlockNumber, root, [A]))).toEqual([])
    const id = await challenge(C, l2BlockNumber, root)
    expect((await candidate(l2BlockNumber, root)).openChallenge).toBe(id + 1n)
    await expectError(challengeTx(B, l2BlockNumber, root), 'RootChallenged', [id])
    expect(await resolve(id)).toBe(Outcome.Expired)
    // Closed while pending, it protected nothing: its long window starts again from the expiry,
    // and it may be challenged again.
    const { firstSeen, openChallenge } = await candidate(l2BlockNumber, root)
    expect(openChallenge).toBe(0n)
    expect(firstSeen).toBeGreaterThanOrEqual((await now()) - 1n)
    await expectError(
      relayer.writeContract({
        ...quorum(),
        functionName: 'expose',
        args: [domain.oracle, l2BlockNumber, root],
      }),
      'NotExposable',
    )
    const again = await challenge(B, l2BlockNumber, root)
    expect(again).toBe(id + 1n)
    // The block's honest root enters with its quorum meanwhile.
    const honest = await accept(honestRoot(l2BlockNumber), [B, C])
    expect(honest.l2BlockNumber).toBe(l2BlockNumber)
  })

  test('attack: an empty attest cannot fix a block\'s reference time', async () => {
    const l2BlockNumber = await nextBlock()
    const root = keccak256(toHex('pinned by nobody'))
    await expectError(
      relayer.writeContract({ ...quorum(), functionName: 'attest', args: [domain.oracle, l2BlockNumber, root, []] }),
      'NoStakeAtReference',
    )
    expect(await relayer.readContract({ ...quorum(), functionName: 'referenceTime', args: [domain.oracle, l2BlockNumber] })).toBe(0n)
  })
})

describe('OutputQuorum equivocation', () => {
  test('default', async () => {
    const l2BlockNumber = await nextBlock()
    const [x, y] = [keccak256(toHex('root x')), keccak256(toHex('root y'))]
    const [ax, ay, bx, by] = await Promise.all([
      sign(A, l2BlockNumber, x),
      sign(A, l2BlockNumber, y),
      sign(B, l2BlockNumber, x),
      sign(B, l2BlockNumber, y),
    ])
    const report = (rootA: Hex, sigA: Hex, rootB: Hex, sigB: Hex) =>
      dev[4].writeContract({
        ...quorum(),
        functionName: 'slashEquivocation',
        args: [domain.oracle, l2BlockNumber, rootA, sigA, rootB, sigB],
      })
    await expectError(report(x, ax, x, ax), 'NotEquivocation')
    await expectError(report(x, ax, y, by), 'NotEquivocation')

    const reporterBefore = await edge(dev[4].account.address)
    const receipt = await mined(await report(x, ax, y, ay))
    const [event] = parseEventLogs({
      abi: outputQuorumAbi,
      logs: receipt.logs,
      eventName: 'EquivocationSlashed',
    })
    expect(event.args).toEqual({
      oracle: domain.oracle,
      l2BlockNumber,
      verifier: A.address,
      reporter: dev[4].account.address,
    })
    expect(await verifierOf(A)).toMatchObject({ bonded: STAKE - SLASH, status: Status.Jailed })
    expect((await edge(dev[4].account.address)) - reporterBefore).toBe(REPORTER_SHARE)
    expect(await activeStake()).toBe(2n * STAKE)
    await expectError(report(y, ay, x, ax), 'AlreadySlashed', [A.address])

    // On chain, a verifier's second root for a block is refused outright.
    await mined(
      await relayer.writeContract({
        ...quorum(),
        functionName: 'attest',
        args: [domain.oracle, l2BlockNumber, x, [bx]],
      }),
    )
    expect(
      await relayer.readContract({
        ...quorum(),
        functionName: 'signedRootOf',
        args: [domain.oracle, l2BlockNumber, B.address],
      }),
    ).toBe(x)
    await expectError(
      relayer.writeContract({
        ...quorum(),
        functionName: 'attest',
        args: [domain.oracle, l2BlockNumber, y, [by]],
      }),
      'AlreadySignedAnotherRoot',
      [B.address, x],
    )
  })
})
