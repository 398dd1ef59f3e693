import { encodeFunctionData, parseEther, parseEventLogs, zeroAddress, type Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { dacTokenAbi, dacTokenBytecode } from '../../generated/contracts/DacToken.js'
import {
  dacTokenHarnessAbi,
  dacTokenHarnessBytecode,
} from '../../generated/contracts/DacTokenHarness.js'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { miningVaultAbi } from '../../generated/contracts/MiningVault.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { MINING_SUPPLY, TOKEN_CAP, devnetDac } from '../../scripts/dac-params.js'
import { dacWallet, revertOf, startDacDevnet, type DacDevnet } from './dac.fixtures.js'
import { devAccount } from './l1.fixtures.js'

/**
 * The DAC token and its mining vault on anvil, with time travel: the supply is the cap and minting
 * past it reverts; genesis holders vote at once and delegation moves voting power; the vault accrues
 * linearly over ten years and pays the verifiers' staking contract from the deployment on; without
 * a recipient (governance removed it) it pays nothing and keeps accruing; then it pays the recipient
 * governance names exactly what the schedule says at several points in time. And a proposal uses the
 * challenger's power to delete an output: an EOA proposer (dev 9) and the Timelock as challenger
 * stand in for the OutputQuorum here (`eoaProposer`), to test the oracle under the DAC alone.
 */

let devnet: DacDevnet
const YEAR = 365n * 86400n

beforeAll(async () => {
  devnet = await startDacDevnet({ eoaProposer: true })
})

afterAll(async () => {
  await devnet?.stop()
})

const token = () => ({ address: devnet.dac.token, abi: dacTokenAbi }) as const
const vault = () => ({ address: devnet.dac.miningVault, abi: miningVaultAbi }) as const

describe('DacToken', () => {
  test('default', async () => {
    const [reader] = devnet.dev
    const read = (functionName: 'totalSupply' | 'cap' | 'CLOCK_MODE' | 'symbol' | 'decimals') =>
      reader.readContract({ ...token(), functionName })
    expect(await Promise.all([read('totalSupply'), read('cap'), read('CLOCK_MODE')])).toEqual([
      TOKEN_CAP,
      parseEther('10000000'),
      'mode=timestamp',
    ])
    const balanceOf = (account: Address) =>
      reader.readContract({ ...token(), functionName: 'balanceOf', args: [account] })
    expect(await balanceOf(devnet.dac.miningVault)).toBe(MINING_SUPPLY)
    for (let i = 0; i < 10; i++) {
      expect(await balanceOf(devAccount(i).address)).toBe(parseEther('500000'))
      // Genesis holders start self-delegated: their votes count at once.
      expect(
        await reader.readContract({
          ...token(),
          functionName: 'getVotes',
          args: [devAccount(i).address],
        }),
      ).toBe(parseEther('500000'))
    }
    expect(await balanceOf(devnet.dac.timelock)).toBe(0n)
  })

  test('behavior: the cap holds: an allocation past it and a mint past it revert', async () => {
    const { deployer } = devnet
    const holder = devAccount(3).address
    const overCap = await revertOf(
      deployer.deployContract({
        abi: dacTokenAbi,
        bytecode: dacTokenBytecode,
        args: [devnet.dac.miningVault, devnet.dac.timelock, [holder], [MINING_SUPPLY + 1n]],
      }),
      dacTokenAbi,
    )
    expect(overCap).toEqual({
      abiItem: expect.anything(),
      errorName: 'ERC20ExceededCap',
      args: [TOKEN_CAP + 1n, TOKEN_CAP],
    })

    // A harness exposing _mint: what the allocations leave goes to the treasury, and then nothing mints.
    const hash = await deployer.deployContract({
      abi: dacTokenHarnessAbi,
      bytecode: dacTokenHarnessBytecode,
      args: [devnet.dac.miningVault, devnet.dac.timelock, [holder], [parseEther('1000000')]],
    })
    const receipt = await deployer.waitForTransactionReceipt({ hash })
    const harness = { address: receipt.contractAddress!, abi: dacTokenHarnessAbi } as const
    const [genesis] = parseEventLogs({ abi: dacTokenAbi, logs: receipt.logs, eventName: 'Genesis' })
    expect(genesis.args).toEqual({
      miningVault: devnet.dac.miningVault,
      treasury: devnet.dac.timelock,
      allocated: parseEther('1000000'),
      toTreasury: parseEther('4000000'),
    })
    expect(await deployer.readContract({ ...harness, functionName: 'totalSupply' })).toBe(TOKEN_CAP)
    const minted = await revertOf(
      deployer.writeContract({ ...harness, functionName: 'mint', args: [holder, 1n] }),
      dacTokenHarnessAbi,
    )
    expect(minted.errorName).toBe('ERC20ExceededCap')
    expect(minted.args).toEqual([TOKEN_CAP + 1n, TOKEN_CAP])
  })

  test('behavior: delegation gives voting power, and past votes stay as they were', async () => {
    const { dev, testClient } = devnet
    const fresh = privateKeyToAccount(`0x${'11'.repeat(32)}`)
    await testClient.setBalance({ address: fresh.address, value: parseEther('1') })
    const freshWallet = dacWallet(devnet.chain, fresh)
    const votes = (account: Address) =>
      dev[0].readContract({ ...token(), functionName: 'getVotes', args: [account] })
    const mined = async (hash: `0x${string}`) =>
      expect((await dev[0].waitForTransactionReceipt({ hash })).status).toBe('success')

    await mined(
      await dev[6].writeContract({
        ...token(),
        functionName: 'transfer',
        args: [fresh.address, parseEther('200000')],
      }),
    )
    // Tokens without delegation carry no votes; the sender's votes left with them.
    expect(await votes(fresh.address)).toBe(0n)
    expect(await votes(devAccount(6).address)).toBe(parseEther('300000'))
    // anvil may give blocks mined within a second the same timestamp: step past `before` first.
    const before = (await dev[0].getBlock()).timestamp
    await devnet.advance(1n)

    await mined(
      await freshWallet.writeContract({
        ...token(),
        functionName: 'delegate',
        args: [fresh.address],
      }),
    )
    expect(await votes(fresh.address)).toBe(parseEther('200000'))
    await mined(
      await freshWallet.writeContract({
        ...token(),
        functionName: 'delegate',
        args: [devAccount(7).address],
      }),
    )
    expect(await votes(fresh.address)).toBe(0n)
    expect(await votes(devAccount(7).address)).toBe(parseEther('700000'))
    await devnet.advance(1n)
    expect(
      await dev[0].readContract({
        ...token(),
        functionName: 'getPastVotes',
        args: [devAccount(7).address, before],
      }),
    ).toBe(parseEther('500000'))
  })
})

describe('MiningVault', () => {
  test('default', async () => {
    const [reader] = devnet.dev
    const read = <const name extends 'ALLOCATION' | 'DURATION' | 'recipient' | 'owner' | 'TOKEN'>(
      functionName: name,
    ) => reader.readContract({ ...vault(), functionName })
    expect(
      await Promise.all([
        read('ALLOCATION'),
        read('DURATION'),
        read('recipient'),
        read('owner'),
        read('TOKEN'),
      ]),
    ).toEqual([
      MINING_SUPPLY,
      10n * YEAR,
      devnet.deployment.verifiers.staking,
      devnet.dac.timelock,
      devnet.dac.token,
    ])
  })

  test('behavior: releases on the schedule to the staking contract, accrues without a recipient, then pays the one governance sets', async () => {
    const { dev, advance, passProposal } = devnet
    const [reader] = dev
    const start = await reader.readContract({ ...vault(), functionName: 'START' })
    const schedule = (t: bigint) =>
      t <= start
        ? 0n
        : t >= start + 10n * YEAR
          ? MINING_SUPPLY
          : (MINING_SUPPLY * (t - start)) / (10n * YEAR)
    // The schedule anyone can read, for any time.
    for (const t of [
      start,
      start + 1n,
      start + YEAR,
      start + 5n * YEAR,
      start + 10n * YEAR,
      start + 11n * YEAR,
    ])
      expect(
        await reader.readContract({ ...vault(), functionName: 'vestedAmount', args: [t] }),
      ).toBe(schedule(t))
    const balanceOf = (account: Address) =>
      reader.readContract({ ...token(), functionName: 'balanceOf', args: [account] })
    /** Releases (as dev 6) and returns the amount and the block's timestamp. */
    const release = async () => {
      const hash = await dev[6].writeContract({ ...vault(), functionName: 'release' })
      const receipt = await reader.waitForTransactionReceipt({ hash })
      expect(receipt.status).toBe('success')
      const { timestamp } = await reader.getBlock({ blockNumber: receipt.blockNumber })
      const [released] = parseEventLogs({
        abi: miningVaultAbi,
        logs: receipt.logs,
        eventName: 'Released',
      })
      return { ...released.args, timestamp }
    }
    const setRecipient = (recipient: Address, description: string) =>
      passProposal(
        [
          {
            target: devnet.dac.miningVault,
            data: encodeFunctionData({
              abi: miningVaultAbi,
              functionName: 'setRecipient',
              args: [recipient],
            }),
          },
        ],
        description,
      )

    // From the deployment on, what vested goes to the verifiers' staking contract: its reward reserve.
    const staking = devnet.deployment.verifiers.staking
    await advance(30n * 86400n)
    const first = await release()
    expect(first.recipient).toBe(staking)
    const toStaking = schedule(first.timestamp)
    expect(first.amount).toBe(toStaking)
    expect(await balanceOf(staking)).toBe(toStaking)
    expect(
      await reader.readContract({
        address: staking,
        abi: verifierStakingAbi,
        functionName: 'rewardReserve',
      }),
    ).toBe(toStaking)

    // Governance removes the recipient: release reverts and the vault keeps accruing.
    await setRecipient(zeroAddress, 'Stop mining rewards')
    expect(await reader.readContract({ ...vault(), functionName: 'recipient' })).toBe(zeroAddress)
    await advance(30n * 86400n)
    expect(
      (
        await revertOf(
          dev[5].writeContract({ ...vault(), functionName: 'release' }),
          miningVaultAbi,
        )
      ).errorName,
    ).toBe('NoRecipient')
    const { timestamp: now } = await reader.getBlock()
    expect(await reader.readContract({ ...vault(), functionName: 'releasable' })).toBe(
      schedule(now) - toStaking,
    )

    // Governance names another recipient (a stand-in for later reward contracts).
    const recipient = devAccount(5).address
    await setRecipient(recipient, 'Mining rewards go to dev 5 for now')
    expect(await reader.readContract({ ...vault(), functionName: 'recipient' })).toBe(recipient)
    const initial = await balanceOf(recipient)
    // Release at several points of the ten years: the recipient holds exactly the schedule's amount
    // less what the staking contract got.
    for (const step of [0n, YEAR, 4n * YEAR, 4n * YEAR + 86400n, 2n * YEAR]) {
      if (step > 0n) await advance(step)
      const released = await release()
      expect(released.recipient).toBe(recipient)
      expect((await balanceOf(recipient)) - initial).toBe(schedule(released.timestamp) - toStaking)
      expect(await reader.readContract({ ...vault(), functionName: 'released' })).toBe(
        schedule(released.timestamp),
      )
    }
    // The schedule ended: everything is out, and a second release in the same state finds nothing.
    expect((await balanceOf(recipient)) - initial).toBe(MINING_SUPPLY - toStaking)
    expect(await balanceOf(staking)).toBe(toStaking)
    expect(await balanceOf(devnet.dac.miningVault)).toBe(0n)
    expect(
      (
        await revertOf(
          dev[6].writeContract({ ...vault(), functionName: 'release' }),
          miningVaultAbi,
        )
      ).errorName,
    ).toBe('NothingToRelease')
  })
})

describe('the Timelock as challenger', () => {
  test('default: a proposal deletes an output that is not final yet', async () => {
    const { deployment, dev, passProposal } = devnet
    const oracle = { address: deployment.shards[0].l2OutputOracle, abi: l2OutputOracleAbi } as const
    const proposer = dacWallet(devnet.chain, devAccount(9))
    const next = await dev[0].readContract({ ...oracle, functionName: 'nextBlockNumber' })
    const index = await dev[0].readContract({ ...oracle, functionName: 'nextOutputIndex' })
    await proposer.waitForTransactionReceipt({
      hash: await proposer.writeContract({
        ...oracle,
        functionName: 'proposeL2Output',
        args: [`0x${'ab'.repeat(32)}`, next, `0x${'00'.repeat(32)}`, 0n],
      }),
    })
    await passProposal(
      [
        {
          target: oracle.address,
          data: encodeFunctionData({
            abi: l2OutputOracleAbi,
            functionName: 'deleteL2Outputs',
            args: [index],
          }),
        },
      ],
      'Delete a wrong output',
    )
    expect(await dev[0].readContract({ ...oracle, functionName: 'nextOutputIndex' })).toBe(index)
    expect(devnetDac.votingDelay + devnetDac.votingPeriod + devnetDac.timelockDelay).toBeLessThan(
      3600n,
    )
  })
})
