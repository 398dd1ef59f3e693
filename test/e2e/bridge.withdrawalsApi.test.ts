import {
  concat,
  encodeAbiParameters,
  encodeEventTopics,
  keccak256,
  numberToHex,
  parseAbiParameters,
  parseEther,
  size,
  toHex,
  type Address,
  type Hex,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { getWithdrawals } from 'viem/op-stack'
import { describe, expect, test } from 'vitest'
import { l2ToL1MessagePasserPredeployAbi } from '../../generated/contracts/L2ToL1MessagePasserPredeploy.js'
import { optimismPortalAbi } from '../../generated/contracts/OptimismPortal.js'
import type { WithdrawalReport } from '../../shared/settlement/withdrawalStatus.js'
import { bridgeClients, useBridgeDevnet, withdrawalFromJson } from './bridge.fixtures.js'

/**
 * The withdrawal-proof API (GET /withdrawals/<l2TxHash>) against the whole devnet: a withdrawal
 * initiated with viem is followed through every status, and proven on L1 with nothing but the
 * JSON's arguments, as a client without viem's op-stack actions would.
 */

const d = useBridgeDevnet()

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${d.node.url}${path}`)
  return { status: res.status, body: await res.json() }
}

/** Polls the first shard's API until the transaction's one withdrawal reaches `status`; records each status seen. */
async function waitForStatus(hash: Hex, status: string, seen: string[]): Promise<WithdrawalReport> {
  for (const end = Date.now() + 60_000; Date.now() < end;) {
    const res = await get(`/withdrawals/${hash}`)
    expect(res).toMatchObject({ status: 200 })
    const report = res.body as WithdrawalReport
    expect(report.withdrawals).toHaveLength(1)
    if (seen.at(-1) !== report.withdrawals[0].status) seen.push(report.withdrawals[0].status)
    if (report.withdrawals[0].status === status) return report
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`withdrawal ${hash} not ${status} within 60 s; seen ${seen.join(', ')}`)
}

describe('GET /withdrawals/:hash', () => {
  test('default: every status in turn; the JSON alone proves on L1, viem finalizes', async () => {
    const { account, l1, l2 } = bridgeClients(d, 6)
    const recipient = privateKeyToAccount(generatePrivateKey()).address
    const amount = parseEther('0.1')
    // A deposit first, so the ETH withdrawn came over the bridge (the portal also backs genesis ETH).
    const deposit = await l1.depositTransaction({
      request: { gas: 100_000n, mint: amount, to: account.address },
      targetChain: d.l2Chain,
    })
    expect((await l1.waitForTransactionReceipt({ hash: deposit })).status).toBe('success')
    const hash = await l2.initiateWithdrawal({
      request: { gas: 21_000n, to: recipient, value: amount },
    })
    const receipt = await l2.waitForTransactionReceipt({ hash })
    const [withdrawal] = getWithdrawals(receipt)

    const first = await get(`/withdrawals/${hash}`)
    // Whole-response match: a failure shows the error body.
    expect(first).toMatchObject({ status: 200, body: { chainId: 901, transactionHash: hash } })
    expect(first.body.withdrawals).toHaveLength(1)
    expect(first.body.withdrawals[0]).toMatchObject({
      withdrawal: {
        nonce: toHex(withdrawal.nonce),
        sender: withdrawal.sender,
        target: recipient,
        value: toHex(amount),
        gasLimit: toHex(21_000n),
        data: '0x',
        withdrawalHash: withdrawal.withdrawalHash,
      },
      l2BlockNumber: toHex(receipt.blockNumber),
    })
    expect(['waiting-to-prove', 'ready-to-prove']).toContain(first.body.withdrawals[0].status)
    const seen: string[] = [first.body.withdrawals[0].status]

    const ready = await waitForStatus(hash, 'ready-to-prove', seen)
    // Both routes answer the same for the first shard.
    expect((await get(`/chain/901/withdrawals/${hash}`)).body).toEqual(ready)
    const { withdrawal: w, prove } = ready.withdrawals[0]
    // The arguments are exactly what viem's op-stack would build.
    const output = await l1.getL2Output({
      l2BlockNumber: receipt.blockNumber,
      targetChain: d.l2Chain,
    })
    const viemArgs = await l2.buildProveWithdrawal({ output, withdrawal })
    expect(prove).toEqual({
      function: 'proveWithdrawalTransaction',
      portal: d.deployment.shards[0].portal,
      l2OutputIndex: toHex(viemArgs.l2OutputIndex),
      outputRootProof: viemArgs.outputRootProof,
      withdrawalProof: viemArgs.withdrawalProof,
    })

    // Prove with the JSON only: hex quantities back to bigints, nothing from viem/op-stack.
    const proveHash = await l1.writeContract({
      address: prove!.portal,
      abi: optimismPortalAbi,
      functionName: prove!.function,
      args: [
        withdrawalFromJson(w),
        BigInt(prove!.l2OutputIndex),
        prove!.outputRootProof,
        prove!.withdrawalProof,
      ],
    })
    const proven = await l1.waitForTransactionReceipt({ hash: proveHash, pollingInterval: 200 })
    expect(proven.status).toBe('success')
    // The finalization period (seconds, set by the fixtures) runs from the proof's L1 block.
    const after = (await get(`/withdrawals/${hash}`)).body as WithdrawalReport
    expect(after.withdrawals[0].status).toBe('waiting-to-finalize')
    expect(after.withdrawals[0].prove).toBeUndefined()
    seen.push('waiting-to-finalize')

    await waitForStatus(hash, 'ready-to-finalize', seen)
    const finalizeHash = await l1.finalizeWithdrawal({ targetChain: d.l2Chain, withdrawal })
    expect((await l1.waitForTransactionReceipt({ hash: finalizeHash })).status).toBe('success')
    const done = await waitForStatus(hash, 'finalized', seen)
    expect(done.withdrawals[0].prove).toBeUndefined()
    expect(await l1.getBalance({ address: recipient })).toBe(amount)
    // Statuses only move forward.
    const order = [
      'waiting-to-prove',
      'ready-to-prove',
      'waiting-to-finalize',
      'ready-to-finalize',
      'finalized',
    ]
    expect(seen).toEqual(order.slice(order.indexOf(seen[0])))
  }, 120_000)

  test('behavior: a transaction without a withdrawal has an empty list', async () => {
    const { l2 } = bridgeClients(d, 6)
    const hash = await l2.sendTransaction({ to: l2.account.address, value: 1n })
    await l2.waitForTransactionReceipt({ hash })
    expect(await get(`/withdrawals/${hash}`)).toEqual({
      status: 200,
      body: { chainId: 901, transactionHash: hash, withdrawals: [] },
    })
  })

  test('behavior: a MessagePassed log from another contract is no withdrawal', async () => {
    const { l2 } = bridgeClients(d, 6)
    const hash = await l2.sendTransaction({ data: forgedMessagePassed(l2.account.address) })
    const receipt = await l2.waitForTransactionReceipt({ hash })
    // viem's getWithdrawals alone would take it for one.
    expect(getWithdrawals(receipt)).toHaveLength(1)
    expect((await get(`/withdrawals/${hash}`)).body.withdrawals).toEqual([])
  })

  test('behavior: errors are JSON with a status, never a 500', async () => {
    const unknown = `0x${'ab'.repeat(32)}`
    expect(await get('/withdrawals/0x1234')).toEqual({
      status: 400,
      body: { error: 'malformed transaction hash 0x1234: expected 0x and 64 hex digits' },
    })
    expect((await get(`/chain/901/withdrawals/${unknown}zz`)).status).toBe(400)
    expect(await get(`/withdrawals/${unknown}`)).toEqual({
      status: 404,
      body: { error: `transaction ${unknown} not found` },
    })
    expect(await get(`/chain/999/withdrawals/${unknown}`)).toEqual({
      status: 404,
      body: { error: 'unknown chain id 999; served: 901, 902' },
    })
    expect(await get(`/chain/902/withdrawals/${unknown}`)).toEqual({
      status: 404,
      body: { error: 'shard 902 settles on no L1' },
    })
  })

  test('behavior: L1 down is a 503; a transaction without withdrawals still answers', async () => {
    const { l2 } = bridgeClients(d, 6)
    const hash = await l2.initiateWithdrawal({
      request: { gas: 21_000n, to: l2.account.address, value: 1n },
    })
    const plain = await l2.sendTransaction({ to: l2.account.address, value: 1n })
    await l2.waitForTransactionReceipt({ hash: plain })
    await l2.waitForTransactionReceipt({ hash })
    await d.anvil.stop()
    const res = await get(`/withdrawals/${hash}`)
    expect(res.status).toBe(503)
    expect(res.body.error).toMatch(/^L1 request failed: /)
    // Without a withdrawal there is nothing to ask L1.
    expect((await get(`/withdrawals/${plain}`)).body).toEqual({
      chainId: 901,
      transactionHash: plain,
      withdrawals: [],
    })
  })
})

/**
 * Init code that emits a well-formed `MessagePassed` from the contract being created (not the
 * L2ToL1MessagePasser): CODECOPY the ABI-encoded data after the code into memory, then LOG4.
 */
function forgedMessagePassed(sender: Address): Hex {
  const topics = encodeEventTopics({
    abi: l2ToL1MessagePasserPredeployAbi,
    eventName: 'MessagePassed',
    args: { nonce: 0n, sender, target: sender },
  }) as Hex[]
  const data = encodeAbiParameters(parseAbiParameters('uint256, uint256, bytes, bytes32'), [
    1n,
    21_000n,
    '0x',
    keccak256('0x01'),
  ])
  const length = numberToHex(size(data), { size: 2 })
  const codeSize = numberToHex(9 + 4 * 33 + 7, { size: 2 })
  const pushTopics = topics.toReversed().flatMap((t) => ['0x7f', t] as Hex[])
  return concat([
    ...['0x61', length, '0x61', codeSize, '0x600039'],
    ...pushTopics,
    ...['0x61', length, '0x6000a400', data],
  ] as Hex[])
}
