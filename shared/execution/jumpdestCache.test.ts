import { createEVM } from '@ethereumjs/evm'
import { hexToBytes } from '@ethereumjs/util'
import { bytesToHex } from 'viem'
import { describe, expect, test } from 'vitest'
// Not in the package's exports map: imported by file (see jumpdestCache.ts).
import { Interpreter } from '../../node_modules/@ethereumjs/evm/dist/esm/interpreter.js'
import { createChainCommon } from '../chain/chainCommon.js'
import './jumpdestCache.js'

describe('jump destination analysis memo', () => {
  test('default: installed on the interpreter the EVM runs', () => {
    const analyse = Interpreter.prototype._getValidJumpDestinations as { memoised?: boolean }
    expect(analyse.memoised).toBe(true)
  })

  test('behavior: the same code array runs the same twice; a bad jump still fails', async () => {
    const evm = await createEVM({ common: createChainCommon(901) })
    // PUSH1 4 JUMP INVALID JUMPDEST PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    const good = hexToBytes('0x600456fe5b602a60005260206000f3')
    for (let i = 0; i < 2; i++) {
      const r = await evm.runCode({ code: good, gasLimit: 100_000n })
      expect(r.exceptionError).toBeUndefined()
      expect(BigInt(bytesToHex(r.returnValue))).toBe(42n)
    }
    // PUSH1 3 JUMP INVALID: 3 is not a JUMPDEST
    const bad = hexToBytes('0x600356fe')
    for (let i = 0; i < 2; i++)
      expect((await evm.runCode({ code: bad, gasLimit: 100_000n })).exceptionError?.error).toMatch(
        /^invalid JUMP/,
      )
  })
})
