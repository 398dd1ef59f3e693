import { describe, expect, test } from 'vitest'
import { concatBytes } from '@ethereumjs/util'
import { bytesToHex, hexToBytes, keccak256, parseGwei, serializeTransaction } from 'viem'
import { RLP } from '@ethereumjs/rlp'
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
    const eip7702 = await alice.signTransaction({
      chainId: 901,
      type: 'eip7702',
      nonce: 0,
      gas: 100_000n,
      maxFeePerGas: parseGwei('2'),
      maxPriorityFeePerGas: 1n,
      to,
      accessList: [{ address: to, storageKeys: [`0x${'11'.repeat(32)}`] }],
      authorizationList: [
        await alice.signAuthorization({ contractAddress: to, chainId: 901, nonce: 1 }),
      ],
    })
    for (const raw of [legacy155, eip2930, await sign(), eip7702]) {
      const fast = decodeRawTransaction(raw, 901, nobleRecover)
      const slow = decodeRawTransaction(raw, 901)
      expect(fast.sender).toBe(alice.address.toLowerCase())
      expect(fast.pubkey).toEqual(slow.pubkey)
      // The hash is taken from the bytes; ethereumjs's re-serialisation must agree.
      expect(fast.hash).toBe(bytesToHex(fast.tx.hash()))
      expect(fast.hash).toBe(keccak256(raw))
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

  test('behavior: bytes that are not the canonical encoding of their fields are refused (so their hash is the transaction hash)', async () => {
    const [type, ...rest] = hexToBytes(await sign())
    const fields = RLP.decode(Uint8Array.from(rest)) as Uint8Array[]
    // An integer with a leading zero byte (nonce 0x0001).
    const padded = [...fields]
    padded[1] = Uint8Array.of(0, 1)
    expect(() =>
      decodeRawTransaction(bytesToHex(concatBytes(Uint8Array.of(type), RLP.encode(padded))), 901),
    ).toThrow('invalid argument 0: nonce cannot have leading zeroes')
    // A single byte under 0x80 given a string prefix (value 0x01 written 0x8101): the same fields
    // under another encoding, hence another hash.
    const items = fields.map((f, i) => (i === 6 ? Uint8Array.of(0x81, 0x01) : RLP.encode(f)))
    const payload = concatBytes(...items)
    const list = concatBytes(Uint8Array.of(0xf8, payload.length), payload)
    expect(() =>
      decodeRawTransaction(bytesToHex(concatBytes(Uint8Array.of(type), list)), 901),
    ).toThrow('invalid argument 0: rlp')
    // The canonical encoding of the same fields decodes.
    const canonical = concatBytes(Uint8Array.of(type), RLP.encode(fields))
    expect(decodeRawTransaction(bytesToHex(canonical), 901).sender).toBe(
      alice.address.toLowerCase(),
    )
  })

  test('behavior: tip above fee cap and EIP-7825 cap use geth wording', async () => {
    const big = await sign({ gas: 20_000_000n })
    expect(() => decodeRawTransaction(big, 901)).toThrow(
      'transaction gas limit too high (cap: 16777216, tx: 20000000)',
    )
  })
})
