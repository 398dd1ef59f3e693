import { describe, expect, test } from 'vitest'
import { parseGwei, serializeTransaction } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { decodeRawTransaction, type RecoverPublicKey } from './decodeRawTransaction.js'

const alice = privateKeyToAccount(
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
)
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const sign = (over: Record<string, unknown> = {}) =>
  alice.signTransaction({
    chainId: 901,
    type: 'eip1559',
    nonce: 0,
    gas: 21000n,
    maxFeePerGas: parseGwei('2'),
    maxPriorityFeePerGas: 1n,
    to,
    value: 1n,
    ...over,
  } as never)

// The host-supplied recovery path (the Worker passes libsecp256k1 in WebAssembly); noble stands in here.
const nobleRecover: RecoverPublicKey = (hash, sig, recid) => {
  try {
    return secp256k1.Signature.fromBytes(sig, 'compact')
      .addRecoveryBit(recid)
      .recoverPublicKey(hash)
      .toBytes(false)
      .slice(1)
  } catch {
    return undefined
  }
}

describe('decodeRawTransaction', () => {
  test('behavior: a host recovery function gives the same sender for every transaction type', async () => {
    const legacy155 = await alice.signTransaction({
      chainId: 901,
      type: 'legacy',
      nonce: 0,
      gas: 21000n,
      gasPrice: parseGwei('2'),
      to,
    })
    const legacyPre155 = await alice.signTransaction({
      type: 'legacy',
      nonce: 0,
      gas: 21000n,
      gasPrice: parseGwei('2'),
      to,
    } as never)
    const eip2930 = await alice.signTransaction({
      chainId: 901,
      type: 'eip2930',
      nonce: 0,
      gas: 21000n,
      gasPrice: parseGwei('2'),
      to,
      accessList: [],
    })
    expect(() => decodeRawTransaction(legacyPre155, 901)).toThrow(
      'only replay-protected (EIP-155) transactions allowed over RPC',
    )
    for (const raw of [legacy155, eip2930, await sign()]) {
      const fast = decodeRawTransaction(raw, 901, nobleRecover)
      const slow = decodeRawTransaction(raw, 901)
      expect(fast.sender).toBe(alice.address.toLowerCase())
      expect(fast.pubkey).toEqual(slow.pubkey)
    }
    expect(() => decodeRawTransaction(legacy155, 901, () => undefined)).toThrow('invalid sender')
  })

  test('default: recovers the sender and hash', async () => {
    const d = decodeRawTransaction(await sign(), 901)
    expect(d.sender).toBe(alice.address.toLowerCase())
    expect(d.pubkey.length).toBe(64)
  })

  test('behavior: wrong chain id', async () => {
    expect(() => decodeRawTransaction('0x', 901)).toThrow('invalid argument 0')
    const raw = await sign({ chainId: 1 })
    expect(() => decodeRawTransaction(raw, 901)).toThrow(
      'invalid chain id for signer: have 1 want 901',
    )
  })

  test('behavior: bad signature, unsupported type, oversized, garbage', async () => {
    const unsigned = serializeTransaction({
      chainId: 901,
      type: 'eip1559',
      nonce: 0,
      gas: 21000n,
      maxFeePerGas: 10n,
      maxPriorityFeePerGas: 1n,
      to,
    })
    expect(() => decodeRawTransaction(unsigned, 901)).toThrow()
    expect(() => decodeRawTransaction('0x03c0', 901)).toThrow('transaction type not supported')
    expect(() => decodeRawTransaction(`0x02${'00'.repeat(140_000)}`, 901)).toThrow('oversized data')
    expect(() => decodeRawTransaction('0x02zz', 901)).toThrow('invalid argument 0')
    expect(() => decodeRawTransaction('0x02c3820385', 901)).toThrow('invalid argument 0')
  })

  test('behavior: tip above fee cap and EIP-7825 cap use geth wording', async () => {
    const big = await sign({ gas: 20_000_000n })
    expect(() => decodeRawTransaction(big, 901)).toThrow(
      'transaction gas limit too high (cap: 16777216, tx: 20000000)',
    )
  })
})
