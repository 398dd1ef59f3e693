import type { Block } from '@ethereumjs/block'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, hexToBytes } from '@ethereumjs/util'
import { runTx, type RunTxResult } from '@ethereumjs/vm'
import type { DepositTx } from '../chain/depositTx.js'
import type { Execution } from './createExecution.js'

/** A deposit's outcome: the run result when it executed, and the sender's nonce it consumed. */
export type DepositOutcome = {
  deposit: DepositTx
  /** The nonce the deposit used (receipts report it as `depositNonce`). */
  depositNonce: bigint
  /** Gas the deposit counts in the block. */
  gasUsed: bigint
  /** The run (status, logs, created address); undefined when the deposit failed before executing. */
  result?: RunTxResult
}

/**
 * Executes a deposit with OP Stack (Regolith+) semantics: `mint` is credited to `from` first and
 * persists whatever happens; the call runs as `from` with `gas`, paying no gas price and no base
 * fee; a deposit that cannot execute at all (gas below intrinsic, value above the balance, gas above
 * the per-transaction cap) still consumes its sender's nonce and counts its whole gas limit, with
 * status 0. `env` is the block with a zero base fee (deposits are not priced).
 */
export async function runDeposit(
  exec: Execution,
  d: DepositTx,
  env: Block,
  blockGasUsed: bigint,
): Promise<DepositOutcome> {
  const { vm, state } = exec
  const from = new Address(hexToBytes(d.from))
  const depositNonce = await mintDeposit(exec, d)
  try {
    const tx = depositCall(exec, d, depositNonce)
    const result = await runTx(vm, {
      tx,
      block: env,
      blockGasUsed,
      skipHardForkValidation: true,
      skipBlockGasLimitValidation: true,
    })
    return { deposit: d, depositNonce, gasUsed: result.totalGasSpent, result }
  } catch {
    const after = (await state.getAccount(from)) ?? new Account()
    after.nonce = depositNonce + 1n
    await state.putAccount(from, after)
    return { deposit: d, depositNonce, gasUsed: d.gas }
  }
}

/** Credits a deposit's mint to its sender (before anything else it does); returns the sender's nonce. */
export async function mintDeposit(exec: Execution, d: DepositTx): Promise<bigint> {
  const from = new Address(hexToBytes(d.from))
  const account = (await exec.state.getAccount(from)) ?? new Account()
  account.balance += d.mint
  await exec.state.putAccount(from, account)
  return account.nonce
}

/**
 * The deposit's call as an unsigned, unpriced legacy transaction from `from` (the sender is set, not
 * recovered), which runTx executes, and tracers trace, like any other.
 */
export function depositCall(exec: Execution, d: DepositTx, nonce: bigint): TypedTransaction {
  const tx = createLegacyTx(
    { nonce, gasPrice: 0n, gasLimit: d.gas, to: d.to, value: d.value, data: hexToBytes(d.data) },
    { common: exec.common, freeze: false },
  )
  const from = new Address(hexToBytes(d.from))
  tx.getSenderAddress = () => from
  return tx
}

/** Whether a run succeeded (receipt status 1); undefined (a deposit that never ran) did not. */
export function succeeded(result: RunTxResult | undefined): boolean {
  return result !== undefined && 'status' in result.receipt && result.receipt.status === 1
}
