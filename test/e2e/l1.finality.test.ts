import { keccak256, parseEventLogs } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  l2OutputOracleHarnessAbi,
  l2OutputOracleHarnessBytecode,
} from '../../generated/contracts/L2OutputOracleHarness.js'
import {
  optimismPortalAbi,
  optimismPortalBytecode,
} from '../../generated/contracts/OptimismPortal.js'
import {
  INTERVAL,
  PERIOD,
  buildL2State,
  devAccount,
  expectRevert,
  startL1Devnet,
  withHash,
  type L1Devnet,
} from './l1.fixtures.js'

/**
 * The fast-finality seam (DESIGN.md "Fast finality"): L2OutputOracle._markOutputFinal, called here
 * through a test harness in place of the later verifier-quorum contract, makes an output final at
 * once: the portal finalizes its withdrawals without waiting, and the challenger cannot delete it
 * or any output before it.
 */

let devnet: L1Devnet
let deployment: L1Devnet['deployment']
let shard: L1Devnet['shard']
let deployer: L1Devnet['deployer']
let challenger: L1Devnet['challenger']
let user: L1Devnet['user']
let mined: L1Devnet['mined']
let propose: L1Devnet['propose']

beforeAll(async () => {
  devnet = await startL1Devnet()
  ;({ deployment, shard, deployer, challenger, user, mined, propose } = devnet)
})

afterAll(async () => {
  await devnet?.stop()
})

describe('fast finality seam', () => {
  test('default', async () => {
    // A harness oracle whose _markOutputFinal anyone calls, and a portal on it.
    const { timestamp } = await user.getBlock()
    const oracleHash = await deployer.deployContract({
      abi: l2OutputOracleHarnessAbi,
      bytecode: l2OutputOracleHarnessBytecode,
      args: [shard.systemConfig, INTERVAL, 1n, 0n, timestamp - 1000n, keccak256('0x00'), PERIOD],
    })
    const oracle = {
      address: (await mined(oracleHash)).contractAddress!,
      abi: l2OutputOracleHarnessAbi,
    } as const
    const portalHash = await deployer.deployContract({
      abi: optimismPortalAbi,
      bytecode: optimismPortalBytecode,
      args: [oracle.address, shard.systemConfig, deployment.storageProofVerifier],
    })
    const portal = {
      address: (await mined(portalHash)).contractAddress!,
      abi: optimismPortalAbi,
    } as const
    await mined(await user.writeContract({ ...portal, functionName: 'donateETH', value: 10n }))

    const w = withHash({
      nonce: 9n,
      sender: devAccount(5).address,
      target: devAccount(9).address,
      value: 10n,
      gasLimit: 21_000n,
      data: '0x',
    })
    const state = await buildL2State([w.withdrawalHash], { noise: 5 })
    const first = await propose(keccak256('0x01'), oracle.address)
    const index = await propose(state.outputRoot, oracle.address)
    await mined(
      await user.writeContract({
        ...portal,
        functionName: 'proveWithdrawalTransaction',
        args: [w, index, state.outputRootProof, state.proofs.get(w.withdrawalHash)!],
      }),
    )
    const finalize = () =>
      user.writeContract({ ...portal, functionName: 'finalizeWithdrawalTransaction', args: [w] })
    await expectRevert(
      finalize(),
      'OptimismPortal: proven withdrawal finalization period has not elapsed',
    )

    await expectRevert(
      user.writeContract({
        ...oracle,
        functionName: 'markOutputFinal',
        args: [index, keccak256('0x01')],
      }),
      'L2OutputOracle: output root mismatch',
    )
    const receipt = await mined(
      await user.writeContract({
        ...oracle,
        functionName: 'markOutputFinal',
        args: [index, state.outputRoot],
      }),
    )
    const [log] = parseEventLogs({
      abi: l2OutputOracleHarnessAbi,
      logs: receipt.logs,
      eventName: 'OutputFinalizedEarly',
    })
    expect(log.args).toEqual({ l2OutputIndex: index, outputRoot: state.outputRoot })
    expect(
      await user.readContract({ ...portal, functionName: 'isOutputFinalized', args: [index] }),
    ).toBe(true)
    expect(
      await user.readContract({ ...oracle, functionName: 'isOutputFinalized', args: [first] }),
    ).toBe(false)

    // Final at once: the withdrawal finalizes now, and neither it nor an earlier output can be deleted.
    const before = await user.getBalance({ address: w.target })
    await mined(await finalize())
    expect((await user.getBalance({ address: w.target })) - before).toBe(10n)
    for (const i of [index, first])
      await expectRevert(
        challenger.writeContract({ ...oracle, functionName: 'deleteL2Outputs', args: [i] }),
        'L2OutputOracle: cannot delete outputs that have already been finalized',
      )
    const later = await propose(keccak256('0x03'), oracle.address)
    await mined(
      await challenger.writeContract({ ...oracle, functionName: 'deleteL2Outputs', args: [later] }),
    )
  })
})
