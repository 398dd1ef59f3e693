import { describe, expect, test } from 'vitest'
import { keccak256, toHex, type Hex } from 'viem'
import { parseSignedBlock, signBlock, toSignedBlockJson, isSignedBy } from './signedBlock.js'
import { privateKeyToAddress } from 'viem/accounts'

const key: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const block = {
  number: 5n,
  timestamp: 1_700_000_005n,
  l1OriginNumber: 12n,
  l1OriginHash: keccak256(toHex('origin')),
  txs: ['0x02f86b' as Hex],
}
const hash = keccak256(toHex('block'))
const parentHash = keccak256(toHex('parent'))

describe('the live feed wire form', () => {
  test('default: a signed block survives JSON and keeps its signer', async () => {
    const signed = await signBlock(key, 901, hash, parentHash, block)
    const wire = JSON.parse(JSON.stringify(toSignedBlockJson(signed)))
    expect(wire.coinbase).toBeUndefined()
    const back = parseSignedBlock(wire)!
    expect(back).toEqual(signed)
    expect(await isSignedBy(back, privateKeyToAddress(key))).toBe(true)
  })

  test('behavior: a block that names its fee recipient carries it', async () => {
    const coinbase = privateKeyToAddress(key).toLowerCase() as Hex
    const signed = await signBlock(key, 901, hash, parentHash, { ...block, coinbase })
    const wire = JSON.parse(JSON.stringify(toSignedBlockJson(signed)))
    expect(wire.coinbase).toBe(coinbase)
    expect(parseSignedBlock(wire)).toEqual(signed)
  })

  test.each([
    ['a 19-byte coinbase', { coinbase: '0x' + '11'.repeat(19) }],
    ['a coinbase that is not a string', { coinbase: 7 }],
    ['an unsigned block', { signature: undefined }],
    ['a quantity with a leading zero', { number: '0x05' }],
  ])('behavior: refuses %s', async (_, change) => {
    const wire = toSignedBlockJson(await signBlock(key, 901, hash, parentHash, block))
    expect(parseSignedBlock({ ...wire, ...change })).toBeUndefined()
  })
})
