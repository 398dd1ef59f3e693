import { createBlockHeader } from '@ethereumjs/block'
import {
  bytesToHex,
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { createChainCommon } from '../../shared/chain/chainCommon.js'
import { blockSigningHash, signBlock } from '../../shared/derivation/signedBlock.js'
import { timelockWallet, type L1Wallet } from './l1.fixtures.js'
import {
  Change,
  PARAMS,
  VERIFIERS,
  Outcome,
  challenge,
  eventsOf,
  governChallenge,
  mineTo,
  nextEpoch,
  operatorOf,
  pool,
  read,
  resolve,
  skip,
  stakeOf,
  submit,
  useSequencingDevnet,
} from './sequencing.fixtures.js'
import {
  D,
  chain,
  d,
  dev,
  edge,
  expectError,
  mined,
  relayer,
  staking,
  testClient,
  type Operator,
} from './verifiers.fixtures.js'

/**
 * SequencerPool's ejections on anvil (issue 13, DESIGN.md invariant 8): the equivocation proof of two
 * signed feed blocks on one parent (SequencerEquivocation.sol) and the challenge upheld by a Governor
 * proposal (GovernedChallenge.sol), each ejecting the sequencer for the epoch, forfeiting its credit
 * there and slashing it through VerifierStaking; a dismissed challenge's bond (the schedule, batches
 * and failover: sequencing.contracts.test.ts; a challenge no proposal upholds, which costs its bond:
 * sequencing.attacks.test.ts). The devnet of sequencing.fixtures.ts, as in
 * sequencing.contracts.test.ts: A, B, C bond 100,000, 200,000 and 300,000 EDGE, the first epoch is
 * bootstrapped with them; every test starts from that state (an anvil snapshot). Automine: one
 * transaction, one L1 block, and eth_estimateGas runs in that block too (the latest + 1).
 */
useSequencingDevnet('sequencing', { fundD: true })

// ---------------------------------------------------------------------------------------- helpers

const bondedOf = (a: Address) =>
  relayer.readContract({ ...staking(), functionName: 'bondedOf', args: [a] })
const isActive = (a: Address) =>
  relayer.readContract({ ...staking(), functionName: 'isActive', args: [a] })
/** Whether `op` is ejected from shard 901 for epoch `e`. */
const isEjected = (e: bigint, op: Operator) =>
  relayer.readContract({ ...pool(), functionName: 'isEjected', args: [901n, e, op.address] })
/** VerifierStaking's `Slashed` events in a receipt. */
const slashesIn = (receipt: TransactionReceipt) =>
  parseEventLogs({ abi: verifierStakingAbi, logs: receipt.logs, eventName: 'Slashed' }).map(
    (e) => e.args,
  )
/** What VerifierStaking's slash takes from `stake` and pays the reporter of it. */
const slashOf = (stake: bigint) => {
  const amount = (stake * VERIFIERS.slashBps) / 10_000n
  return { amount, toReporter: (amount * VERIFIERS.reporterBps) / 10_000n }
}

/** An L2 block header of shard 901 (the node's hardfork) on `parentHash`, its RLP and hash. */
function l2Header(number: bigint, extra: string, parentHash: Hex) {
  const header = createBlockHeader(
    {
      number,
      parentHash,
      timestamp: 1_700_000_000n + number,
      gasLimit: 30_000_000n,
      extraData: toHex(extra),
    },
    { common: createChainCommon(901) },
  )
  return { rlp: bytesToHex(header.serialize()), hash: bytesToHex(header.hash()) }
}

/** `op`'s live-feed signature (shared/derivation/signedBlock.ts) on a header of shard `chainId`. */
async function feedSignature(op: Operator, chainId: number, hash: Hex) {
  const block = { number: 0n, timestamp: 0n, l1OriginNumber: 0n, l1OriginHash: hash, txs: [] }
  return (await signBlock(op.key, chainId, hash, hash, block)).signature
}

/** Each of `wallets` calling VerifierStaking.slash on `verifier` is refused: only the quorum and the pool slash. */
async function expectNotSlashers(wallets: L1Wallet[], verifier: Address) {
  for (const wallet of wallets)
    await expectError(
      wallet.writeContract({
        ...staking(),
        functionName: 'slash',
        args: [verifier, wallet.account.address],
      }),
      'NotSlasher',
      [wallet.account.address],
    )
}

// ---------------------------------------------------------------------------------------- tests

describe('SequencerPool', () => {
  test('behavior: two signed feed blocks on one parent eject the sequencer at once, for the rest of the epoch, and slash it', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    const cheat = order[0]
    const parent = keccak256(toHex('block 6'))
    const a = l2Header(7n, 'fork a', parent)
    const b = l2Header(7n, 'fork b', parent)
    const c8 = l2Header(8n, 'fork c', parent)
    expect(keccak256(a.rlp)).toBe(a.hash)
    expect(
      await relayer.readContract({
        ...pool(),
        functionName: 'blockSigningHash',
        args: [901n, a.hash],
      }),
    ).toBe(blockSigningHash(901, a.hash))
    const [sigA, sigB, sigC] = await Promise.all(
      [a, b, c8].map((h) => feedSignature(cheat, 901, h.hash)),
    )
    const prove = (hA: Hex, sA: Hex, hB: Hex, sB: Hex, chainId = 901n) =>
      dev[4].writeContract({
        ...pool(),
        functionName: 'proveEquivocation',
        args: [chainId, hA, sA, hB, sB],
      })
    await expectError(prove(a.rlp, sigA, a.rlp, sigA), 'NotEquivocation')
    // Two heights: no equivocation (the signature does not cover the number; the headers prove it).
    await expectError(prove(a.rlp, sigA, c8.rlp, sigC), 'NotEquivocation')
    // Another key's signature, or signatures for another shard.
    await expectError(
      prove(a.rlp, sigA, b.rlp, await feedSignature(order[1], 901, b.hash)),
      'NotEquivocation',
    )
    await expectError(
      prove(a.rlp, await feedSignature(cheat, 902, a.hash), b.rlp, sigB),
      'NotEquivocation',
    )

    // It batched in the epoch: the proof forfeits that credit, so no payout can take it later.
    await testClient.increaseTime({ seconds: 30 })
    await mined(await submit(cheat, 5n))
    const reporter = dev[4].account.address
    const reporterBefore = await edge(reporter)
    const receipt = await mined(await prove(a.rlp, sigA, b.rlp, sigB))
    expect(eventsOf(receipt, 'RewardForfeited')[0].args).toEqual({
      sequencer: cheat.address,
      chainId: 901n,
      epoch: e,
      amount: 5n * PARAMS.rewardPerBlock,
    })
    expect(eventsOf(receipt, 'EquivocationProven')[0].args).toEqual({
      chainId: 901n,
      l2BlockNumber: 7n,
      signer: cheat.address,
      hashA: a.hash,
      hashB: b.hash,
      reporter: dev[4].account.address,
    })
    expect(eventsOf(receipt, 'SequencerChanged')[0].args).toMatchObject({
      previous: cheat.address,
      next: order[1].address,
      reason: Change.Equivocated,
    })
    expect(await isEjected(e, cheat)).toBe(true)
    // Slashed through VerifierStaking as the OutputQuorum would: slashBps of its stake, reporterBps
    // of that to the prover, and jailed (so passed by on the other shard too).
    const stake = stakeOf(cheat)
    const { amount, toReporter } = slashOf(stake)
    expect(slashesIn(receipt)).toEqual([{ verifier: cheat.address, reporter, amount, toReporter }])
    expect(await bondedOf(cheat.address)).toBe(stake - amount)
    expect(await edge(reporter)).toBe(reporterBefore + toReporter)
    expect(await isActive(cheat.address)).toBe(false)
    expect((await read.turnOf(902n, e)).sequencer).not.toBe(cheat.address)
    // Once per proof: the same pair slashes no more.
    await expectError(prove(b.rlp, sigB, a.rlp, sigA), 'AlreadyProven', [cheat.address, 7n])
    expect(await bondedOf(cheat.address)).toBe(stake - amount)
    // Only the OutputQuorum and the pool slash: not the prover, the Timelock or the slashed itself.
    const timelock = await timelockWallet(chain, d.dac.timelock)
    await expectNotSlashers([dev[4], timelock, cheat.wallet], order[1].address)
    expect(await bondedOf(order[1].address)).toBe(stakeOf(order[1]))
    await expectError(submit(cheat), 'NotScheduled', [cheat.address, order[1].address])
    // Going round the draw skips the ejected one.
    await mineTo((await read.turnOf(901n, e)).skippableAt)
    await mined(await skip())
    expect((await read.turnOf(901n, e)).sequencer).toBe(order[2].address)
    await mineTo((await read.turnOf(901n, e)).skippableAt)
    await mined(await skip())
    expect((await read.turnOf(901n, e)).sequencer).toBe(order[1].address)
    await nextEpoch()
    await expectError(
      relayer.writeContract({ ...pool(), functionName: 'payout', args: [901n, e, cheat.address] }),
      'NothingToPay',
      [901n, e, cheat.address],
    )
  })

  test('behavior: two signed feed blocks at one height on different parents are no equivocation and eject nobody', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    const holder = order[0]
    // The holder signed 7 on its branch; that branch was replaced from 6 on (a handover), and on its
    // next turn it signs the new branch's 7, a child of the new 6: an honest sequencer's feed.
    const replaced = l2Header(7n, 'replaced', l2Header(6n, 'replaced', keccak256(toHex('5'))).hash)
    const current = l2Header(7n, 'current', l2Header(6n, 'current', keccak256(toHex('5'))).hash)
    const [sigReplaced, sigCurrent] = await Promise.all(
      [replaced, current].map((h) => feedSignature(holder, 901, h.hash)),
    )
    const turn = await read.turnOf(901n, e)
    await expectError(
      dev[4].writeContract({
        ...pool(),
        functionName: 'proveEquivocation',
        args: [901n, replaced.rlp, sigReplaced, current.rlp, sigCurrent],
      }),
      'NotEquivocation',
    )
    expect(await isEjected(e, holder)).toBe(false)
    expect(await read.turnOf(901n, e)).toEqual(turn)
    await mined(await submit(holder))
  })

  test('behavior: a challenge upheld by a Governor proposal ejects the sequencer, forfeits its reward of the epoch, slashes its stake and returns the bond', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    const [accused, challenger] = order
    await testClient.increaseTime({ seconds: 30 })
    await mined(await submit(accused, 20n))
    const earned = await read.owed(accused.address)
    expect(earned).toBeGreaterThan(0n)

    await expectError(
      challenger.wallet.writeContract({
        ...pool(),
        functionName: 'challenge',
        args: [901n, 'x'],
        value: 1n,
      }),
      'WrongBond',
      [1n, PARAMS.challengeBond],
    )
    await expectError(
      dev[2].writeContract({
        ...pool(),
        functionName: 'challenge',
        args: [901n, 'x'],
        value: PARAMS.challengeBond,
      }),
      'NotActiveVerifier',
      [dev[2].account.address],
    )
    await expectError(
      accused.wallet.writeContract({
        ...pool(),
        functionName: 'challenge',
        args: [901n, 'x'],
        value: PARAMS.challengeBond,
      }),
      'SelfChallenge',
    )
    const id = await challenge(challenger)
    await expectError(challenge(order[2]), 'AlreadyChallenged', [id])
    // Only the owner (the Timelock) upholds: not the challenger, not a holder of 10 % of the votes.
    for (const wallet of [challenger.wallet, dev[0]])
      await expectError(
        wallet.writeContract({ ...pool(), functionName: 'uphold', args: [id] }),
        'OwnableUnauthorizedAccount',
        [wallet.account.address],
      )
    await expectError(
      dev[3].writeContract({ ...pool(), functionName: 'resolve', args: [id] }),
      'DeadlineNotReached',
    )
    const before = await relayer.getBalance({ address: challenger.address })
    const challengerEdge = await edge(challenger.address)
    const receipt = await governChallenge('uphold', id)
    expect(eventsOf(receipt, 'ChallengeResolved')[0].args).toMatchObject({
      id,
      outcome: Outcome.Upheld,
    })
    // Slashed like the OutputQuorum's slashes: slashBps of the stake, reporterBps of that to the
    // challenger (not to dev 3, who resolved), the accused jailed.
    const stake = stakeOf(accused)
    const { amount, toReporter } = slashOf(stake)
    expect(slashesIn(receipt)).toEqual([
      { verifier: accused.address, reporter: challenger.address, amount, toReporter },
    ])
    expect(await bondedOf(accused.address)).toBe(stake - amount)
    expect(await edge(challenger.address)).toBe(challengerEdge + toReporter)
    expect(await isActive(accused.address)).toBe(false)
    expect(await bondedOf(challenger.address)).toBe(stakeOf(challenger))
    expect(eventsOf(receipt, 'RewardForfeited')[0].args).toEqual({
      sequencer: accused.address,
      chainId: 901n,
      epoch: e,
      amount: earned,
    })
    expect(eventsOf(receipt, 'SequencerChanged')[0].args).toMatchObject({
      previous: accused.address,
      next: challenger.address,
      reason: Change.Challenged,
    })
    expect(await read.owed(accused.address)).toBe(0n)
    expect(await relayer.getBalance({ address: challenger.address })).toBe(
      before + PARAMS.challengeBond,
    )
    expect(await relayer.getBalance({ address: d.sequencing.pool })).toBe(0n)
    await expectError(submit(accused), 'NotScheduled', [accused.address, challenger.address])
    await expectError(
      dev[3].writeContract({ ...pool(), functionName: 'resolve', args: [id] }),
      'ChallengeClosed',
      [id],
    )
    // Nobody else slashes: not the challenger, the resolver, nor the Timelock.
    const timelock = await timelockWallet(chain, d.dac.timelock)
    await expectNotSlashers([challenger.wallet, dev[3], timelock], order[2].address)
    expect(await bondedOf(order[2].address)).toBe(stakeOf(order[2]))
  })

  test('behavior: a sequencer with nothing left to slash is ejected all the same', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    const [accused, challenger] = order
    await mined(await submit(accused))
    const id = await challenge(challenger)
    // Before the proposal passes the accused unbonds everything and withdraws it: nothing is left to slash.
    const stake = stakeOf(accused)
    await mined(
      await accused.wallet.writeContract({
        ...staking(),
        functionName: 'unbond',
        args: [stake],
      }),
    )
    await testClient.increaseTime({ seconds: Number(VERIFIERS.unbondingDelay) })
    await mined(await accused.wallet.writeContract({ ...staking(), functionName: 'withdraw' }))
    const receipt = await governChallenge('uphold', id)
    expect(eventsOf(receipt, 'ChallengeResolved')[0].args).toMatchObject({
      outcome: Outcome.Upheld,
    })
    expect(slashesIn(receipt)).toEqual([
      { verifier: accused.address, reporter: challenger.address, amount: 0n, toReporter: 0n },
    ])
    expect(eventsOf(receipt, 'SequencerChanged')[0].args).toMatchObject({
      previous: accused.address,
      next: challenger.address,
      reason: Change.Challenged,
    })
    expect(await isEjected(e, accused)).toBe(true)

    // A key that never staked, proven to equivocate: slashed for nothing, the proof stands.
    const parent = keccak256(toHex('block 6'))
    const [a, b] = [l2Header(7n, 'fork a', parent), l2Header(7n, 'fork b', parent)]
    const [sigA, sigB] = await Promise.all([a, b].map((h) => feedSignature(D, 901, h.hash)))
    const proof = await mined(
      await dev[4].writeContract({
        ...pool(),
        functionName: 'proveEquivocation',
        args: [901n, a.rlp, sigA, b.rlp, sigB],
      }),
    )
    expect(eventsOf(proof, 'EquivocationProven')[0].args.signer).toBe(D.address)
    expect(slashesIn(proof)).toEqual([
      { verifier: D.address, reporter: dev[4].account.address, amount: 0n, toReporter: 0n },
    ])
    expect(eventsOf(proof, 'SequencerChanged')).toEqual([])
    expect(await read.currentEpoch()).toBe(e)
  })

  test('behavior: a challenge the Governor dismisses changes nothing and loses its bond to the Timelock', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    const treasury = await relayer.getBalance({ address: d.dac.timelock })
    const id = await challenge(order[1], 'frivolous')
    const receipt = await governChallenge('dismiss', id)
    expect(eventsOf(receipt, 'ChallengeResolved')[0].args).toMatchObject({
      id,
      outcome: Outcome.Dismissed,
    })
    expect(eventsOf(receipt, 'SequencerChanged')).toEqual([])
    expect(slashesIn(receipt)).toEqual([])
    expect(await relayer.getBalance({ address: d.dac.timelock })).toBe(
      treasury + PARAMS.challengeBond,
    )
    expect((await read.turnOf(901n, e)).sequencer).toBe(order[0].address)
    expect(
      await relayer.readContract({ ...pool(), functionName: 'getChallenge', args: [id] }),
    ).toMatchObject({
      accused: order[0].address,
      epoch: e,
      chainId: 901n,
      challenger: order[1].address,
      outcome: Outcome.Dismissed,
    })
    await expectError(
      dev[3].writeContract({ ...pool(), functionName: 'resolve', args: [id] }),
      'ChallengeClosed',
      [id],
    )
  })
})
