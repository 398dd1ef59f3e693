import { getAddress, keccak256, maxUint256, parseAbi, parseEther, toHex, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { formatChallengeGas, measureChallengeGas } from '../../bench/challengeGas.js'
import {
  A,
  B,
  C,
  D,
  FINALIZATION_PERIOD,
  NOT_FINAL,
  PARAMS,
  STAKE,
  Status,
  accept,
  acceptedIn,
  advance,
  attest,
  attestTx,
  candidate,
  d,
  dev,
  domain,
  eth,
  expectError,
  finalize,
  honestRoot,
  isFinal,
  madeUpWithdrawal,
  mined,
  now,
  nextBlock,
  nextIndex,
  oracle,
  outputAt,
  owed,
  prove,
  quorum,
  relayer,
  sign,
  staking,
  testClient,
  token,
  upholdByGovernance,
  useOutputQuorumDevnet,
  verifierOf,
} from './verifiers.fixtures.js'

/**
 * The attacks of issue 22 on the verifier contracts, on anvil with deployL1's contracts (each failed
 * on the contracts as they were, with a token vote (ChallengeVote, since removed), the oracle frozen from the
 * challenged output on, loops over open challenges, and a verifier list anyone could fill):
 * - vote theft: a 10,000 EDGE verifier challenges the honest root and a 10 % holder votes for it;
 *   nothing short of an executed Governor proposal upholds a challenge, so nobody is slashed;
 * - the free halt: a challenge nobody upholds costs its bond (to the Timelock), freezes only the
 *   challenged output (the next one finalizes meanwhile), and the honest output becomes final;
 * - 1,000 open challenges: challenge, resolve and attest cost the same as with one (bench/challengeGas.ts's
 *   steps, which `npm run bench -- challengeGas` prints);
 * - dust stakes cannot lock out a 100,000 EDGE operator, and a verifier can leave the list;
 * - slashing after a root's reference time does not shrink its quorum's denominator, and an active
 *   stake below the floor cannot attest alone;
 * - a self-challenge by a wrong root's signers does not make it final: a Governor proposal upholds it.
 * Calls that the old contracts had (vote) go through a raw ABI so the same test ran on both.
 */
useOutputQuorumDevnet()

const legacy = parseAbi([
  'function vote(uint256 id, bool support)',
  'function resolve(uint256 id)',
  'function challenge(address oracle, uint256 l2BlockNumber, bytes32 outputRoot) payable returns (uint256)',
])
/** Past any challenge's deadline (the devnet's dispute period) and the finalization period. */
const WAIT = 1300n

async function tryTx(send: () => Promise<Hex>) {
  try {
    const hash = await send()
    return (await relayer.waitForTransactionReceipt({ hash })).status === 'success'
  } catch {
    return false
  }
}

async function challengeOf(by: typeof A, l2BlockNumber: bigint, root: Hex) {
  const count = await relayer.readContract({ ...quorum(), functionName: 'challengeCount' })
  await mined(
    await by.wallet.writeContract({
      address: d.verifiers.quorum,
      abi: legacy,
      functionName: 'challenge',
      args: [domain.oracle, l2BlockNumber, root],
      value: PARAMS.challengeBond,
    }),
  )
  return count
}

async function stakeFrom(from: (typeof dev)[number], who: `0x${string}`, amount: bigint) {
  await mined(
    await from.writeContract({
      ...token(),
      functionName: 'approve',
      args: [d.verifiers.staking, maxUint256],
    }),
  )
  // A stake moves the holder's vote checkpoints, which cost a fresh slot when the block lands a
  // second after the estimate's (CI saw one such out-of-gas revert): half again the estimate.
  const request = { ...staking(), functionName: 'stake', args: [who, amount] } as const
  const gas = await relayer.estimateContractGas({ ...request, account: from.account })
  return from.writeContract({ ...request, gas: (gas * 3n) / 2n })
}

describe('OutputQuorum vote theft', () => {
  test('attack: a 10,000 EDGE challenger and a 10 % token holder cannot reject an honest root or slash', async () => {
    await mined(await stakeFrom(dev[9], D.address, parseEther('10000')))
    const out = await accept(honestRoot(await nextBlock()), [A, B, C])
    const id = await challengeOf(D, out.l2BlockNumber, honestRoot(out.l2BlockNumber))
    // The 10 % holder (dev 0 and 1, 1,000,000 EDGE) tries to vote the challenge through.
    for (const voter of dev.slice(0, 2))
      await tryTx(() =>
        voter.writeContract({ address: d.verifiers.quorum, abi: legacy, functionName: 'vote', args: [id, true] }),
      )
    // Nobody but the owner (the Timelock) can uphold.
    await expectError(
      D.wallet.writeContract({ ...quorum(), functionName: 'uphold', args: [id] }),
      'OwnableUnauthorizedAccount',
    )
    const timelockBefore = await eth(d.dac.timelock)
    await advance(WAIT)
    await mined(
      await D.wallet.writeContract({ address: d.verifiers.quorum, abi: legacy, functionName: 'resolve', args: [id] }),
    )
    // Nobody slashed, the honest output stands and is final; the challenger's bond is the Timelock's.
    for (const op of [A, B, C])
      expect(await verifierOf(op)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect(await outputAt(out.index)).toMatchObject({ outputRoot: honestRoot(out.l2BlockNumber) })
    expect(await isFinal(out.index)).toBe(true)
    expect((await eth(d.dac.timelock)) - timelockBefore).toBe(PARAMS.challengeBond)
    // The attacker alone is no quorum: its forged root does not enter.
    const forged = keccak256(toHex('forged'))
    const next = await nextBlock()
    expect(acceptedIn(await attest(next, forged, [D]))).toEqual([])
    expect(await nextIndex()).toBe(out.index + 1n)
  })
})

describe('OutputQuorum free halt', () => {
  test('attack: an unresolved challenge costs its bond, freezes only its output, and the honest output becomes final', async () => {
    const { w, l2, recipient } = await madeUpWithdrawal('halt')
    const out = await accept(l2.outputRoot, [A, B])
    await mined(await prove(w, out.index, l2))
    const id = await challengeOf(C, out.l2BlockNumber, l2.outputRoot)
    const cAfter = await eth(C.address)
    const later = await accept(honestRoot(await nextBlock()), [A, B])
    await advance(FINALIZATION_PERIOD + 1n)
    // Only the challenged output is frozen: the next one is final meanwhile.
    expect(await isFinal(out.index)).toBe(false)
    expect(await isFinal(later.index)).toBe(true)
    await expectError(finalize(w), 'Error', [NOT_FINAL])
    const timelockBefore = await eth(d.dac.timelock)
    await advance(WAIT)
    await mined(
      await dev[3].writeContract({ address: d.verifiers.quorum, abi: legacy, functionName: 'resolve', args: [id] }),
    )
    expect(await eth(C.address)).toBe(cAfter)
    expect((await eth(d.dac.timelock)) - timelockBefore).toBe(PARAMS.challengeBond)
    expect(await outputAt(out.index)).toMatchObject({ outputRoot: l2.outputRoot })
    expect(await isFinal(out.index)).toBe(true)
    await mined(await finalize(w))
    expect(await eth(recipient)).toBe(w.value)
    // A root is challenged once: the halt cannot be repeated on it.
    await expectError(
      C.wallet.writeContract({
        ...quorum(),
        functionName: 'challenge',
        args: [domain.oracle, out.l2BlockNumber, l2.outputRoot],
        value: PARAMS.challengeBond,
      }),
      'OutputFinal',
    )
  })
})

describe('OutputQuorum 1,000 open challenges', () => {
  /** Open challenges before the second measurement (fewer only to try the test out). */
  const OPEN = Number(process.env.OPEN_CHALLENGES ?? 1000)

  test('attack: challenge, resolve and attest cost the same with 1 and with 1,000 open', { timeout: 600_000 }, async () => {
    await testClient.setBalance({ address: C.address, value: parseEther('1000') })
    // The steps and figures of `npm run bench -- challengeGas` (C signs too, so that it is not
    // jailed for missed outputs and can go on challenging).
    const gas = await measureChallengeGas(
      {
        relayer,
        challenger: C.wallet,
        resolver: dev[3],
        signers: [A, B, C].map((op) => op.account),
        domain,
        bond: PARAMS.challengeBond,
        wait: WAIT,
        advance,
      },
      OPEN,
    )
    console.log(formatChallengeGas(gas))
    for (const g of [gas.attestN, gas.challengeN, gas.resolveN]) expect(g).toBeLessThan(30_000_000n)
    // Bounded: no per-challenge term (a cold slot or two of difference, nothing like 7,700 per challenge).
    expect(gas.challengeN - gas.challenge1).toBeLessThan(50_000n)
    expect(gas.attestN - gas.attest1).toBeLessThan(50_000n)
    expect(gas.resolveN).toBeLessThan(300_000n)
  })
})

describe('OutputQuorum withholding', () => {
  const expose = (l2BlockNumber: bigint, root: Hex) =>
    relayer.writeContract({ ...quorum(), functionName: 'expose', args: [domain.oracle, l2BlockNumber, root] })

  test('attack: a verifier that signs nothing is jailed after maxMissed long-path entries; one that signed another root is not', async () => {
    // A full list (61 minimum stakes beside A, B, C), so that the long path's loop runs over 64.
    const filler = (i: number) => getAddress(keccak256(toHex(`withholding filler ${i}`)).slice(0, 42))
    for (let i = 0; i < 61; i++) await mined(await stakeFrom(i < 30 ? dev[2] : dev[3], filler(i), PARAMS.minStake))
    expect(await relayer.readContract({ ...staking(), functionName: 'verifierCount' })).toBe(64n)
    await advance(2n)
    // No quorum for any block: A signs the honest root, B another one, C (and the fillers) nothing;
    // A's root leads (first, and B's equal stake does not overtake it) and enters by the long path.
    let gas = 0n
    for (let i = 1n; i <= PARAMS.maxMissed; i++) {
      const l2BlockNumber = await nextBlock()
      await attest(l2BlockNumber, honestRoot(l2BlockNumber), [A])
      await attest(l2BlockNumber, keccak256(toHex(`B's root ${l2BlockNumber}`)), [B])
      await advance(PARAMS.longWindow + 1n)
      const receipt = await mined(await expose(l2BlockNumber, honestRoot(l2BlockNumber)))
      expect(acceptedIn(receipt)[0].args).toMatchObject({ outputRoot: honestRoot(l2BlockNumber), quorum: false })
      gas = receipt.gasUsed
      expect(await verifierOf(C)).toMatchObject({
        missed: i,
        status: i < PARAMS.maxMissed ? Status.Active : Status.Jailed,
      })
      // B signed a different root: withholding is what costs, not disagreeing.
      expect(await verifierOf(B)).toMatchObject({ missed: 0n, status: Status.Active })
      expect(await verifierOf(A)).toMatchObject({ missed: 0n, status: Status.Active })
    }
    console.log(`gas of expose (long path, 64 verifiers, 61 absent counted): ${gas}`)
    expect(gas).toBeLessThan(30_000_000n)
    // A long-path root still credits nothing.
    expect(await owed(A)).toBe(0n)
  })
})

describe('OutputQuorum signers judged at the reference time', () => {
  test('attack: a signer with stake at the reference time signs with it (unbonding since; slashed since it counts nothing); a newcomer counts nothing; withdrawn stake cannot sign', async () => {
    const interval = await relayer.readContract({ ...oracle(), functionName: 'SUBMISSION_INTERVAL' })
    const b1 = await nextBlock()
    const [b2, b3] = [b1 + interval, b1 + 2n * interval]
    // A's signatures fix the three blocks' reference time, with A, B and C active (300,000 EDGE).
    for (const b of [b1, b2, b3]) await attest(b, honestRoot(b), [A])
    const ref = await relayer.readContract({ ...quorum(), functionName: 'referenceTime', args: [domain.oracle, b3] })
    await advance(1n)
    // D enters after the reference time: it may sign (so it is not counted absent) but counts
    // nothing, and its made-up root does not start a long window.
    await mined(await stakeFrom(dev[9], D.address, parseEther('10000')))
    await advance(2n)
    const forged = keccak256(toHex('newcomer root'))
    await attest(b3, forged, [D])
    expect(await candidate(b3, forged)).toMatchObject({ firstSeen: 0n, exposableAt: 0n, signedStake: 0n })
    // B unbonds everything after the reference time: inactive now, still slashable, and its stake
    // is in the denominator: its signature counts (it was refused, NotActiveVerifier, so the block
    // lost its quorum and had to wait for the long path).
    await mined(await B.wallet.writeContract({ ...staking(), functionName: 'unbond', args: [STAKE] }))
    await advance(1n)
    expect(await verifierOf(B)).toMatchObject({ status: Status.Inactive, unbonding: STAKE })
    const [event] = acceptedIn(await attest(b1, honestRoot(b1), [B]))
    expect(event.args).toMatchObject({ outputRoot: honestRoot(b1), quorum: true, signedStake: 2n * STAKE, activeStake: 3n * STAKE })
    // C is slashed (an equivocation) after the reference time: its signature is taken without
    // failing the batch, and counts nothing.
    const x = keccak256(toHex('x'))
    const y = keccak256(toHex('y'))
    const far = b1 + 4n * interval
    await mined(
      await dev[3].writeContract({
        ...quorum(),
        functionName: 'slashEquivocation',
        args: [domain.oracle, far, x, await sign(C, far, x), y, await sign(C, far, y)],
      }),
    )
    expect(await verifierOf(C)).toMatchObject({ status: Status.Jailed })
    await attest(b2, honestRoot(b2), [B, C])
    expect(await candidate(b2, honestRoot(b2))).toMatchObject({ signedStake: 2n * STAKE, active: 3n * STAKE })
    expect((await outputAt((await nextIndex()) - 1n)).outputRoot).toBe(honestRoot(b2))
    // B withdraws: its weight at the reference time is no longer slashable, so it no longer signs.
    await advance(PARAMS.unbondingDelay)
    await mined(await B.wallet.writeContract({ ...staking(), functionName: 'withdraw' }))
    await expectError(attestTx(b3, honestRoot(b3), [B]), 'StakeWithdrawn', [B.address, STAKE, 0n])
    expect(ref).toBeLessThan(await now())
  })
})

describe('VerifierStaking entry', () => {
  test('attack: dust stakes and a full list of minimum stakes cannot lock out a 100,000 EDGE operator', async () => {
    const filler = (i: number) => getAddress(keccak256(toHex(`filler ${i}`)).slice(0, 42))
    // 61 dust stakes of 1 wei each (the list holds 64): refused, or they fill the list.
    for (let i = 0; i < 61; i++) await tryTx(() => stakeFrom(dev[2], filler(i), 1n))
    // 61 minimum stakes fill the list for real.
    for (let i = 0; i < 61; i++) {
      if ((await relayer.readContract({ ...staking(), functionName: 'verifierCount' })) >= 64n) break
      await mined(await stakeFrom(i < 30 ? dev[2] : dev[3], filler(100 + i), PARAMS.minStake))
    }
    expect(await relayer.readContract({ ...staking(), functionName: 'verifierCount' })).toBe(64n)
    // The operator's 100,000 EDGE gets in: the smallest member is evicted into unbonding.
    await mined(await stakeFrom(dev[4], D.address, STAKE))
    expect(await verifierOf(D)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect(await relayer.readContract({ ...staking(), functionName: 'verifierCount' })).toBe(64n)
  })

  test('behavior: a verifier with nothing bonded or unbonding leaves the list', async () => {
    const count = await relayer.readContract({ ...staking(), functionName: 'verifierCount' })
    await mined(await A.wallet.writeContract({ ...staking(), functionName: 'unbond', args: [STAKE] }))
    await expectError(
      dev[5].writeContract({ ...staking(), functionName: 'deregister', args: [A.address] }),
      'NotEmpty',
    )
    await advance(PARAMS.unbondingDelay)
    await mined(await A.wallet.writeContract({ ...staking(), functionName: 'withdraw' }))
    await mined(await dev[5].writeContract({ ...staking(), functionName: 'deregister', args: [A.address] }))
    expect(await relayer.readContract({ ...staking(), functionName: 'verifierCount' })).toBe(count - 1n)
  })
})

describe('OutputQuorum reference stake', () => {
  test('attack: slashing the others after the reference time does not make one signer a quorum', async () => {
    const l2BlockNumber = await nextBlock()
    const wrong = keccak256(toHex('wrong'))
    expect(acceptedIn(await attest(l2BlockNumber, wrong, [A]))).toEqual([])
    // B and C get slashed afterwards (equivocation at a later block stands in for any slash).
    const other = l2BlockNumber + 10n
    for (const op of [B, C]) {
      const [x, y] = [keccak256(toHex('x')), keccak256(toHex('y'))]
      await mined(
        await dev[4].writeContract({
          ...quorum(),
          functionName: 'slashEquivocation',
          args: [domain.oracle, other, x, await sign(op, other, x), y, await sign(op, other, y)],
        }),
      )
    }
    expect(await verifierOf(B)).toMatchObject({ status: Status.Jailed })
    // A's signature re-sent: still a third of the stake active at the reference time.
    expect(acceptedIn(await attest(l2BlockNumber, wrong, [A]))).toEqual([])
    await advance(1n)
    expect(acceptedIn(await attest(l2BlockNumber, wrong, [A]))).toEqual([])
    expect(await nextBlock()).toBe(l2BlockNumber)
  })

  test('attack: an active stake below the floor cannot attest alone', async () => {
    for (const op of [B, C])
      await mined(await op.wallet.writeContract({ ...staking(), functionName: 'unbond', args: [STAKE] }))
    await advance(1n)
    const l2BlockNumber = await nextBlock()
    expect(acceptedIn(await attest(l2BlockNumber, honestRoot(l2BlockNumber), [A]))).toEqual([])
    expect(await nextBlock()).toBe(l2BlockNumber)
  })
})

describe('OutputQuorum self-challenge', () => {
  test('attack: the wrong root\'s own signers challenge it; a Governor proposal upholds it and slashes them', async () => {
    const { w, l2, recipient } = await madeUpWithdrawal('self')
    const out = await accept(l2.outputRoot, [A, B])
    await mined(await prove(w, out.index, l2))
    const id = await challengeOf(A, out.l2BlockNumber, l2.outputRoot)
    // Honest holders (dev 0 and 1, 10 % of the supply) pass a proposal to uphold it.
    await upholdByGovernance(id)
    for (const op of [A, B]) expect(await verifierOf(op)).toMatchObject({ status: Status.Jailed })
    await advance(WAIT)
    expect(await eth(recipient)).toBe(0n)
    await expect(finalize(w)).rejects.toThrow()
    expect(await eth(recipient)).toBe(0n)
  })
})

describe('OutputQuorum long path', () => {
  const submissionInterval = () => relayer.readContract({ ...oracle(), functionName: 'SUBMISSION_INTERVAL' })
  const expose = (l2BlockNumber: bigint, root: Hex) =>
    D.wallet.writeContract({ ...quorum(), functionName: 'expose', args: [domain.oracle, l2BlockNumber, root] })
  /** D stakes 10,000 EDGE (of 310,000: no quorum), active before any reference time that follows. */
  async function smallStake() {
    await mined(await stakeFrom(dev[9], D.address, parseEther('10000')))
    await advance(2n)
  }

  test('attack: a wrong root its own signer challenged while pending stays challengeable and never pays', async () => {
    // D signs a made-up root for the output after the next, challenges it itself while it is pending
    // (once challenged, a root could not be challenged again) and lets the challenge expire; the
    // honest operators sign each block only once it is the oracle's next.
    await smallStake()
    const { w, l2, recipient } = await madeUpWithdrawal('long path')
    const first = await nextBlock()
    const target = first + (await submissionInterval())
    await attest(target, l2.outputRoot, [D])
    const id = await challengeOf(D, target, l2.outputRoot)
    await advance(WAIT)
    await mined(await D.wallet.writeContract({ ...quorum(), functionName: 'resolve', args: [id] }))
    await advance(PARAMS.longWindow + 1n)
    // The block before it enters with its quorum; D back-runs that with `expose` of its root (the
    // block's only signed root, so it leads).
    await accept(honestRoot(first), [A, B, C])
    const exposed = await tryTx(() => expose(target, l2.outputRoot))
    // An honest verifier challenges the wrong root that got in (D's own challenge, closed while the
    // root was pending, does not count); D proves its withdrawal against it.
    const latest = (await nextIndex()) - 1n
    let again: bigint | undefined
    if ((await outputAt(latest)).outputRoot === l2.outputRoot) {
      const count = await relayer.readContract({ ...quorum(), functionName: 'challengeCount' })
      const challenged = await tryTx(() =>
        A.wallet.writeContract({
          ...quorum(),
          functionName: 'challenge',
          args: [domain.oracle, target, l2.outputRoot],
          value: PARAMS.challengeBond,
        }),
      )
      if (challenged) again = count
      await tryTx(() => prove(w, latest, l2))
    }
    await advance(FINALIZATION_PERIOD + 1n)
    await tryTx(() => finalize(w))
    expect(await eth(recipient)).toBe(0n)
    expect(exposed && again === undefined).toBe(false)
    // Unresolved, the challenge expires against a root no quorum signed: it leaves the oracle, and
    // the honest root of the block enters with its quorum.
    if (again !== undefined) {
      await advance(WAIT)
      await mined(await D.wallet.writeContract({ ...quorum(), functionName: 'resolve', args: [again] }))
    }
    const honest = await accept(honestRoot(target), [A, B, C])
    expect(await outputAt(honest.index)).toMatchObject({ outputRoot: honestRoot(target) })
    await expect(finalize(w)).rejects.toThrow()
    expect(await eth(recipient)).toBe(0n)
  })

  test('attack: a root signed by less stake than another for its block cannot be exposed first', async () => {
    // No quorum for the block (C is away: A and B hold 200,000 of 310,000), so it goes the long
    // path; D signs a made-up root first, with less stake.
    await smallStake()
    const next = await nextBlock()
    const forged = keccak256(toHex('forged long path'))
    await attest(next, forged, [D])
    await attest(next, honestRoot(next), [A, B])
    await advance(PARAMS.longWindow + 1n)
    expect(await tryTx(() => expose(next, forged))).toBe(false)
    await mined(await expose(next, honestRoot(next)))
    expect(await outputAt((await nextIndex()) - 1n)).toMatchObject({ outputRoot: honestRoot(next) })
  })
})

describe('OutputQuorum after an upheld challenge', () => {
  test('attack: a colluding quorum\'s roots signed before its slash do not enter after it', async () => {
    // A and B (2/3 of the stake) sign made-up roots for the next output and the one after, before
    // either enters; C challenges the first, a Governor proposal upholds it and slashes them.
    const first = await nextBlock()
    const interval = await relayer.readContract({ ...oracle(), functionName: 'SUBMISSION_INTERVAL' })
    const second = first + interval
    const wrong = (b: bigint) => keccak256(toHex(`colluders' root ${b}`))
    await attest(second, wrong(second), [A, B])
    const out = await accept(wrong(first), [A, B])
    const id = await challengeOf(C, out.l2BlockNumber, wrong(first))
    await upholdByGovernance(id)
    for (const op of [A, B]) expect(await verifierOf(op)).toMatchObject({ status: Status.Jailed })
    // The honest root of the first block comes in by the long path (the rejected root led there).
    await attest(first, honestRoot(first), [C])
    await advance(PARAMS.longWindow + 1n)
    await mined(
      await C.wallet.writeContract({ ...quorum(), functionName: 'expose', args: [domain.oracle, first, honestRoot(first)] }),
    )
    expect(await nextBlock()).toBe(second)
    // The colluders' second root, signed with a quorum before the slash, has none now.
    expect(acceptedIn(await attest(second, wrong(second), []))).toEqual([])
    expect(await nextBlock()).toBe(second)
  })
})
