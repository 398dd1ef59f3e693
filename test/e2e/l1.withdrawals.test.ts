import {
  encodeFunctionData,
  getAddress,
  keccak256,
  parseEther,
  parseEventLogs,
  type Hex,
} from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { multicall3Abi } from '../../generated/contracts/Multicall3.js'
import { optimismPortalAbi } from '../../generated/contracts/OptimismPortal.js'
import {
  PERIOD,
  buildL2State,
  devAccount,
  expectRevert,
  revertOf,
  startL1Devnet,
  withHash,
  type L1Devnet,
  type L1Wallet,
  type Withdrawal,
} from './l1.fixtures.js'

/**
 * OptimismPortal withdrawals on anvil against L2 states built here with @ethereumjs/mpt (a secure
 * storage trie of the L2ToL1MessagePasser holding sentMessages[hash] = 1): prove and finalize, and
 * each rejection with Bedrock's revert string (wrong proof, replayed proof, early or second finalize,
 * output not yet proposed, replaced output). The fast-finality seam is in l1.finality.
 */

let devnet: L1Devnet
let deployment: L1Devnet['deployment']
let shard: L1Devnet['shard']
let challenger: L1Devnet['challenger']
let user: L1Devnet['user']
let mined: L1Devnet['mined']
let propose: L1Devnet['propose']
let advance: L1Devnet['advance']

beforeAll(async () => {
  devnet = await startL1Devnet()
  ;({ deployment, shard, challenger, user, mined, propose, advance } = devnet)
})

afterAll(async () => {
  await devnet?.stop()
})

