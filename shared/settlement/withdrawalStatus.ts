import {
  numberToHex,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  type Address,
  type Chain,
  type Client,
  type Hex,
  type TransactionReceipt,
  type Transport,
} from 'viem'
import { getTransaction, getTransactionReceipt } from 'viem/actions'
import {
  buildProveWithdrawal,
  getL2Output,
  getWithdrawals,
  getWithdrawalStatus,
  type GetWithdrawalStatusReturnType,
} from 'viem/op-stack'
import { BaseError, RetryableError } from '../errors.js'
import { MESSAGE_PASSER } from './outputRoot.js'
import type { ShardViemChain } from './shardViemChain.js'

type Withdrawal = ReturnType<typeof getWithdrawals>[number]

/** A withdrawal's stage on L1, named as viem's `getWithdrawalStatus` names it. */
export type WithdrawalStatus = GetWithdrawalStatusReturnType

/** The arguments of `OptimismPortal.proveWithdrawalTransaction` (after the withdrawal), and where to send them. */
export type ProveArguments = {
  function: 'proveWithdrawalTransaction'
  portal: Address
  l2OutputIndex: Hex
  outputRootProof: {
    version: Hex
    stateRoot: Hex
    messagePasserStorageRoot: Hex
    latestBlockhash: Hex
  }
  withdrawalProof: Hex[]
}

/** One withdrawal of a transaction: its `Types.WithdrawalTransaction` and hash, its stage, its proof. */
export type WithdrawalEntry = {
  withdrawal: {
    nonce: Hex
    sender: Address
    target: Address
    value: Hex
    gasLimit: Hex
    data: Hex
    withdrawalHash: Hex
  }
  status: WithdrawalStatus
  l2BlockNumber: Hex
  /** Present while the status is ready-to-prove: the one stage in which proving does something. */
  prove?: ProveArguments
}

/** Every withdrawal an L2 transaction initiated (none is an empty list), in log order. */
export type WithdrawalReport = {
  chainId: number
  transactionHash: Hex
  withdrawals: WithdrawalEntry[]
}

/** The transaction is unknown to the shard, or known but not mined yet: there is no receipt to read. */
export class WithdrawalTransactionNotFoundError extends BaseError {
  override name = 'WithdrawalTransactionNotFoundError'
}

/** An L1 read failed (unreachable, timed out, or answered unexpectedly); asking again may succeed. */
export class L1UnavailableError extends RetryableError {
  override name = 'L1UnavailableError'
}

/**
 * The withdrawals of L2 transaction `hash` and where each stands on L1 (Bedrock's
 * L2OutputOracle path): viem's `getWithdrawals`, `getWithdrawalStatus` and, while a withdrawal is
 * ready to prove, `getL2Output` + `buildProveWithdrawal`, so that a client without viem can call
 * `proveWithdrawalTransaction` with the returned arguments. `l2` answers from the shard, `l1` from
 * the L1 its chain settles on. Throws `WithdrawalTransactionNotFoundError` without a receipt and
 * `L1UnavailableError` when an L1 read fails; quantities are 0x-hex as in JSON-RPC.
 */
export async function getWithdrawalReport(
  clients: { l1: Client<Transport, Chain>; l2: Client<Transport, ShardViemChain> },
  hash: Hex,
): Promise<WithdrawalReport> {
  const { l1, l2 } = clients
  const targetChain = l2.chain
  const receipt = await receiptOf(l2, hash)
  // viem reads any log with MessagePassed's signature; only the passer's are withdrawals.
  const passed = {
    ...receipt,
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === MESSAGE_PASSER),
  }
  const withdrawals = getWithdrawals(passed)
  const entries = await Promise.all(
    withdrawals.map(async (withdrawal, logIndex): Promise<WithdrawalEntry> => {
      const status = await fromL1(
        getWithdrawalStatus(l1, { receipt: passed, logIndex, targetChain }),
      )
      const entry: WithdrawalEntry = {
        withdrawal: formatWithdrawal(withdrawal),
        status,
        l2BlockNumber: numberToHex(receipt.blockNumber),
      }
      if (status !== 'ready-to-prove') return entry
      const output = await fromL1(
        getL2Output(l1, { l2BlockNumber: receipt.blockNumber, targetChain }),
      )
      const args = await buildProveWithdrawal(l2, { output, withdrawal })
      const portal = targetChain.contracts.portal[l1.chain.id].address
      return {
        ...entry,
        prove: {
          function: 'proveWithdrawalTransaction',
          portal,
          l2OutputIndex: numberToHex(args.l2OutputIndex),
          outputRootProof: args.outputRootProof,
          withdrawalProof: [...args.withdrawalProof],
        },
      }
    }),
  )
  return { chainId: targetChain.id, transactionHash: hash, withdrawals: entries }
}

/** The receipt of `hash`, or a not-found error that says whether the shard knows the transaction. */
async function receiptOf(
  l2: Client<Transport, ShardViemChain>,
  hash: Hex,
): Promise<TransactionReceipt> {
  try {
    return await getTransactionReceipt(l2, { hash })
  } catch (err) {
    if (!(err instanceof TransactionReceiptNotFoundError)) throw err
  }
  const known = await getTransaction(l2, { hash }).then(
    () => true,
    (err) => {
      if (err instanceof TransactionNotFoundError) return false
      throw err
    },
  )
  throw new WithdrawalTransactionNotFoundError(
    known ? `transaction ${hash} is not mined yet` : `transaction ${hash} not found`,
  )
}

/** Rethrows an L1 read's failure as `L1UnavailableError`, keeping viem's short message and details. */
function fromL1<T>(request: Promise<T>): Promise<T> {
  return request.catch((err: unknown) => {
    const e = err as { shortMessage?: string; details?: string; message?: string }
    const reason = [e.shortMessage ?? e.message ?? String(err), e.details].filter(Boolean).join(' ')
    throw new L1UnavailableError(`L1 request failed: ${reason}`, { cause: err })
  })
}

function formatWithdrawal(w: Withdrawal): WithdrawalEntry['withdrawal'] {
  return {
    nonce: numberToHex(w.nonce),
    sender: w.sender,
    target: w.target,
    value: numberToHex(w.value),
    gasLimit: numberToHex(w.gasLimit),
    data: w.data,
    withdrawalHash: w.withdrawalHash,
  }
}
