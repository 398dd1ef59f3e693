import { describe, expect, test } from 'vitest'
import { Scheduler } from './scheduler.js'

describe('Scheduler', () => {
  test('default: the alarm is armed for the earliest job and each due job is taken once', () => {
    const s = new Scheduler<'seal' | 'l1' | 'index'>()
    expect(s.toArm()).toBeUndefined()
    s.at('l1', 2_000)
    s.at('seal', 1_000)
    expect(s.toArm()).toBe(1_000)
    // Armed for 1,000 already: a later job needs no new alarm.
    s.at('index', 5_000)
    expect(s.toArm()).toBeUndefined()
    expect(s.take(1_500)).toEqual(['seal'])
    expect(s.take(1_500)).toEqual([])
    // The alarm fired: the next one is armed for what is left.
    expect(s.toArm()).toBe(2_000)
    expect(s.take(10_000).sort()).toEqual(['index', 'l1'])
    expect(s.has('l1')).toBe(false)
  })

  test('behavior: an earlier time wins unless replaced; an earlier job re-arms the alarm', () => {
    const s = new Scheduler<'a' | 'b'>()
    s.at('a', 3_000)
    expect(s.toArm()).toBe(3_000)
    s.at('a', 4_000)
    expect(s.take(3_000)).toEqual(['a'])
    s.at('a', 3_000)
    s.at('a', 9_000, { replace: true })
    expect(s.take(3_000)).toEqual([])
    expect(s.toArm()).toBe(9_000)
    s.at('b', 1_000)
    expect(s.toArm()).toBe(1_000)
    s.cancel('a')
    expect(s.take(9_000)).toEqual(['b'])
  })
})
