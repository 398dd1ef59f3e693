import type { BlockHeader } from '@ethereumjs/block'
import type { RunTxResult } from '@ethereumjs/vm'
import { getActivePrecompiles } from '@ethereumjs/evm'
import type { Hex } from 'viem'
import { ExecutionError } from '../errors.js'
import { EvmTimeoutError } from './evmDeadline.js'
import type { CallRequest } from '../rpc/params.js'
import type { Execution } from './createExecution.js'
import { assertCallSucceeded, callGasCap, simulate } from './simulate.js'

/**
 * eth_estimateGas: the smallest gas limit with which the call succeeds (a binary search like geth's,
 * run to the exact minimum). A call that fails at the cap throws its revert or VM error.
 */
export async function estimateGas(
  exec: Execution,
  header: BlockHeader,
  req: CallRequest,
  max: bigint = callGasCap(exec.common, header),
): Promise<bigint> {
  const cap = req.gas !== undefined && req.gas < max ? req.gas : max
  const atCap = await simulate(exec, header, req, cap)
  assertCallSucceeded(atCap)
  const ok = async (gas: bigint) => {
    try {
      return !(await simulate(exec, header, req, gas)).execResult.exceptionError
    } catch (err) {
      if (err instanceof EvmTimeoutError) throw err
      return false
    }
  }
  // Gas used before refunds is a lower bound; 64/63 of it (plus the stipend margin) is usually enough.
  let lo = atCap.totalGasSpent - 1n
  let hi = cap
  const guess = ((atCap.totalGasSpent + (atCap.gasRefund ?? 0n) + 2300n) * 64n) / 63n
  if (guess < hi) {
    if (await ok(guess)) hi = guess
    else lo = guess
  }
  while (lo + 1n < hi) {
    const mid = (lo + hi) / 2n
    if (await ok(mid)) hi = mid
    else lo = mid
  }
  return hi
}

/** eth_createAccessList: the slots a call touches (geth leaves out sender, recipient and precompiles). */
export async function createAccessList(
  exec: Execution,
  header: BlockHeader,
  req: CallRequest,
  max: bigint = callGasCap(exec.common, header),
): Promise<{
  accessList: { address: Hex; storageKeys: Hex[] }[]
  gasUsed: bigint
  error?: string
}> {
  const gas = req.gas !== undefined && req.gas < max ? req.gas : max
  const excluded = new Set<string>([
    ...[...getActivePrecompiles(exec.common).keys()].map((a) => `0x${a}`),
    (req.from ?? '0x0000000000000000000000000000000000000000').toLowerCase(),
  ])
  if (req.to) excluded.add(req.to.toLowerCase())
  let list: { address: Hex; storageKeys: Hex[] }[] = req.accessList ?? []
  let result: RunTxResult | undefined
  // Adding the list changes gas and so can change the path: iterate to a fixed point, like geth.
  for (let i = 0; i < 5; i++) {
    result = await simulate(exec, header, { ...req, accessList: list }, gas, {
      reportAccessList: true,
    })
    const next = (result.accessList ?? [])
      .filter((e) => !excluded.has(e.address.toLowerCase()))
      .map((e) => ({
        address: e.address.toLowerCase() as Hex,
        storageKeys: e.storageKeys as Hex[],
      }))
    if (JSON.stringify(next) === JSON.stringify(list)) break
    list = next
  }
  if (!result) throw new ExecutionError('access list creation failed')
  const err = result.execResult.exceptionError
  return {
    accessList: list,
    gasUsed: result.totalGasSpent,
    ...(err ? { error: err.error === 'revert' ? 'execution reverted' : err.error } : {}),
  }
}
