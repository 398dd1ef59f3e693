import { verifyMerkleProof } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { createBlockHeaderFromRPC } from '@ethereumjs/block'
import { bytesToHex, createAccountFromRLP, hexToBytes } from '@ethereumjs/util'
import {
  decodeEventLog,
  encodeFunctionData,
  keccak256,
  parseEther,
  parseGwei,
  parseUnits,
  type Hex,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { testTokenAbi } from '../../generated/contracts/TestToken.js'
import { createChainCommon } from '../../shared/chain/chainCommon.js'
import { call, clients, deployToken, KEYS } from './helpers.js'

const alice = clients(901, KEYS[0])
const bob = clients(901, KEYS[1])

describe('ERC20 through viem', () => {
  test('default: deploy, transfer, approve and transferFrom', async () => {
    const token = await deployToken(alice)
    const t = { address: token, abi: testTokenAbi } as const
    const r1 = await alice.public.waitForTransactionReceipt({
      hash: await alice.wallet.writeContract({
        ...t,
        functionName: 'transfer',
        args: [bob.account.address, 100n],
      }),
    })
    expect(r1.logs).toHaveLength(1)
    const ev = decodeEventLog({ abi: testTokenAbi, ...r1.logs[0] })
    expect(ev.eventName).toBe('Transfer')
    await alice.public.waitForTransactionReceipt({
      hash: await alice.wallet.writeContract({
        ...t,
        functionName: 'approve',
        args: [bob.account.address, 50n],
      }),
    })
    await bob.public.waitForTransactionReceipt({
      hash: await bob.wallet.writeContract({
        ...t,
        functionName: 'transferFrom',
        args: [alice.account.address, bob.account.address, 30n],
      }),
    })
    expect(
      await alice.public.readContract({
        ...t,
        functionName: 'balanceOf',
        args: [bob.account.address],
      }),
    ).toBe(130n)
    expect(
      await alice.public.readContract({
        ...t,
        functionName: 'allowance',
        args: [alice.account.address, bob.account.address],
      }),
    ).toBe(20n)
  })

  test('behavior: revert reasons and custom errors reach viem', async () => {
    const token = await deployToken(alice)
    const t = { address: token, abi: testTokenAbi } as const
    await expect(
      alice.public.readContract({ ...t, functionName: 'failWithReason' }),
    ).rejects.toThrow('token: nope')
    await expect(
      bob.public.readContract({ ...t, functionName: 'guarded', account: bob.account }),
    ).rejects.toThrow('NotAllowed')
    const raw = await call('eth_call', [
      {
        to: token,
        data: encodeFunctionData({ abi: testTokenAbi, functionName: 'failWithReason' }),
      },
    ])
    expect(raw.error.code).toBe(3)
    expect(raw.error.message).toBe('execution reverted: token: nope')
    expect(raw.error.data).toMatch(/^0x08c379a0/)
  })

  test('behavior: estimateGas is the minimum that succeeds', async () => {
    const token = await deployToken(alice)
    const data = encodeFunctionData({
      abi: testTokenAbi,
      functionName: 'transfer',
      args: [bob.account.address, 1n],
    })
    const est = BigInt(
      (await call('eth_estimateGas', [{ from: alice.account.address, to: token, data }])).result,
    )
    expect(
      (
        await call('eth_call', [
          { from: alice.account.address, to: token, data, gas: `0x${est.toString(16)}` },
        ])
      ).result,
    ).toBeDefined()
    const below = await call('eth_estimateGas', [
      { from: alice.account.address, to: token, data, gas: `0x${(est - 1n).toString(16)}` },
    ])
    expect(below.error).toBeDefined()
  })

  test('eth_getProof verifies against the header state root', async () => {
    const token = await deployToken(alice)
    const block = await alice.public.getBlock()
    const slot = keccak256(
      `0x${'00'.repeat(12)}${alice.account.address.slice(2).toLowerCase()}${'00'.repeat(32)}` as Hex,
    )
    const proof = await alice.public.getProof({
      address: token,
      storageKeys: [slot],
      blockNumber: block.number,
    })
    // Account proof: the leaf under keccak(address) in the state trie is the RLP account the proof states.
    const leaf = await verifyMerkleProof(
      hexToBytes(keccak256(token)),
      proof.accountProof.map((p) => hexToBytes(p)),
      {
        root: hexToBytes(block.stateRoot),
      } as never,
    )
    const account = createAccountFromRLP(leaf!)
    expect(bytesToHex(account.storageRoot)).toBe(proof.storageHash)
    expect(bytesToHex(account.codeHash)).toBe(proof.codeHash)
    expect(account.nonce).toBe(BigInt(proof.nonce))
    // Storage proof: alice's balance (slot 0 mapping) is the whole supply.
    const stored = await verifyMerkleProof(
      hexToBytes(keccak256(slot)),
      proof.storageProof[0].proof.map((p) => hexToBytes(p)),
      {
        root: hexToBytes(proof.storageHash),
      } as never,
    )
    expect(BigInt(bytesToHex(RLP.decode(stored!) as Uint8Array))).toBe(parseUnits('1000000', 18))
    expect(proof.storageProof[0].value).toBe(parseUnits('1000000', 18))
  })

  test('block hashes are keccak of the RLP header', async () => {
    await alice.public.waitForTransactionReceipt({
      hash: await alice.wallet.sendTransaction({
        to: bob.account.address,
        value: parseEther('1'),
        maxPriorityFeePerGas: parseGwei('1'),
      }),
    })
    const raw = (await call('eth_getBlockByNumber', ['latest', false])).result
    const header = createBlockHeaderFromRPC(raw, { common: createChainCommon(901) })
    expect(bytesToHex(header.hash())).toBe(raw.hash)
  })
})
