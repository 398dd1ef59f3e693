import {
  BaseError,
  ExecutionRevertedError,
  InvalidParamsError,
  SequencerUnavailableError,
  TransactionNotReadyError,
  TransactionRejectedError,
  TransactionSyncTimeoutError,
} from '../errors.js'
import type { RpcErrorObject } from '../rpc/toRpcError.js'

/** An error another node answered with a code this node has no type for: passed on as it came. */
export class RemoteRpcError extends BaseError {
  override name = 'RemoteRpcError'
  constructor(readonly rpc: RpcErrorObject) {
    super(rpc.message, { data: rpc.data })
  }
  override get code(): number {
    return this.rpc.code
  }
}

/** The node's error types by the JSON-RPC code they map to (EIP-1474, EIP-7966), for answers from another node. */
const BY_CODE = new Map<number, new (message: string, opts: { data?: unknown }) => BaseError>([
  [SequencerUnavailableError.code, SequencerUnavailableError],
  [TransactionSyncTimeoutError.code, TransactionSyncTimeoutError],
  [TransactionNotReadyError.code, TransactionNotReadyError],
  [TransactionRejectedError.code, TransactionRejectedError],
  [InvalidParamsError.code, InvalidParamsError],
  [ExecutionRevertedError.code, ExecutionRevertedError],
])

/**
 * The inverse of `toRpcError` at the one boundary where the node reads another node's JSON-RPC
 * errors (a forwarded write; viem's `buildRequest` does the same for its clients): the wire object
 * becomes the node's typed error, so policy decides by type, never by code or message. The message
 * and data stay as the other node gave them (`toRpcError` gives back the same object).
 */
export function fromRpcError(e: RpcErrorObject): BaseError {
  const Type = BY_CODE.get(e.code)
  return Type ? new Type(e.message, { data: e.data }) : new RemoteRpcError(e)
}
