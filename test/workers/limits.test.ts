import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, test } from 'vitest'
import genesis from '../../genesis.json'
import type { GenesisSpec } from '../../shared/chain/genesis.js'
import { ChainCore } from '../../shared/chain/chainCore.js'
import { LimitExceededError } from '../../shared/errors.js'
import { sequencerMethods, type CallLimits } from '../../shared/rpc/sequencerMethods.js'

/** Init code that loops forever (JUMPDEST PUSH1 0 JUMP): it runs until its gas is gone. */
const LOOP = '0x5b600056'
const limits: CallLimits = { rpcGasCap: 1_000_000n, rpcEvmTimeoutMs: 0, rpcTraceMaxBytes: 100_000 }

/** Calls one of the sequencer's JSON-RPC methods with `limits` unless others are given. */
type Call = (method: string, params: unknown[], limits?: CallLimits) => Promise<any>

/** A shard chain on a real Durable Object's SQLite, and a way to call its JSON-RPC methods. */
async function withChain(name: string, fn: (call: Call) => Promise<void>) {
  const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName(name))
  await runInDurableObject(stub, async (_instance, state) => {
    const chain = await ChainCore.open({
      sql: state.storage.sql,
      transact: (f) => state.storage.transactionSync(f),
      chainId: 901,
      genesis: genesis as GenesisSpec,
      blockGasLimit: 30_000_000n,
    })
    await fn((method, params, l) => sequencerMethods.get(method)!(chain, params, l ?? limits))
  })
}

describe('bounded cost per request', () => {
  test('default: RPC_GAS_CAP bounds eth_call, eth_createAccessList and debug_traceCall, a larger gas field included', async () => {
    await withChain('limits-gas-cap', async (call) => {
      const list = await call('eth_createAccessList', [{ data: LOOP, gas: '0x1000000' }])
      expect(list.gasUsed).toBe('0xf4240') // 1,000,000: the cap, not the 16.7M asked
      expect(list.error).toBe('out of gas')
      const trace = await call('debug_traceCall', [
        { data: LOOP },
        'latest',
        { tracer: 'callTracer' },
      ])
      expect(trace.gas).toBe('0xf4240')
      await expect(call('eth_call', [{ data: LOOP, gas: '0x1000000' }])).rejects.toThrow(
        'out of gas',
      )
      // Without the cap (0, as geth's), the chain's own cap applies: EIP-7825's 2^24.
      const uncapped = await call('eth_createAccessList', [{ data: LOOP }], {
        ...limits,
        rpcGasCap: 0n,
      })
      expect(uncapped.gasUsed).toBe('0x1000000')
    })
  })

  test('behavior: a struct-logger trace over RPC_TRACE_MAX_BYTES is -32005, a small one passes', async () => {
    await withChain('limits-trace-size', async (call) => {
      const err = await call('debug_traceCall', [{ data: LOOP, gas: '0x30d40' }]).catch(
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(LimitExceededError)
      expect((err as LimitExceededError).shortMessage).toBe(
        'trace too large: over 100000 bytes; disable the stack, memory or storage, or use callTracer',
      )
      const small = await call('debug_traceCall', [{ data: LOOP, gas: '0xd2f0' }])
      expect(small.structLogs.length).toBeGreaterThan(10)
      expect(JSON.stringify(small).length).toBeLessThan(100_000)
    })
  })
})
