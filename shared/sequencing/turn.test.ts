import { zeroAddress, type Address } from 'viem'
import { describe, expect, it } from 'vitest'
import { DRAIN_BLOCKS, dutyOf, poolStep, sameAccount, type Turn } from './turn.js'

const A = '0x00000000000000000000000000000000000000aa' as Address
const B = '0x00000000000000000000000000000000000000bb' as Address

const turn = (over: Partial<Turn>): Turn => ({
  head: 100n,
  epoch: 5n,
  holder: A,
  url: 'http://a',
  skippableAt: 108n,
  nextEpochStart: 120n,
  nextHolder: B,
  ...over,
})

describe('dutyOf', () => {
  it('the holder seals until DRAIN_BLOCKS before its epoch ends, unless it holds the next one too', () => {
    expect(dutyOf(turn({}), A)).toEqual({ holds: true, seal: true, skip: false })
    const late = turn({ head: 120n - DRAIN_BLOCKS })
    expect(dutyOf(late, A)).toEqual({ holds: true, seal: false, skip: false })
    expect(dutyOf({ ...late, nextHolder: A }, A).seal).toBe(true)
    expect(dutyOf(turn({ head: 120n - DRAIN_BLOCKS - 1n }), A).seal).toBe(true)
  })

  it('another operator skips the holder from skippableAt on; a keyless node never does', () => {
    expect(dutyOf(turn({ head: 107n }), B).skip).toBe(false)
    expect(dutyOf(turn({ head: 108n }), B)).toEqual({ holds: false, seal: false, skip: true })
    expect(dutyOf(turn({ head: 108n }), A).skip).toBe(false)
    expect(dutyOf(turn({ head: 108n }), undefined).skip).toBe(false)
  })

  it('nobody holds a turn with no holder, and there is no one to skip', () => {
    const none = turn({ holder: zeroAddress, head: 200n })
    expect(dutyOf(none, A)).toEqual({ holds: false, seal: false, skip: false })
    expect(dutyOf(none, zeroAddress).holds).toBe(false)
  })

  it('compares addresses whatever their case', () => {
    expect(sameAccount(A.toUpperCase().replace('0X', '0x') as Address, A)).toBe(true)
    expect(sameAccount(A, B)).toBe(false)
    expect(sameAccount(undefined, A)).toBe(false)
  })
})

describe('poolStep', () => {
  const base = { head: 50n, derivedThrough: 40n }
  it('a sequencer hands over when its turn has gone, and only then', () => {
    expect(poolStep({ ...base, role: 'sequencer', holds: false }).step).toBe('stepDown')
    expect(poolStep({ ...base, role: 'sequencer', holds: true }).step).toBe('none')
  })

  it('a peer whose turn began takes over once it has derived up to where it first saw the turn', () => {
    const first = poolStep({ ...base, role: 'peer', holds: true })
    expect(first).toEqual({ step: 'none', takeoverAt: 50n })
    // The L1 head moves on; the mark stays where the turn was first seen.
    const later = poolStep({
      role: 'peer',
      holds: true,
      head: 60n,
      derivedThrough: 49n,
      takeoverAt: 50n,
    })
    expect(later).toEqual({ step: 'none', takeoverAt: 50n })
    expect(
      poolStep({ role: 'peer', holds: true, head: 61n, derivedThrough: 50n, takeoverAt: 50n }).step,
    ).toBe('stepUp')
  })

  it('a peer out of its turn forgets a mark it had', () => {
    expect(poolStep({ ...base, role: 'peer', holds: false, takeoverAt: 30n })).toEqual({
      step: 'none',
    })
  })
})
