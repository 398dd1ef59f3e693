import {
  encodeFunctionData,
  encodePacked,
  getAddress,
  parseEther,
  parseEventLogs,
  type Hex,
} from 'viem'
import {
  depositTransaction,
  extractTransactionDepositedLogs,
  getL2TransactionHashes,
  opaqueDataToDepositData,
} from 'viem/op-stack'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { multicall3Abi } from '../../generated/contracts/Multicall3.js'
import { optimismPortalAbi } from '../../generated/contracts/OptimismPortal.js'
import { devAccount, expectRevert, startL1Devnet, type L1Devnet } from './l1.fixtures.js'

/**
 * OptimismPortal.depositTransaction on anvil: the TransactionDeposited encoding Bedrock nodes and
 * viem read (version 0, opaqueData packed), aliasing of contract callers, and the limits: minimum
 * gas, 120,000 bytes of data, 20M deposit gas per L1 block.
 */

const ALIAS_OFFSET = 0x1111000000000000000000000000000000001111n

let devnet: L1Devnet
let deployment: L1Devnet['deployment']
let shard: L1Devnet['shard']
let user: L1Devnet['user']
let testClient: L1Devnet['testClient']
let mined: L1Devnet['mined']

beforeAll(async () => {
  devnet = await startL1Devnet()
  ;({ deployment, shard, user, testClient, mined } = devnet)
})

afterAll(async () => {
  await devnet?.stop()
})

