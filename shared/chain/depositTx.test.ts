import {
  decodeEventLog,
  decodeFunctionData,
  encodeAbiParameters,
  encodeEventTopics,
  encodePacked,
  keccak256,
  parseAbi,
  type Hex,
} from 'viem'
import { getL2TransactionHash } from 'viem/op-stack'
import { describe, expect, test } from 'vitest'
import {
  decodeDeposit,
  depositFromLog,
  depositHash,
  encodeDeposit,
  l1InfoDeposit,
  transactionDepositedEvent,
} from './depositTx.js'

const from = '0x90f79bf6eb2c4f870365e785982e1f101e93b906'
const to = '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65'

/** A portal log as L1 returns it: opaqueData = mint ‖ value ‖ gas ‖ isCreation ‖ data (version 0). */
function portalLog(opts: {
  mint: bigint
  value: bigint
  gas: bigint
  creation?: boolean
  data: Hex
}) {
  const opaque = encodePacked(
    ['uint256', 'uint256', 'uint64', 'bool', 'bytes'],
    [opts.mint, opts.value, opts.gas, opts.creation ?? false, opts.data],
  )
  return {
    topics: encodeEventTopics({
      abi: [transactionDepositedEvent],
      eventName: 'TransactionDeposited',
      args: { from, to, version: 0n },
    }) as [Hex, ...Hex[]],
    data: encodeAbiParameters([{ type: 'bytes' }], [opaque]),
    blockHash: keccak256('0x01'),
    logIndex: 7,
  }
}

describe('deposit transactions', () => {
  test('default: a portal log becomes the deposit whose hash viem computes for it', () => {
    const log = portalLog({ mint: 10n ** 18n, value: 5n, gas: 100_000n, data: '0xabcd' })
    const d = depositFromLog(log)
    expect(d).toMatchObject({
      from,
      to,
      mint: 10n ** 18n,
      value: 5n,
      gas: 100_000n,
      data: '0xabcd',
    })
    const { args } = decodeEventLog({ abi: [transactionDepositedEvent], ...log })
    expect(depositHash(d)).toBe(getL2TransactionHash({ log: { ...log, args } as never }))
    expect(decodeDeposit(encodeDeposit(d))).toEqual(d)
    expect(encodeDeposit(d).slice(0, 4)).toBe('0x7e')
  })

  test('behavior: a creation deposit has no `to`; a log of another version is refused', () => {
    const d = depositFromLog(
      portalLog({ mint: 0n, value: 0n, gas: 500_000n, creation: true, data: '0x6000' }),
    )
    expect(d.to).toBeUndefined()
    expect(decodeDeposit(encodeDeposit(d)).to).toBeUndefined()
    const v1 = portalLog({ mint: 0n, value: 0n, gas: 1n, data: '0x' })
    v1.topics[3] = `0x${'00'.repeat(31)}01`
    expect(() => depositFromLog(v1)).toThrow(/version/)
  })

  test('behavior: the L1-info deposit packs the origin in OP Ecotone order for L1Block', () => {
    const origin = {
      number: 1234n,
      hash: keccak256('0x02'),
      timestamp: 1_700_000_000n,
      baseFee: 7n,
    }
    const d = l1InfoDeposit(origin, 3n, '0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f')
    expect(d.from).toBe('0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001')
    expect(d.to).toBe('0x4200000000000000000000000000000000000015')
    expect(
      decodeFunctionData({
        abi: parseAbi(['function setL1BlockValuesEcotone()']),
        data: d.data.slice(0, 10) as Hex,
      }).functionName,
    ).toBe('setL1BlockValuesEcotone')
    // selector 4 ‖ scalars 4+4 ‖ seq 8 ‖ timestamp 8 ‖ number 8 ‖ basefee 32 ‖ blob basefee 32 ‖ hash 32 ‖ batcher 32
    // (the offsets L1Block's calldataload reads: 4, 20, 36, 68, 100, 132)
    expect((d.data.length - 2) / 2).toBe(4 + 160)
    const at = (offset: number, bytes: number) =>
      BigInt(`0x${d.data.slice(2 + offset * 2, 2 + (offset + bytes) * 2)}`)
    expect(at(12, 8)).toBe(3n)
    expect(at(20, 8)).toBe(origin.timestamp)
    expect(at(28, 8)).toBe(origin.number)
    expect(at(36, 32)).toBe(origin.baseFee)
    expect(`0x${d.data.slice(2 + 100 * 2, 2 + 132 * 2)}`).toBe(origin.hash)
    // Distinct sequence numbers give distinct deposits (source hash domain 1).
    expect(depositHash(l1InfoDeposit(origin, 4n, from))).not.toBe(depositHash(d))
  })
})
