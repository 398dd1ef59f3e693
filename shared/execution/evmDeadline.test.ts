import { createBlockHeader } from '@ethereumjs/block'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createVM } from '@ethereumjs/vm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { describe, expect, test } from 'vitest'
import { createChainCommon } from '../chain/chainCommon.js'
import type { Execution } from './createExecution.js'
import { EvmTimeoutError, withEvmDeadline } from './evmDeadline.js'
import { simulate } from './simulate.js'

const common = createChainCommon(901)
const loop = new Address(hexToBytes('0x0000000000000000000000000000000000001000'))
const echo = new Address(hexToBytes('0x0000000000000000000000000000000000002000'))
// JUMPDEST PUSH1 0 JUMP: forever, 12 gas a turn.
const LOOP_CODE = hexToBytes('0x5b600056')
// STATICCALL(gas, 0x04 identity, in 0..32, out 0..32), RETURN(0, 32) of the word 0x2a: a precompile call.
const ECHO_CODE = hexToBytes('0x602a600052602060006020600060045afa5060206000f3')

async function setup() {
  const vm = await createVM({ common })
  const state = vm.stateManager as MerkleStateManager
  await state.putCode(loop, LOOP_CODE)
  await state.putCode(echo, ECHO_CODE)
  const header = createBlockHeader(
    { number: 1n, gasLimit: 30_000_000n, baseFeePerGas: 1n, timestamp: 1n },
    { common },
  )
  const exec = { vm, state, common, nodes: { discard() {} } } as unknown as Execution
  return { exec, vm, state, header }
}

describe('withEvmDeadline', () => {
  test('default: a call within the deadline runs as without one (precompiles included)', async () => {
    const { exec, vm, header } = await setup()
    const out = await withEvmDeadline(vm, 5_000, () =>
      simulate(exec, header, { to: echo.toString() }, 100_000n),
    )
    expect(out.execResult.exceptionError).toBeUndefined()
    expect(bytesToHex(out.execResult.returnValue)).toBe(`0x${'2a'.padStart(64, '0')}`)
  })

  test('behavior: an endless loop is aborted with geth wording, and the VM stays usable', async () => {
    const { exec, vm, state, header } = await setup()
    const started = Date.now()
    const err = await withEvmDeadline(vm, 100, () =>
      simulate(exec, header, { to: loop.toString() }, 16_000_000n),
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EvmTimeoutError)
    expect((err as EvmTimeoutError).shortMessage).toBe('execution aborted (timeout = 100ms)')
    expect((err as EvmTimeoutError).code).toBe(-32000)
    expect(Date.now() - started).toBeLessThan(5_000)
    // The journal unwound: the next run (no deadline) completes and sees the same state.
    const out = await simulate(exec, header, { to: echo.toString() }, 100_000n)
    expect(bytesToHex(out.execResult.returnValue)).toBe(`0x${'2a'.padStart(64, '0')}`)
    expect(bytesToHex(await state.getCode(loop))).toBe(bytesToHex(LOOP_CODE))
    // Without a deadline the same loop ends out of gas, as the EVM ends it.
    const gasBound = await withEvmDeadline(vm, 0, () =>
      simulate(exec, header, { to: loop.toString() }, 200_000n),
    )
    expect(gasBound.execResult.exceptionError?.error).toBe('out of gas')
  })

  test('behavior: geth prints the timeout as a Go duration', () => {
    expect(new EvmTimeoutError(5_000).shortMessage).toBe('execution aborted (timeout = 5s)')
    expect(new EvmTimeoutError(90_000).shortMessage).toBe('execution aborted (timeout = 1m30s)')
  })
})
