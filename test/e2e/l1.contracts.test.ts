import { BaseError, decodeErrorResult, decodeEventLog, keccak256, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { batchInboxAbi } from '../../generated/contracts/BatchInbox.js'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { multicall3Abi } from '../../generated/contracts/Multicall3.js'
import { optimismPortalAbi } from '../../generated/contracts/OptimismPortal.js'
import { outputQuorumAbi } from '../../generated/contracts/OutputQuorum.js'
import { systemConfigAbi } from '../../generated/contracts/SystemConfig.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { deployL1 } from '../../scripts/deploy-l1.js'
import {
  INTERVAL,
  PERIOD,
  devAccount,
  expectRevert,
  revertOf,
  startL1Devnet,
  type L1Devnet,
  type L1Wallet,
} from './l1.fixtures.js'

/**
 * The L1 contracts as scripts/deploy-l1.ts deploys them on anvil: one set per shard, Multicall3
 * and the verifier contracts once, the OutputQuorum every oracle's proposer and challenger (the
 * fixture then puts an EOA proposer in its place); the batch inbox (batcher only) and the system
 * config (owner only, two-step ownership).
 * Deposits, the output oracle and withdrawals have their own files (l1.deposits, l1.oracle,
 * l1.withdrawals); viem's op-stack actions run in l1.viem.
 */

let devnet: L1Devnet
let deployment: L1Devnet['deployment']
let shard: L1Devnet['shard']
let owner: L1Devnet['owner']
let batcher: L1Devnet['batcher']
let proposer: L1Devnet['proposer']
let challenger: L1Devnet['challenger']
let user: L1Devnet['user']
let mined: L1Devnet['mined']

beforeAll(async () => {
  devnet = await startL1Devnet()
  ;({ deployment, shard, owner, batcher, proposer, challenger, user, mined } = devnet)
})

afterAll(async () => {
  await devnet?.stop()
})

describe('deployL1', () => {
  test('default', async () => {
    expect(deployment.l1ChainId).toBe(31337)
    expect(deployment.shards.map((s) => s.chainId)).toEqual([901, 902])
    const addresses = deployment.shards.flatMap((s) => [
      s.systemConfig,
      s.l2OutputOracle,
      s.portal,
      s.batchInbox,
    ])
    const shared = [
      deployment.multicall3,
      deployment.storageProofVerifier,
      ...Object.values(deployment.dac),
      ...Object.values(deployment.verifiers),
    ]
    expect(new Set([...addresses, ...shared]).size).toBe(16)
    for (const s of deployment.shards) {
      const config = { address: s.systemConfig, abi: systemConfigAbi } as const
      expect(await user.readContract({ ...config, functionName: 'l2ChainId' })).toBe(
        BigInt(s.chainId),
      )
      expect(await user.readContract({ ...config, functionName: 'owner' })).toBe(
        deployment.dac.timelock,
      )
      expect(await user.readContract({ ...config, functionName: 'batcher' })).toBe(
        devAccount(1).address,
      )
      expect(await user.readContract({ ...config, functionName: 'startBlock' })).toBe(
        s.l1StartBlock,
      )
      const portal = { address: s.portal, abi: optimismPortalAbi } as const
      expect(await user.readContract({ ...portal, functionName: 'version' })).toMatch(
        /^2\.\d+\.\d+$/,
      )
      expect(await user.readContract({ ...portal, functionName: 'paused' })).toBe(false)
      expect(await user.readContract({ ...portal, functionName: 'l2Oracle' })).toBe(
        s.l2OutputOracle,
      )
      expect(await user.readContract({ ...portal, functionName: 'L2_ORACLE' })).toBe(
        s.l2OutputOracle,
      )
      expect(await user.readContract({ ...portal, functionName: 'l2Sender' })).toBe(
        '0x000000000000000000000000000000000000dEaD',
      )
      const oracle = { address: s.l2OutputOracle, abi: l2OutputOracleAbi } as const
      const [interval, blockTime, period, proposerAddress, challengerAddress, start] =
        await Promise.all([
          user.readContract({ ...oracle, functionName: 'SUBMISSION_INTERVAL' }),
          user.readContract({ ...oracle, functionName: 'l2BlockTime' }),
          user.readContract({ ...oracle, functionName: 'FINALIZATION_PERIOD_SECONDS' }),
          user.readContract({ ...oracle, functionName: 'PROPOSER' }),
          user.readContract({ ...oracle, functionName: 'challenger' }),
          user.readContract({ ...oracle, functionName: 'startingTimestamp' }),
        ])
      expect({ interval, blockTime, period, proposerAddress, challengerAddress, start }).toEqual({
        interval: INTERVAL,
        blockTime: 1n,
        period: PERIOD,
        // The fixture's stand-ins for the OutputQuorum (startL1Devnet).
        proposerAddress: devAccount(2).address,
        challengerAddress: deployment.dac.timelock,
        start: 1735689600n,
      })
      // As deployed: the OutputQuorum is the proposer and the challenger.
      const deployed = { blockNumber: devnet.deployedAt } as const
      expect(s.proposer).toBe(deployment.verifiers.quorum)
      for (const functionName of ['PROPOSER', 'CHALLENGER'] as const)
        expect(await user.readContract({ ...oracle, functionName, ...deployed })).toBe(
          deployment.verifiers.quorum,
        )
      for (const functionName of ['proposer', 'challenger'] as const)
        expect(await user.readContract({ ...config, functionName, ...deployed })).toBe(
          deployment.verifiers.quorum,
        )
      expect(
        await user.readContract({
          address: deployment.verifiers.quorum,
          abi: outputQuorumAbi,
          functionName: 'chainIdOf',
          args: [s.l2OutputOracle],
        }),
      ).toBe(BigInt(s.chainId))
    }
  })

  test('behavior: Multicall3 serves viem multicall', async () => {
    const [balance, chainId] = await user.multicall({
      allowFailure: false,
      contracts: [
        {
          address: deployment.multicall3,
          abi: multicall3Abi,
          functionName: 'getEthBalance',
          args: [devAccount(9).address],
        },
        { address: deployment.multicall3, abi: multicall3Abi, functionName: 'getChainId' },
      ],
    })
    expect(balance).toBe(await user.getBalance({ address: devAccount(9).address }))
    expect(chainId).toBe(31337n)
  })

  test('behavior: reuses a given Multicall3 and rejects an address without code', async () => {
    const again = await deployL1(devnet.deployer, {
      chainIds: [903],
      multicall3: deployment.multicall3,
    })
    expect(again.multicall3).toBe(deployment.multicall3)
    expect(again.shards[0].chainId).toBe(903)
    expect(again.shards[0].proposer).toBe(again.verifiers.quorum)
    expect(again.verifiers.quorum).not.toBe(deployment.verifiers.quorum)
    await expect(
      deployL1(devnet.deployer, { chainIds: [904], multicall3: devAccount(9).address }),
    ).rejects.toThrow(/no contract at multicall3/)
  })

  test("behavior: the staking's slashers are the quorum and the pool, with or without genesis donations", async () => {
    // The pool is deployed last, after one donateETH per shard when there is a genesis lock: its
    // address, which the staking takes first, is predicted from the deployer's nonce either way.
    const withLock = await deployL1(devnet.deployer, {
      chainIds: [905, 906, 907],
      multicall3: deployment.multicall3,
      genesisLock: 7n,
    })
    for (const d of [deployment, withLock]) {
      const staking = { address: d.verifiers.staking, abi: verifierStakingAbi } as const
      expect(await user.readContract({ ...staking, functionName: 'QUORUM' })).toBe(
        d.verifiers.quorum,
      )
      expect(await user.readContract({ ...staking, functionName: 'POOL' })).toBe(d.sequencing.pool)
    }
    for (const s of withLock.shards) expect(await user.getBalance({ address: s.portal })).toBe(7n)
  })
})

describe('BatchInbox', () => {
  const batch = `0x00${'c0ffee'.repeat(50)}` as Hex

  test('default', async () => {
    const receipt = await mined(
      await batcher.sendTransaction({ to: shard.batchInbox, data: batch }),
    )
    const [log] = receipt.logs
    expect(decodeEventLog({ abi: batchInboxAbi, ...log })).toEqual({
      eventName: 'BatchSubmitted',
      args: { batchHash: keccak256(batch), batcher: batcher.account.address },
    })
  })

  test('behavior: rejects other senders, empty batches and ether', async () => {
    const call = (wallet: L1Wallet, data: Hex, value = 0n) =>
      wallet.call({ to: shard.batchInbox, data, value })
    for (const wallet of [user, proposer, owner])
      await expectRevertData(call(wallet, batch), 'BatchInbox: sender is not the batcher')
    await expectRevertData(call(batcher, '0x'), 'BatchInbox: empty batch')
    await expect(call(batcher, batch, 1n)).rejects.toThrow()
    // A batch that starts like a function selector is still a batch: the inbox has no functions.
    await mined(await batcher.sendTransaction({ to: shard.batchInbox, data: '0x8da5cb5b' }))
  })

  test('behavior: follows the batcher in SystemConfig', async () => {
    const config = { address: shard.systemConfig, abi: systemConfigAbi } as const
    await mined(
      await owner.writeContract({
        ...config,
        functionName: 'setBatcher',
        args: [user.account.address],
      }),
    )
    await mined(await user.sendTransaction({ to: shard.batchInbox, data: batch }))
    await expectRevertData(
      batcher.call({ to: shard.batchInbox, data: batch }),
      'BatchInbox: sender is not the batcher',
    )
    await mined(
      await owner.writeContract({
        ...config,
        functionName: 'setBatcher',
        args: [batcher.account.address],
      }),
    )
  })

  /** Reverts of a plain call carry the data but no ABI: decode Error(string) from the raw data. */
  async function expectRevertData(action: Promise<unknown>, reason: string) {
    const err = await action.then(
      () => undefined,
      (e: unknown) => e,
    )
    if (!(err instanceof BaseError))
      expect.fail(`expected a revert with "${reason}", got ${String(err)}`)
    const withData = err.walk((e) => typeof (e as { data?: unknown }).data === 'string') as {
      data: Hex
    } | null
    expect(withData).not.toBeNull()
    expect(decodeErrorResult({ abi: [], data: withData!.data }).args).toEqual([reason])
  }
})

describe('SystemConfig', () => {
  const config = () => ({ address: shard.systemConfig, abi: systemConfigAbi }) as const

  test('default', async () => {
    await mined(
      await owner.writeContract({ ...config(), functionName: 'setGasLimit', args: [60_000_000n] }),
    )
    expect(await user.readContract({ ...config(), functionName: 'gasLimit' })).toBe(60_000_000n)
    // The owner is the (impersonated) Timelock, a JSON-RPC account: simulate to see the revert.
    const setGasLimit = (gasLimit: bigint) =>
      owner.simulateContract({
        ...config(),
        account: owner.account,
        functionName: 'setGasLimit',
        args: [gasLimit],
      })
    await expectRevert(setGasLimit(20_999_999n), 'SystemConfig: gas limit too low')
    await expectRevert(setGasLimit(200_000_001n), 'SystemConfig: gas limit too high')
  })

  test('behavior: only the owner sets, and ownership moves in two steps', async () => {
    const err = await user
      .writeContract({ ...config(), functionName: 'setProposer', args: [user.account.address] })
      .catch((e: unknown) => e)
    expect(revertOf(err).data).toMatchObject({
      errorName: 'OwnableUnauthorizedAccount',
      args: [user.account.address],
    })
    await mined(
      await owner.writeContract({
        ...config(),
        functionName: 'transferOwnership',
        args: [user.account.address],
      }),
    )
    expect(await user.readContract({ ...config(), functionName: 'owner' })).toBe(
      owner.account.address,
    )
    await mined(await user.writeContract({ ...config(), functionName: 'acceptOwnership' }))
    expect(await user.readContract({ ...config(), functionName: 'owner' })).toBe(
      user.account.address,
    )
    await mined(
      await user.writeContract({
        ...config(),
        functionName: 'setChallenger',
        args: [user.account.address],
      }),
    )
    const oracle = { address: shard.l2OutputOracle, abi: l2OutputOracleAbi } as const
    expect(await user.readContract({ ...oracle, functionName: 'CHALLENGER' })).toBe(
      user.account.address,
    )
    await mined(
      await user.writeContract({
        ...config(),
        functionName: 'setChallenger',
        args: [challenger.account.address],
      }),
    )
  })
})
