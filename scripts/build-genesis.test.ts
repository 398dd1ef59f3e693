import { expect, test } from 'vitest'
import genesis from '../genesis.json'
import { PREDEPLOYS } from './build-genesis.js'

test('genesis.json carries the predeploys exactly as compiled (run npm run build:genesis after a change)', () => {
  const alloc = genesis.alloc as Record<string, { code?: string }>
  for (const [address, code] of Object.entries(PREDEPLOYS)) expect(alloc[address]?.code).toBe(code)
})
