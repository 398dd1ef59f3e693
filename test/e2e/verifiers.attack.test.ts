import { type Hex, type LocalAccount } from 'viem'
import { describe, expect, test } from 'vitest'
import { systemConfigAbi } from '../../generated/contracts/SystemConfig.js'
import { signOutput } from '../../shared/verifiers/attestation.js'
import {
  A,
  B,
  C,
  D,
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
  deployer,
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
  prove,
  quorum,
  relayer,
  staking,
  testClient,
  upholdByGovernance,
  useOutputQuorumDevnet,
  verifierOf,
  challengeOf,
  isFrozen,
} from './verifiers.fixtures.js'

const ZERO32 = `0x${'00'.repeat(32)}` as Hex
const PROPOSER_GUARD = 'L2OutputOracle: only the proposer address can propose new outputs'

useOutputQuorumDevnet()

/**
 * The attack: whoever holds one key makes up an output root whose message passer storage root is a
 * one-leaf trie with a withdrawal's slot set to 1, then proves and finalizes that withdrawal on the
 * portal. The portal checks the proof only against the oracle's root, so everything rests on what
 * can enter the oracle and when it is final. Why it never pays: the oracle takes outputs only from
 * the OutputQuorum (no key proposes directly); the quorum puts a root in at once only with 2/3 of the
 * active stake, so one key's signature (1/3) waits for the long window, during which any other
 * verifier challenges it (a challenged root enters only frozen); a root already in is frozen by the
 * challenge (not final, however long it stands, so the portal refuses to finalize) until an executed
 * Governor proposal upholds the challenge (no token vote, no party to it), which deletes it, slashes
 * its signer and rejects the root for good. The proof then points at a deleted or replaced output,
 * which the portal refuses too.
 */
