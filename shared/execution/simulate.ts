import { createBlock, type BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createTx, type TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, bytesToHex, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { runTx, type RunTxResult } from '@ethereumjs/vm'
import type { Hex } from 'viem'
import { revertReason } from './revertReason.js'
import { BaseError, ExecutionError, ExecutionRevertedError, InvalidParamsError } from '../errors.js'
import type { CallRequest, StateOverride } from '../rpc/params.js'
import type { Execution } from './createExecution.js'

/** EIP-7825 (Osaka): no transaction may have a gas limit above 2^24. */
export const EIP7825_TX_GAS_CAP = 16_777_216n

/** The default and largest gas a call may use: the block gas limit, capped by EIP-7825 under Osaka. */
export function callGasCap(common: Common, header: BlockHeader): bigint {
  const cap = common.isActivatedEIP(7825) ? EIP7825_TX_GAS_CAP : header.gasLimit
  return cap < header.gasLimit ? cap : header.gasLimit
}

/**
 * Builds the unsigned transaction a call request describes, with the sender set without a signature
 * (as geth's `ToMessage`). Without any fee field the call runs with no base fee (geth's NoBaseFee).
 */
export function buildCallTx(common: Common, req: CallRequest, gas: bigint): TypedTransaction {
  if (common.isActivatedEIP(7825) && gas > EIP7825_TX_GAS_CAP) gas = EIP7825_TX_GAS_CAP // geth caps call gas too
  if (req.nonce !== undefined && req.nonce >= 2n ** 64n)
    throw new InvalidParamsError('invalid argument 0: nonce exceeds 2^64-1')
  if (
    req.maxFeePerGas !== undefined &&
    req.maxPriorityFeePerGas !== undefined &&
    req.maxPriorityFeePerGas > req.maxFeePerGas
  )
    throw new ExecutionError('max priority fee per gas higher than max fee per gas')
  try {
    return buildUnsigned(common, req, gas)
  } catch (err) {
    throw new ExecutionError(gethWording((err as Error).message), { cause: err })
  }
}

function buildUnsigned(common: Common, req: CallRequest, gas: bigint): TypedTransaction {
  const priced =
    req.gasPrice !== undefined ||
    req.maxFeePerGas !== undefined ||
    req.maxPriorityFeePerGas !== undefined
  const base = {
    nonce: req.nonce ?? 0n,
    gasLimit: gas,
    to: req.to,
    value: req.value ?? 0n,
    data: req.data ?? '0x',
  }
  const accessList = req.accessList?.map((e) => ({
    address: e.address,
    storageKeys: e.storageKeys,
  }))
  const tx =
    req.gasPrice !== undefined || !priced
      ? createTx(
          { ...base, type: accessList ? 1 : 0, gasPrice: req.gasPrice ?? 0n, accessList },
          { common, freeze: false },
        )
      : createTx(
          {
            ...base,
            type: 2,
            maxFeePerGas: req.maxFeePerGas ?? req.maxPriorityFeePerGas ?? 0n,
            maxPriorityFeePerGas: req.maxPriorityFeePerGas ?? 0n,
            accessList: accessList ?? [],
          },
          { common, freeze: false },
        )
  const from = new Address(hexToBytes(req.from ?? '0x0000000000000000000000000000000000000000'))
  tx.getSenderAddress = () => from
  return tx
}

/** Applies an eth_call state override set to the state about to run the call. */
export async function applyStateOverride(
  exec: Execution,
  override: StateOverride | undefined,
): Promise<void> {
  if (!override) return
  const { state } = exec
  for (const [addr, o] of Object.entries(override)) {
    const address = new Address(hexToBytes(addr as Hex))
    const acct = (await state.getAccount(address)) ?? new Account()
    if (o.balance !== undefined) acct.balance = o.balance
    if (o.nonce !== undefined) acct.nonce = o.nonce
    await state.putAccount(address, acct)
    if (o.code !== undefined) await state.putCode(address, hexToBytes(o.code))
    if (o.state) await state.clearStorage(address)
    for (const [k, v] of Object.entries(o.state ?? o.stateDiff ?? {}))
      await state.putStorage(address, hexToBytes(k as Hex), setLengthLeft(hexToBytes(v), 32))
  }
}

export type SimulateOpts = { reportAccessList?: boolean }

/**
 * Runs a call request as a transaction on top of the state in `exec`, in the context of `header`
 * (nonce and balance checks off, like geth's eth_call), and reverts every change it made.
 */
export async function simulate(
  exec: Execution,
  header: BlockHeader,
  req: CallRequest,
  gas: bigint,
  opts: SimulateOpts = {},
): Promise<RunTxResult> {
  const tx = buildCallTx(exec.common, req, gas)
  const priced =
    req.gasPrice !== undefined ||
    req.maxFeePerGas !== undefined ||
    req.maxPriorityFeePerGas !== undefined
  const block = createBlock(
    {
      header: {
        ...header.toJSON(),
        baseFeePerGas: priced ? header.baseFeePerGas : 0n,
        gasUsed: 0n,
      },
    },
    { common: exec.common },
  )
  await exec.state.checkpoint()
  try {
    return await runTx(exec.vm, {
      tx,
      block,
      skipNonce: true,
      skipBalance: !priced,
      skipBlockGasLimitValidation: true,
      skipHardForkValidation: true,
      reportAccessList: opts.reportAccessList,
    })
  } catch (err) {
    if (err instanceof BaseError) throw err // the EVM deadline, a node limit
    throw new ExecutionError(gethWording((err as Error).message), { cause: err })
  } finally {
    await exec.state.revert()
  }
}

/** Throws the JSON-RPC error geth gives for a failed call: code 3 for reverts, -32000 otherwise. */
export function assertCallSucceeded(result: RunTxResult): void {
  const err = result.execResult.exceptionError
  if (!err) return
  const ret = bytesToHex(result.execResult.returnValue)
  if (err.error === 'revert') {
    const reason = revertReason(ret)
    throw new ExecutionRevertedError(
      reason ? `execution reverted: ${reason}` : 'execution reverted',
      { data: ret },
    )
  }
  throw new ExecutionError(gethVmError(err.error))
}

/** ethereumjs's VM error names, as geth says them. */
function gethVmError(e: string): string {
  if (e === 'out of gas') return 'out of gas'
  if (e === 'invalid opcode') return 'invalid opcode: INVALID'
  if (e === 'stack underflow') return 'stack underflow'
  if (e === 'stack overflow') return 'stack limit reached 1024 (1023)'
  if (e === 'invalid JUMP') return 'invalid jump destination'
  if (e === 'static state change') return 'write protection'
  if (e === 'code store out of gas') return 'contract creation code storage out of gas'
  if (e === 'create collision') return 'contract address collision'
  if (e === 'insufficient balance') return 'insufficient balance for transfer'
  return e
}

/** ethereumjs errors carry a long context suffix; keep the first clause, in geth's words where known. */
export function gethWording(msg: string): string {
  if (/sender doesn't have enough funds|insufficient balance/i.test(msg))
    return 'insufficient funds for gas * price + value'
  if (/base fee|gasPrice.*less than/i.test(msg)) return 'max fee per gas less than block base fee'
  if (/gasLimit is too low|intrinsic/i.test(msg)) return 'intrinsic gas too low'
  if (/doesn't have the correct nonce/i.test(msg)) return 'nonce too low'
  return msg.split(' (')[0].split(' -> ')[0]
}
