import { zeroAddress, type Address } from 'viem'
import { describe, expect, it } from 'vitest'
import { sameWord, stallQuorum, stallWordOf, wordFromJson, wordToJson, type StallView } from './stall.js'

const H = '0x00000000000000000000000000000000000000aa' as Address
const B = '0x00000000000000000000000000000000000000bb' as Address
const C = '0x00000000000000000000000000000000000000cc' as Address

const view = (over: Partial<StallView>): StallView => ({
  chainId: 901n,
  epoch: 3n,
  holder: H,
  turnStart: 100n,
  maxSilence: 5n,
  head: 120n,
  derivedThrough: 119n,
  lastBatch: { last: 40, l1Block: 98 },
  ...over,
})

describe('stallWordOf', () => {
  it('default: maxSilence past the later of the turn start and the last accepted batch, at that batch\'s last block', () => {
    expect(stallWordOf(view({}))).toEqual({
      word: { chainId: 901n, epoch: 3n, holder: H, safeL2Block: 40n, l1Block: 105n },
    })
    expect(stallWordOf(view({ lastBatch: { last: 50, l1Block: 110 } }))).toMatchObject({
      word: { safeL2Block: 50n, l1Block: 115n },
    })
    expect(stallWordOf(view({ lastBatch: undefined }))).toMatchObject({
      word: { safeL2Block: 0n, l1Block: 105n },
    })
  })

  it('behavior: no word before derivation reaches it, while L1 is not past it, or without a holder', () => {
    expect(stallWordOf(view({ derivedThrough: 104n }))).toHaveProperty('reason')
    expect(stallWordOf(view({ head: 105n }))).toHaveProperty('reason')
    expect(stallWordOf(view({ holder: zeroAddress }))).toHaveProperty('reason')
  })

  it('behavior: two nodes that derived past the word at different heads sign the same word', () => {
    const a = stallWordOf(view({ head: 110n, derivedThrough: 106n }))
    const b = stallWordOf(view({ head: 130n, derivedThrough: 129n }))
    expect('word' in a && 'word' in b && sameWord(a.word, b.word)).toBe(true)
    if ('word' in a) expect(wordFromJson(wordToJson(a.word))).toEqual(a.word)
  })
})

describe('stallQuorum', () => {
  it('2/3 of the stake but the holder\'s; the holder\'s own signature does not count', () => {
    const holder = { account: H, stake: 300n, active: true }
    expect(stallQuorum([{ account: B, stake: 100n }, { account: C, stake: 200n }], 600n, holder)).toBe(true)
    expect(stallQuorum([{ account: C, stake: 199n }], 600n, holder)).toBe(false)
    expect(stallQuorum([{ account: C, stake: 200n }], 600n, holder)).toBe(true)
    expect(stallQuorum([{ account: H, stake: 300n }, { account: B, stake: 100n }], 600n, holder)).toBe(false)
    // An inactive holder's stake is not in the active stake.
    expect(stallQuorum([{ account: C, stake: 200n }], 300n, { ...holder, active: false })).toBe(true)
  })
})
