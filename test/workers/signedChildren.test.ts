import { env, runInDurableObject } from 'cloudflare:test'
import { keccak256, toHex } from 'viem'
import { expect, test } from 'vitest'
import { SignedChildren } from '../../shared/sequencing/signedChildren.js'

// The sequencer key's one rule (SequencerPool slashes its break): one signed child per parent, kept
// in the node's SQLite across restarts.

const parent = keccak256(toHex('parent'))
const mine = keccak256(toHex('my block'))
const theirs = keccak256(toHex('the block L1 put there'))

test('behavior: a parent gets one signed child; asking again for it is fine, for another is refused, after a restart too', async () => {
  const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName('signed-children'))
  await runInDurableObject(stub, async (_i, state) => {
    const children = new SignedChildren(state.storage.sql)
    expect(children.claim(parent, mine, 54n)).toBe(true)
    expect(children.claim(parent, mine, 54n)).toBe(true)
    expect(children.claim(parent, theirs, 54n)).toBe(false)
    expect(children.claim(mine, theirs, 55n)).toBe(true)
    // A new instance on the same storage (the object restarted) keeps the rule.
    const again = new SignedChildren(state.storage.sql)
    expect(again.claim(parent, theirs, 54n)).toBe(false)
    expect(again.claim(parent, mine, 54n)).toBe(true)
  })
})