describe('OptimismPortal withdrawals', () => {
  const portal = () => ({ address: shard.portal, abi: optimismPortalAbi }) as const
  const recipient = getAddress(keccak256('0x5e1f').slice(0, 42))
  const sender = devAccount(5).address
  let paid: Withdrawal
  let failing: Withdrawal
  let replaced: Withdrawal
  let unsent: Withdrawal
  let l2: Awaited<ReturnType<typeof buildL2State>>
  let index: bigint

  const prove = (
    wallet: L1Wallet,
    w: Withdrawal,
    outputIndex: bigint,
    proof = l2.proofs.get(w.withdrawalHash)!,
    outputRootProof = l2.outputRootProof,
  ) =>
    wallet.writeContract({
      ...portal(),
      functionName: 'proveWithdrawalTransaction',
      args: [w, outputIndex, outputRootProof, proof],
    })
  const finalize = (w: Withdrawal) =>
    user.writeContract({ ...portal(), functionName: 'finalizeWithdrawalTransaction', args: [w] })

  beforeAll(async () => {
    paid = withHash({
      nonce: 1n,
      sender,
      target: recipient,
      value: parseEther('0.5'),
      gasLimit: 100_000n,
      data: '0x',
    })
    // Multicall3.aggregate3Value([]) with value fails ("value mismatch"): a withdrawal whose call fails.
    const badCall = encodeFunctionData({
      abi: multicall3Abi,
      functionName: 'aggregate3Value',
      args: [[]],
    })
    failing = withHash({
      nonce: 2n,
      sender,
      target: deployment.multicall3,
      value: 1n,
      gasLimit: 200_000n,
      data: badCall,
    })
    replaced = withHash({
      nonce: 3n,
      sender,
      target: recipient,
      value: 1n,
      gasLimit: 21_000n,
      data: '0x',
    })
    unsent = withHash({
      nonce: 4n,
      sender,
      target: recipient,
      value: 1n,
      gasLimit: 21_000n,
      data: '0x',
    })
    l2 = await buildL2State([paid, failing, replaced].map((w) => w.withdrawalHash))
    await mined(
      await user.writeContract({ ...portal(), functionName: 'donateETH', value: parseEther('2') }),
    )
  })

  test('default', async () => {
    // The hashes the portal computes are viem's.
    expect(
      await user.readContract({ ...portal(), functionName: 'hashWithdrawal', args: [paid] }),
    ).toBe(paid.withdrawalHash)
    expect(
      await user.readContract({
        ...portal(),
        functionName: 'hashOutputRootProof',
        args: [l2.outputRootProof],
      }),
    ).toBe(l2.outputRoot)

    index = await propose(l2.outputRoot)
    const receipt = await mined(await prove(user, paid, index))
    const [proven] = parseEventLogs({
      abi: optimismPortalAbi,
      logs: receipt.logs,
      eventName: 'WithdrawalProven',
    })
    expect(proven.args).toEqual({
      withdrawalHash: paid.withdrawalHash,
      from: sender,
      to: recipient,
    })
    const { timestamp } = await user.getBlock({ blockNumber: receipt.blockNumber })
    expect(
      await user.readContract({
        ...portal(),
        functionName: 'provenWithdrawals',
        args: [paid.withdrawalHash],
      }),
    ).toEqual([l2.outputRoot, timestamp, index])

    await expectRevert(
      finalize(paid),
      'OptimismPortal: proven withdrawal finalization period has not elapsed',
    )
    await advance(PERIOD + 1n)
    const before = await user.getBalance({ address: recipient })
    const finalized = await mined(await finalize(paid))
    const [log] = parseEventLogs({
      abi: optimismPortalAbi,
      logs: finalized.logs,
      eventName: 'WithdrawalFinalized',
    })
    expect(log.args).toEqual({ withdrawalHash: paid.withdrawalHash, success: true })
    expect((await user.getBalance({ address: recipient })) - before).toBe(paid.value)
    expect(
      await user.readContract({
        ...portal(),
        functionName: 'finalizedWithdrawals',
        args: [paid.withdrawalHash],
      }),
    ).toBe(true)
  })

  test('behavior: a replayed proof and a second finalize are rejected', async () => {
    await expectRevert(
      prove(user, paid, index),
      'OptimismPortal: withdrawal hash has already been proven',
    )
    await expectRevert(finalize(paid), 'OptimismPortal: withdrawal has already been finalized')
  })

  test('behavior: wrong proofs are rejected', async () => {
    // Another withdrawal's proof, an unsent withdrawal, a truncated or tampered proof.
    const otherProof = l2.proofs.get(failing.withdrawalHash)!
    const proof = l2.proofs.get(replaced.withdrawalHash)!
    const tampered = [...proof.slice(0, -1), `${proof.at(-1)!.slice(0, -2)}02` as Hex]
    for (const [w, p] of [
      [replaced, otherProof],
      [unsent, proof],
      [replaced, proof.slice(0, -1)],
      [replaced, tampered],
      [replaced, []],
    ] as const)
      await expectRevert(
        prove(user, w, index, [...p]),
        'OptimismPortal: invalid withdrawal inclusion proof',
      )
    // A valid proof that the withdrawal's slot holds 2, not 1.
    const two = await buildL2State([unsent.withdrawalHash], {
      values: { [unsent.withdrawalHash]: 2 },
    })
    const twoIndex = await propose(two.outputRoot)
    await expectRevert(
      prove(user, unsent, twoIndex, two.proofs.get(unsent.withdrawalHash)!, two.outputRootProof),
      'OptimismPortal: invalid withdrawal inclusion proof',
    )
    await expectRevert(
      prove(user, replaced, index, proof, { ...l2.outputRootProof, stateRoot: keccak256('0x00') }),
      'OptimismPortal: invalid output root proof',
    )
    await expectRevert(
      prove(user, replaced, index, proof, {
        ...l2.outputRootProof,
        version: `0x${'00'.repeat(31)}01`,
      }),
      'OptimismPortal: invalid output root proof',
    )
    await expectRevert(
      prove(user, { ...replaced, target: shard.portal }, index, proof),
      'OptimismPortal: you cannot send messages to the portal contract',
    )
  })

  test('behavior: an output not yet proposed cannot be proven against; an unproven withdrawal cannot be finalized', async () => {
    const oracle = { address: shard.l2OutputOracle, abi: l2OutputOracleAbi } as const
    const next = await user.readContract({ ...oracle, functionName: 'nextOutputIndex' })
    const err = await prove(user, replaced, next).catch((e: unknown) => e)
    expect(revertOf(err).data).toMatchObject({ errorName: 'Panic', args: [0x32n] })
    const nextBlock = await user.readContract({ ...oracle, functionName: 'nextBlockNumber' })
    await expectRevert(
      user.readContract({ ...oracle, functionName: 'getL2OutputIndexAfter', args: [nextBlock] }),
      'L2OutputOracle: cannot get output for a block that has not been proposed',
    )
    await expectRevert(finalize(unsent), 'OptimismPortal: withdrawal has not been proven yet')
  })

  test('behavior: a failing call still finalizes the withdrawal, once', async () => {
    const portalBalance = await user.getBalance({ address: shard.portal })
    await mined(await prove(user, failing, index))
    await advance(PERIOD + 1n)
    const receipt = await mined(await finalize(failing))
    const [log] = parseEventLogs({
      abi: optimismPortalAbi,
      logs: receipt.logs,
      eventName: 'WithdrawalFinalized',
    })
    expect(log.args).toEqual({ withdrawalHash: failing.withdrawalHash, success: false })
    expect(await user.getBalance({ address: shard.portal })).toBe(portalBalance)
    await expectRevert(finalize(failing), 'OptimismPortal: withdrawal has already been finalized')
  })

  test('behavior: a proof against a replaced output can be redone, and only the new one finalizes', async () => {
    const bogus = keccak256('0x0bad')
    const badIndex = await propose(bogus)
    // The challenger replaces the bogus output with the right one, and `replaced` is proven there.
    const { outputRoot } = l2
    await mined(
      await challenger.writeContract({
        address: shard.l2OutputOracle,
        abi: l2OutputOracleAbi,
        functionName: 'deleteL2Outputs',
        args: [badIndex],
      }),
    )
    expect(await propose(outputRoot)).toBe(badIndex)
    await mined(await prove(user, replaced, badIndex))
    // The challenger replaces that output again: the proof no longer finalizes, but may be redone.
    await mined(
      await challenger.writeContract({
        address: shard.l2OutputOracle,
        abi: l2OutputOracleAbi,
        functionName: 'deleteL2Outputs',
        args: [badIndex],
      }),
    )
    expect(await propose(bogus)).toBe(badIndex)
    await advance(PERIOD + 1n)
    await expectRevert(
      finalize(replaced),
      'OptimismPortal: output root proven is not the same as current output root',
    )
    await mined(await prove(user, replaced, index))
    await expectRevert(
      finalize(replaced),
      'OptimismPortal: proven withdrawal finalization period has not elapsed',
    )
    await advance(PERIOD + 1n)
    await mined(await finalize(replaced))
  })

  test('behavior: isOutputFinalized follows the finalization period of the output', async () => {
    const fresh = withHash({
      nonce: 5n,
      sender,
      target: recipient,
      value: 1n,
      gasLimit: 21_000n,
      data: '0x',
    })
    const state = await buildL2State([fresh.withdrawalHash], {
      noise: 3,
      blockHash: keccak256('0x02'),
    })
    const outputIndex = await propose(state.outputRoot)
    await mined(
      await prove(
        user,
        fresh,
        outputIndex,
        state.proofs.get(fresh.withdrawalHash)!,
        state.outputRootProof,
      ),
    )
    expect(
      await user.readContract({
        ...portal(),
        functionName: 'isOutputFinalized',
        args: [outputIndex],
      }),
    ).toBe(false)
    await advance(PERIOD + 1n)
    expect(
      await user.readContract({
        ...portal(),
        functionName: 'isOutputFinalized',
        args: [outputIndex],
      }),
    ).toBe(true)
    await mined(await finalize(fresh))
  })
})
