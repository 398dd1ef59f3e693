import { describe, expect, test } from 'vitest'
import { MethodNotFoundError } from '../errors.js'
import { createEdgeDispatch, type EdgeContext } from './edgeMethods.js'
import { sequencerMethods } from './sequencerMethods.js'

/** Names every plain object answers through its prototype. */
const PROTOTYPE_NAMES = [
  'toString',
  'constructor',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
]

describe('method tables', () => {
  test('default: the sequencer table has its methods by own name', () => {
    expect(sequencerMethods.get('eth_call')).toBeTypeOf('function')
    expect(sequencerMethods.get('optimism_syncStatus')).toBeTypeOf('function')
  })

  test('behavior: prototype names are no method, at the sequencer and at the edge', async () => {
    // An edge whose every dependency fails the test if reached: an unknown method reaches none.
    const unreachable = () => {
      throw new Error('an unknown method reached the node')
    }
    const ctx = {
      chainId: 901,
      config: {},
      sequencer: { rpc: unreachable, submit: unreachable, submitSync: unreachable },
      feed: { rpc: unreachable },
      logs: unreachable,
    } as unknown as EdgeContext
    const dispatch = createEdgeDispatch(ctx)
    for (const name of PROTOTYPE_NAMES) {
      expect(sequencerMethods.has(name)).toBe(false)
      const err = await dispatch(name, []).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(MethodNotFoundError)
      expect((err as MethodNotFoundError).shortMessage).toBe(
        `the method ${name} does not exist/is not available`,
      )
    }
  })
})
