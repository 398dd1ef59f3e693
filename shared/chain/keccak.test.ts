import { keccak256 as viemKeccak, bytesToHex } from 'viem'
import { describe, expect, test } from 'vitest'
import { keccak256 } from './keccak.js'
import { createChainCommon } from './chainCommon.js'

describe('keccak256', () => {
  test('default: equals viem/noble on lengths around the 136-byte rate, and the known empty hash', () => {
    expect(bytesToHex(keccak256(new Uint8Array()))).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    )
    for (const n of [1, 31, 32, 33, 135, 136, 137, 271, 272, 273, 532, 5000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff)
      expect(bytesToHex(keccak256(data))).toBe(viemKeccak(data))
    }
  })

  test('behavior: shard Commons hand it to ethereumjs', () => {
    expect(createChainCommon(901).customCrypto.keccak256).toBe(keccak256)
  })
})
