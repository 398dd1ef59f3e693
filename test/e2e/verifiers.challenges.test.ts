import { keccak256, parseEther, parseEventLogs, toHex, type Hex } from 'viem'
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
  d,
  dev,
  domain,
  edge,
  eth,
  expectError,
  finalize,
  honestRoot,
  isFinal,
  madeUpWithdrawal,
  mined,
  nextBlock,
  nextIndex,
  oracle,
  outputAt,
  owed,
  prove,
  quorum,
  relayer,
  resolve,
  sign,
  useOutputQuorumDevnet,
  verifierOf,
  vote,
} from './verifiers.fixtures.js'

/**
 * Challenges of the OutputQuorum on anvil (DESIGN.md "Trust model", invariant 8): a wrong root that a
 * colluding 2/3 put in is challenged by the honest third, frozen, voted down (the accused cannot vote)
 * and slashed; a frivolous challenge is rejected (the bond goes to the Timelock) or ends without a
 * vote quorum; two signatures on two roots for one block are slashed as equivocation.
 */
useOutputQuorumDevnet()

describe('OutputQuorum colluding quorum', () => {
  test('default: two of three sign a wrong root; the honest third challenges and wins', async () => {
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
    await expectError(
      C.wallet.writeContract({
        ...quorum(),
        functionName: 'challenge',
        args: [domain.oracle, wrong.l2BlockNumber, l2.outputRoot],
        value: PARAMS.challengeBond,
      }),
      'RootChallenged',
      [id],
    )
    // The accused cannot vote, even with votes of their own (A holds 1,000 EDGE, self-delegated).
    for (const op of [A, B])
      await expectError(
        op.wallet.writeContract({ ...quorum(), functionName: 'vote', args: [id, false] }),
        'AccusedCannotVote',
        [op.address],
      )
    await vote(id, true)
    await expectError(
      dev[0].writeContract({ ...quorum(), functionName: 'vote', args: [id, true] }),
      'AlreadyVoted',
      [dev[0].account.address],
    )
    const resolveTx = () =>
      dev[3].writeContract({ ...quorum(), functionName: 'resolve', args: [id] })
    await expectError(resolveTx(), 'VotingOpen')
    // Frozen from the challenged output on: past the finalization period neither it nor the later
    // one is final, and the portal refuses the withdrawal proven against it.
    await advance(FINALIZATION_PERIOD + 1n)
    expect(await isFinal(wrong.index)).toBe(false)
    expect(await isFinal(later.index)).toBe(false)
    await expectError(finalize(w), 'Error', [NOT_FINAL])
    await expectError(
      dev[2].writeContract({ ...quorum(), functionName: 'vote', args: [id, false] }),
      'VotingEnded',
    )
    const timelockBefore = await eth(d.dac.timelock)
    expect(await resolve(id)).toBe(Outcome.Upheld)
    expect(
      await relayer.readContract({ ...quorum(), functionName: 'getChallenge', args: [id] }),
    ).toMatchObject({
      outcome: Outcome.Upheld,
      forVotes: parseEther('1000000'),
      againstVotes: 0n,
    })

    // The output and the later one are deleted; the oracle is unfrozen.
    expect(await nextIndex()).toBe(wrong.index)
    expect(await relayer.readContract({ ...oracle(), functionName: 'frozenFrom' })).toBe(
      2n ** 256n - 1n,
    )
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

    // The wrong root never comes back; the withdrawal never pays.
    await expectError(attestTx(wrong.l2BlockNumber, l2.outputRoot, [C]), 'RootRejected')
    await expectError(finalize(w), 'Panic', [0x32n])
    // C alone is now the whole active stake: the honest output goes in.
    await accept(honestRoot(wrong.l2BlockNumber), [C])
    await advance(FINALIZATION_PERIOD + 1n)
    await expectError(finalize(w), 'Error', [
      'OptimismPortal: output root proven is not the same as current output root',
    ])
    expect(await eth(recipient)).toBe(0n)
  })
})

describe('OutputQuorum frivolous challenge', () => {
  test('default: rejected by the vote, the output stands and finalizes; the bond goes to the Timelock', async () => {
    // An honest output with a real withdrawal in it.
    const { w, l2, recipient } = await madeUpWithdrawal('honest')
    const out = await accept(l2.outputRoot, [A, B])
    await mined(await prove(w, out.index, l2))
    const id = await challenge(C, out.l2BlockNumber, l2.outputRoot)
    await vote(id, false)
    const timelockBefore = await eth(d.dac.timelock)
    const cBefore = await eth(C.address)
    expect(await resolve(id)).toBe(Outcome.Rejected)
    expect(await outputAt(out.index)).toMatchObject({ outputRoot: l2.outputRoot })
    expect(await relayer.readContract({ ...oracle(), functionName: 'frozenFrom' })).toBe(
      2n ** 256n - 1n,
    )
    expect((await eth(d.dac.timelock)) - timelockBefore).toBe(PARAMS.challengeBond)
    expect(await eth(C.address)).toBe(cBefore)
    for (const op of [A, B, C])
      expect(await verifierOf(op)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect((await candidate(out.l2BlockNumber, l2.outputRoot)).rejected).toBe(false)

    await advance(FINALIZATION_PERIOD)
    expect(await isFinal(out.index)).toBe(true)
    await mined(await finalize(w))
    expect(await eth(recipient)).toBe(w.value)
  })

  test('behavior: no vote quorum deletes the output, slashes nobody and returns the bond', async () => {
    const out = await accept(honestRoot(await nextBlock()), [A, B])
    const root = honestRoot(out.l2BlockNumber)
    // C signs the later output (a disagreement on one root, not an absent verifier).
    await accept(honestRoot(out.l2BlockNumber + 10n), [A, B, C])
    const id = await challenge(C, out.l2BlockNumber, root)
    // 500,000 EDGE of votes: 5 % of the supply, under the 10 % quorum.
    await vote(id, true, [dev[2]])
    const cBefore = await eth(C.address)
    const timelockBefore = await eth(d.dac.timelock)
    expect(await resolve(id)).toBe(Outcome.NoQuorum)
    expect(await nextIndex()).toBe(out.index)
    for (const op of [A, B, C])
      expect(await verifierOf(op)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect(await activeStake()).toBe(3n * STAKE)
    expect((await eth(C.address)) - cBefore).toBe(PARAMS.challengeBond)
    expect(await eth(d.dac.timelock)).toBe(timelockBefore)
    // Undecided is not wrong: the root is not rejected (it may be the block's only right root), so
    // re-sending one of its recorded signatures puts it back, where it can be challenged again.
    expect(await candidate(out.l2BlockNumber, root)).toMatchObject({
      rejected: false,
      openChallenge: 0n,
    })
    // Entering again earns its signers nothing more and costs the others no second miss.
    const before = await Promise.all([A, B, C].map(owed))
    const missedBefore = (await verifierOf(C)).missed
    const [again] = acceptedIn(await attest(out.l2BlockNumber, root, [A]))
    expect(again.args).toMatchObject({ l2OutputIndex: out.index, outputRoot: root, quorum: true })
    expect(await Promise.all([A, B, C].map(owed))).toEqual(before)
    expect((await verifierOf(C)).missed).toBe(missedBefore)
    expect(await challenge(C, out.l2BlockNumber, root)).toBe(id + 1n)
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
