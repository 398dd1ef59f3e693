import { parseEther, keccak256, hexToBytes as viemHexToBytes } from 'viem'
import { getWithdrawalHashStorageSlot, getWithdrawals, walletActionsL2 } from 'viem/op-stack'
import { describe, expect, test } from 'vitest'
import { verifyMerkleProof } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import { clients, KEYS } from './helpers.js'

const alice = clients(901, KEYS[0])
const PASSER = '0x4200000000000000000000000000000000000016'

// The L2 half of a withdrawal (issue 3): viem's op-stack initiateWithdrawal against the genesis
// L2ToL1MessagePasser, and the storage proof a portal on L1 checks.
describe('L2ToL1MessagePasser predeploy', () => {
  test('default: initiateWithdrawal records the message and eth_getProof proves it', async () => {
    const wallet = alice.wallet.extend(walletActionsL2())
    const hash = await wallet.initiateWithdrawal({
      request: { gas: 21_000n, to: alice.account.address, value: parseEther('1') },
    })
    const receipt = await alice.public.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    const [withdrawal] = getWithdrawals(receipt)
    expect(withdrawal).toMatchObject({
      sender: alice.account.address,
      target: alice.account.address,
      value: parseEther('1'),
    })
    // The value sits in the passer until anyone calls its burn() (Bedrock's design).
    expect(await alice.public.getBalance({ address: PASSER })).toBe(parseEther('1'))

    const slot = getWithdrawalHashStorageSlot({ withdrawalHash: withdrawal.withdrawalHash })
    expect(await alice.public.getStorageAt({ address: PASSER, slot })).toBe(
      `0x${'00'.repeat(31)}01`,
    )
    const proof = await alice.public.getProof({
      address: PASSER,
      storageKeys: [slot],
      blockNumber: receipt.blockNumber,
    })
    const value = await verifyMerkleProof(
      viemHexToBytes(keccak256(slot)),
      proof.storageProof[0].proof.map((p) => viemHexToBytes(p)),
      { root: viemHexToBytes(proof.storageHash) } as never,
    )
    expect(bytesToHex(RLP.decode(value!) as Uint8Array)).toBe('0x01')
  })
})