describe('OptimismPortal.depositTransaction', () => {
  const portal = () => ({ address: shard.portal, abi: optimismPortalAbi }) as const

  test('default', async () => {
    const to = devAccount(7).address
    const data = '0xdeadbeef' as Hex
    const hash = await user.writeContract({
      ...portal(),
      functionName: 'depositTransaction',
      args: [to, 5n, 50_000n, false, data],
      value: 7n,
    })
    const receipt = await mined(hash)
    const [log] = parseEventLogs({
      abi: optimismPortalAbi,
      logs: receipt.logs,
      eventName: 'TransactionDeposited',
    })
    expect(getAddress(log.address)).toBe(shard.portal)
    expect(log.args).toEqual({
      from: user.account.address,
      to,
      version: 0n,
      opaqueData: encodePacked(
        ['uint256', 'uint256', 'uint64', 'bool', 'bytes'],
        [7n, 5n, 50_000n, false, data],
      ),
    })
    expect(opaqueDataToDepositData(log.args.opaqueData)).toEqual({
      mint: 7n,
      value: 5n,
      gas: 50_000n,
      isCreation: false,
      data,
    })
    expect(extractTransactionDepositedLogs({ logs: receipt.logs })).toHaveLength(1)
    expect(getL2TransactionHashes(receipt)).toHaveLength(1)
  })

  test('behavior: viem depositTransaction and plain ether transfers (100,000 L2 gas) deposit', async () => {
    const to = devAccount(8).address
    const viaViem = await depositTransaction(user, {
      portalAddress: shard.portal,
      request: { to, mint: parseEther('1'), gas: 21_000n },
    })
    const [viemLog] = extractTransactionDepositedLogs(await mined(viaViem))
    expect(opaqueDataToDepositData(viemLog.args.opaqueData!)).toMatchObject({
      mint: parseEther('1'),
      value: parseEther('1'),
      gas: 21_000n,
    })

    const viaTransfer = await user.sendTransaction({ to: shard.portal, value: 3n })
    const [log] = extractTransactionDepositedLogs(await mined(viaTransfer))
    expect(log.args.from).toBe(user.account.address)
    expect(log.args.to).toBe(user.account.address)
    expect(opaqueDataToDepositData(log.args.opaqueData!)).toEqual({
      mint: 3n,
      value: 3n,
      gas: 100_000n,
      isCreation: false,
      data: '0x',
    })
  })

  test('behavior: a contract caller is aliased', async () => {
    const call = encodeFunctionData({
      abi: optimismPortalAbi,
      functionName: 'depositTransaction',
      args: [devAccount(7).address, 0n, 21_000n, false, '0x'],
    })
    const hash = await user.writeContract({
      address: deployment.multicall3,
      abi: multicall3Abi,
      functionName: 'aggregate3Value',
      args: [[{ target: shard.portal, allowFailure: false, value: 2n, callData: call }]],
      value: 2n,
    })
    const [log] = extractTransactionDepositedLogs(await mined(hash))
    const alias = getAddress(
      `0x${((BigInt(deployment.multicall3) + ALIAS_OFFSET) % 2n ** 160n).toString(16).padStart(40, '0')}`,
    )
    expect(log.args.from).toBe(alias)
    expect(opaqueDataToDepositData(log.args.opaqueData!).mint).toBe(2n)
  })

  test('behavior: contract creation deposits go to address(0)', async () => {
    const hash = await user.writeContract({
      ...portal(),
      functionName: 'depositTransaction',
      args: ['0x0000000000000000000000000000000000000000', 0n, 100_000n, true, '0x6000'],
    })
    const [log] = extractTransactionDepositedLogs(await mined(hash))
    expect(opaqueDataToDepositData(log.args.opaqueData!).isCreation).toBe(true)
    await expectRevert(
      user.writeContract({
        ...portal(),
        functionName: 'depositTransaction',
        args: [devAccount(7).address, 0n, 100_000n, true, '0x6000'],
      }),
      'OptimismPortal: must send to address(0) when creating a contract',
    )
  })

  test('behavior: gas limit below byteCount * 16 + 21000 reverts', async () => {
    const data = `0x${'ab'.repeat(100)}` as Hex
    expect(
      await user.readContract({ ...portal(), functionName: 'minimumGasLimit', args: [100n] }),
    ).toBe(22_600n)
    await expectRevert(
      user.writeContract({
        ...portal(),
        functionName: 'depositTransaction',
        args: [devAccount(7).address, 0n, 22_599n, false, data],
      }),
      'OptimismPortal: gas limit too small',
    )
    await mined(
      await user.writeContract({
        ...portal(),
        functionName: 'depositTransaction',
        args: [devAccount(7).address, 0n, 22_600n, false, data],
      }),
    )
  })

  test('behavior: more than 120,000 bytes of data reverts', async () => {
    const gas = 120_001n * 16n + 21_000n
    await expectRevert(
      user.writeContract({
        ...portal(),
        functionName: 'depositTransaction',
        args: [devAccount(7).address, 0n, gas, false, `0x${'01'.repeat(120_001)}`],
      }),
      'OptimismPortal: data too large',
    )
    await mined(
      await user.writeContract({
        ...portal(),
        functionName: 'depositTransaction',
        args: [devAccount(7).address, 0n, gas, false, `0x${'01'.repeat(120_000)}`],
      }),
    )
  })

  test('behavior: at most 20M deposit gas per L1 block', async () => {
    await testClient.mine({ blocks: 1 }) // no deposit in the block the simulation builds on
    await expectRevert(
      user.writeContract({
        ...portal(),
        functionName: 'depositTransaction',
        args: [devAccount(7).address, 0n, 20_000_001n, false, '0x'],
      }),
      'ResourceMetering: cannot buy more gas than available gas limit',
    )
    const call = (gas: bigint) =>
      encodeFunctionData({
        abi: optimismPortalAbi,
        functionName: 'depositTransaction',
        args: [devAccount(7).address, 0n, gas, false, '0x'],
      })
    const { result } = await user.simulateContract({
      address: deployment.multicall3,
      abi: multicall3Abi,
      functionName: 'aggregate3',
      args: [
        [15_000_000n, 5_000_000n, 1n].map((gas) => ({
          target: shard.portal,
          allowFailure: true,
          callData: call(gas),
        })),
      ],
    })
    expect(result.map((r) => r.success)).toEqual([true, true, false])
  })
})