describe('the attack: a made-up output root with a withdrawal the L2 never made', () => {
  test('default: no externally owned account can propose, delete, invalidate or freeze outputs', async () => {
    const { l2 } = await madeUpWithdrawal('eoa')
    const l2BlockNumber = await nextBlock()
    for (const { systemConfig } of d.shards)
      for (const functionName of ['proposer', 'challenger'] as const)
        expect(
          await relayer.readContract({ address: systemConfig, abi: systemConfigAbi, functionName }),
        ).toBe(d.verifiers.quorum)
    expect(await relayer.readContract({ ...oracle(), functionName: 'PROPOSER' })).toBe(
      d.verifiers.quorum,
    )
    expect(await relayer.readContract({ ...oracle(), functionName: 'CHALLENGER' })).toBe(
      d.verifiers.quorum,
    )
    // Every key there is: the deployer, the ten dev accounts (8 is the devnet's sequencer and
    // batcher, 9 the operators' funder), the verifier operators.
    const everyKey = [deployer, ...dev, A.wallet, B.wallet, C.wallet, D.wallet]
    for (const wallet of everyKey) {
      await expectError(
        wallet.writeContract({
          ...oracle(),
          functionName: 'proposeL2Output',
          args: [l2.outputRoot, l2BlockNumber, ZERO32, 0n],
        }),
        'Error',
        [PROPOSER_GUARD],
      )
      await expectError(
        wallet.writeContract({ ...oracle(), functionName: 'deleteL2Outputs', args: [0n] }),
        'Error',
        ['L2OutputOracle: only the challenger address can delete outputs'],
      )
      await expectError(
        wallet.writeContract({ ...oracle(), functionName: 'invalidateOutput', args: [0n] }),
        'Error',
        ['L2OutputOracle: only the challenger address can delete outputs'],
      )
      for (const frozen of [true, false])
        await expectError(
          wallet.writeContract({ ...oracle(), functionName: 'setFrozen', args: [0n, frozen] }),
          'Error',
          ['L2OutputOracle: only the challenger address can freeze outputs'],
        )
      await expectError(
        wallet.writeContract({
          ...staking(),
          functionName: 'slash',
          args: [A.address, wallet.account.address],
        }),
        'NotSlasher',
        [wallet.account.address],
      )
    }
    expect(await nextIndex()).toBe(1n)
  })

  test('behavior: no single key puts it in at once', async () => {
    const { l2 } = await madeUpWithdrawal('single key')
    const l2BlockNumber = await nextBlock()
    // Each operator alone (one third of the stake), each from the same starting state. On the devnet
    // the sequencer node's VERIFIER_KEY is operator 0 (A): it is no stronger than the others.
    for (const op of [A, B, C]) {
      const id = await testClient.snapshot()
      const receipt = await attest(l2BlockNumber, l2.outputRoot, [op])
      expect(acceptedIn(receipt)).toEqual([])
      expect(await nextIndex()).toBe(1n)
      const c = await candidate(l2BlockNumber, l2.outputRoot)
      expect(c.signedStake * 3n).toBe(c.active)
      await testClient.revert({ id })
    }
    // Keys that are not verifiers (the sequencer's SEQUENCER_KEY and batcher, dev 8; the deployer's)
    // are refused.
    for (const wallet of [dev[8], deployer]) {
      const signature = await signOutput(wallet.account as LocalAccount, domain, {
        l2BlockNumber,
        outputRoot: l2.outputRoot,
      })
      await expectError(
        relayer.writeContract({
          ...quorum(),
          functionName: 'attest',
          args: [domain.oracle, l2BlockNumber, l2.outputRoot, [signature]],
        }),
        'NotActiveVerifier',
        [wallet.account.address],
      )
    }
  })

  test('behavior: challenged while pending, it enters only frozen and is deleted when upheld; the signer is slashed; the portal never pays', async () => {
    const { w, l2, recipient } = await madeUpWithdrawal('pending')
    const l2BlockNumber = await nextBlock()
    await attest(l2BlockNumber, l2.outputRoot, [A])
    const id = await challenge(B, l2BlockNumber, l2.outputRoot)
    expect((await candidate(l2BlockNumber, l2.outputRoot)).openChallenge).toBe(id + 1n)
    // The accused cannot settle it (only the Timelock can).
    await expectError(
      A.wallet.writeContract({ ...quorum(), functionName: 'dismiss', args: [id] }),
      'OwnableUnauthorizedAccount',
      [A.address],
    )
    // An open challenge does not stall the oracle: past the long window the root enters, but frozen
    // (not final, however long it stands).
    await advance(PARAMS.longWindow + 1n)
    const [exposed] = acceptedIn(
      await mined(
        await relayer.writeContract({
          ...quorum(),
          functionName: 'expose',
          args: [domain.oracle, l2BlockNumber, l2.outputRoot],
        }),
      ),
    )
    expect(exposed.args).toMatchObject({
      l2OutputIndex: 1n,
      outputRoot: l2.outputRoot,
      quorum: false,
    })
    expect(await isFrozen(1n)).toBe(true)
    expect(await isFinal(1n)).toBe(false)
    const bBefore = { edge: await edge(B.address), eth: await eth(B.address) }
    await upholdByGovernance(id)
    expect(await challengeOf(id)).toMatchObject({ outcome: Outcome.Upheld })
    expect(await verifierOf(A)).toMatchObject({ bonded: STAKE - SLASH, status: Status.Jailed })
    expect((await edge(B.address)) - bBefore.edge).toBe(REPORTER_SHARE)
    expect((await eth(B.address)) - bBefore.eth).toBe(PARAMS.challengeBond)
    expect((await candidate(l2BlockNumber, l2.outputRoot)).rejected).toBe(true)
    await expectError(attestTx(l2BlockNumber, l2.outputRoot, [B]), 'RootRejected')

    // The portal: the made-up output was deleted (the latest output), so there is nothing to prove
    // against (index 1 does not exist: Panic 0x32) and nothing to finalize; once the honest output
    // takes index 1 (unfrozen), the made-up output root proof does not hash to it.
    await expectError(prove(w, 1n, l2), 'Panic', [0x32n])
    await expectError(finalize(w), 'Error', ['OptimismPortal: withdrawal has not been proven yet'])
    expect(await activeStake()).toBe(2n * STAKE)
    await accept(honestRoot(l2BlockNumber), [B, C])
    expect(await isFrozen(1n)).toBe(false)
    await expectError(prove(w, 1n, l2), 'Error', ['OptimismPortal: invalid output root proof'])
    await advance(FINALIZATION_PERIOD + 1n)
    await expectError(finalize(w), 'Error', ['OptimismPortal: withdrawal has not been proven yet'])
    expect(await eth(recipient)).toBe(0n)
  })

  test('behavior: exposed after the long window, it is challenged, frozen, upheld and deleted; the portal never pays', async () => {
    const { w, l2, recipient } = await madeUpWithdrawal('exposed')
    const l2BlockNumber = await nextBlock()
    const portalBalance = await eth(d.shards[0].portal)
    await attest(l2BlockNumber, l2.outputRoot, [A])
    // The other verifiers sleep through the long window: the root goes in without a quorum.
    await advance(PARAMS.longWindow)
    const [event] = acceptedIn(
      await mined(
        await relayer.writeContract({
          ...quorum(),
          functionName: 'expose',
          args: [domain.oracle, l2BlockNumber, l2.outputRoot],
        }),
      ),
    )
    expect(event.args).toMatchObject({ l2OutputIndex: 1n, quorum: false })
    // Now it can be proven against (the portal checks only the proof against the oracle's root) ...
    await mined(await prove(w, 1n, l2))
    // ... but a verifier challenges within the finalization period: the output is frozen, so past the
    // period it is still not final and the portal refuses to finalize.
    const id = await challenge(B, l2BlockNumber, l2.outputRoot)
    expect(await isFrozen(1n)).toBe(true)
    await advance(FINALIZATION_PERIOD + 1n)
    expect(await isFinal(1n)).toBe(false)
    await expectError(finalize(w), 'Error', [NOT_FINAL])
    await upholdByGovernance(id)
    expect(await challengeOf(id)).toMatchObject({ outcome: Outcome.Upheld })
    // Deleted: index 1 is gone, so the proof points at nothing (Panic 0x32) ...
    expect(await nextIndex()).toBe(1n)
    expect(await verifierOf(A)).toMatchObject({ bonded: STAKE - SLASH, status: Status.Jailed })
    await expectError(finalize(w), 'Panic', [0x32n])
    // ... and once the honest output takes index 1, the proven root is not the output's root.
    await accept(honestRoot(l2BlockNumber), [B, C])
    expect(await isFrozen(1n)).toBe(false)
    await advance(FINALIZATION_PERIOD + 1n)
    expect(await isFinal(1n)).toBe(true)
    await expectError(finalize(w), 'Error', [
      'OptimismPortal: output root proven is not the same as current output root',
    ])
    expect(await eth(recipient)).toBe(0n)
    expect(await eth(d.shards[0].portal)).toBe(portalBalance)
  })
})
