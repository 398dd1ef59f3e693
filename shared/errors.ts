import { BaseError as ViemBaseError, HttpRequestError, RpcRequestError } from 'viem'

/**
 * One error base for the whole node (after viem's `BaseError`): a short message for the wire, optional
 * details, an optional cause. Subclasses carry the JSON-RPC code they map to (EIP-1474) as a static
 * `code`; `toRpcError` (shared/rpc/toRpcError.ts) is the only place that turns them into wire errors.
 */
export class BaseError extends Error {
  static code = -32603
  override name = 'BaseError'
  readonly shortMessage: string
  readonly details?: string
  readonly data?: unknown

  constructor(
    shortMessage: string,
    opts: { details?: string; cause?: unknown; data?: unknown } = {},
  ) {
    super(shortMessage, { cause: opts.cause })
    this.shortMessage = shortMessage
    this.details = opts.details
    this.data = opts.data
  }

  get code(): number {
    return (this.constructor as typeof BaseError).code
  }
}

/** -32700: the body is not JSON. */
export class ParseError extends BaseError {
  static override code = -32700
  override name = 'ParseError'
}

/** -32600: JSON, but not a JSON-RPC 2.0 request, or over a size/count cap. */
export class InvalidRequestError extends BaseError {
  static override code = -32600
  override name = 'InvalidRequestError'
}

/** -32601: no such method. */
export class MethodNotFoundError extends BaseError {
  static override code = -32601
  override name = 'MethodNotFoundError'
  constructor(method: string) {
    super(`the method ${method} does not exist/is not available`)
  }
}

/** -32602: a parameter is missing or malformed; the message names it. */
export class InvalidParamsError extends BaseError {
  static override code = -32602
  override name = 'InvalidParamsError'
}

/**
 * -32000: a transaction the pool or the EVM rejects, worded as geth words it ("nonce too low: …",
 * "insufficient funds for gas * price + value", "already known") so that viem classifies it.
 */
export class TransactionRejectedError extends BaseError {
  static override code = -32000
  override name = 'TransactionRejectedError'
}

/** -32000 for a missing block/header etc. where geth answers with a message instead of null. */
export class ResourceNotFoundError extends BaseError {
  static override code = -32000
  override name = 'ResourceNotFoundError'
}

/** -32005: a request over a limit the node sets (log range, result size). */
export class LimitExceededError extends BaseError {
  static override code = -32005
  override name = 'LimitExceededError'
}

/** 3: the call reverted; `data` is the revert data (hex), the message "execution reverted[: reason]". */
export class ExecutionRevertedError extends BaseError {
  static override code = 3
  override name = 'ExecutionRevertedError'
}

/** -32000 for a call that fails without reverting (out of gas, invalid opcode…), geth's wording. */
export class ExecutionError extends BaseError {
  static override code = -32000
  override name = 'ExecutionError'
}

/** Marks failures worth retrying (L1 unreachable, a Durable Object reset); cron jobs retry only these. */
export class RetryableError extends BaseError {
  override name = 'RetryableError'
}

/** 4 (EIP-7966): eth_sendRawTransactionSync gave up waiting; the transaction stays pooled. `data` is its hash. */
export class TransactionSyncTimeoutError extends BaseError {
  static override code = 4
  override name = 'TransactionSyncTimeoutError'
}

/**
 * 5 (EIP-7966): eth_sendRawTransactionSync admitted a transaction that cannot run now (a nonce gap),
 * or that left the pool unmined. `data` is its hash.
 */
export class TransactionNotReadyError extends BaseError {
  static override code = 5
  override name = 'TransactionNotReadyError'
}

/** -32002 (EIP-1474 "resource unavailable"): a peer could not reach the sequencer to forward a write. */
export class SequencerUnavailableError extends BaseError {
  static override code = -32002
}

/**
 * Data from L1 or the live feed that does not make a valid block (a bad transaction, a wrong origin,
 * a false hash): not retryable, the data is wrong, not the node. A verifier's evidence.
 */
export class InvalidBlockError extends BaseError {
  override name = 'InvalidBlockError'
}

/**
 * Marks failures that the same request meets again (invalid params, a revert, data that does not
 * decode, an L1 that has no state for the block asked): retrying changes nothing. A node logs one
 * once, shows it in `GET /health` and goes on with what it still can do.
 */
export class DeterministicError extends BaseError {
  override name = 'DeterministicError'
}

/** The two kinds of failure: the kind, not the message or the code, decides what a catch does. */
export type FailureKind = 'retryable' | 'deterministic'

/** The kinds the L1 client's edge gave the errors it threw (`classifyL1Failure`), by error object. */
const classified = new WeakMap<object, FailureKind>()

/**
 * Classifies an error thrown by an L1 transport, once, where the L1 client is made
 * (shared/settlement/l1Transport.ts): the transport's own failures (no answer, a timeout, an HTTP
 * 5xx/408/429) are retryable; a JSON-RPC error object is deterministic unless it says the endpoint is
 * busy or failed inside (EIP-1474 -32603 internal, -32005 limit exceeded, -32002 resource
 * unavailable, 429). The error itself is rethrown unchanged (viem's classes wrap it and decode
 * reverts from it); `failureKind` finds the mark anywhere in its cause chain.
 */
export function classifyL1Failure(err: unknown): unknown {
  if (typeof err === 'object' && err !== null && !classified.has(err))
    classified.set(err, l1FailureKind(err))
  return err
}

function l1FailureKind(err: object): FailureKind {
  const find = <T>(cls: abstract new (...args: never[]) => T): T | undefined =>
    (err instanceof ViemBaseError
      ? err.walk((e) => e instanceof cls)
      : err instanceof cls
        ? err
        : undefined) as T | undefined
  // The JSON-RPC error object the endpoint answered with (viem's RpcError classes wrap it).
  const rpc = find(RpcRequestError)
  if (rpc) return RETRYABLE_RPC_CODES.has(rpc.code) ? 'retryable' : 'deterministic'
  const status = find(HttpRequestError)?.status
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429)
    return 'deterministic'
  return 'retryable' // no answer, a timeout, a 5xx, an aborted connection
}

/** JSON-RPC error codes that say the endpoint, not the request, failed (EIP-1474; 429 as some providers send it). */
const RETRYABLE_RPC_CODES = new Set([-32603, -32005, -32002, 429, -32007])

/**
 * The kind of a failure: the first mark in its cause chain (a `RetryableError`, a
 * `DeterministicError`, or an L1 error `classifyL1Failure` marked). Anything unmarked is a
 * failure of this code itself (a bug, a broken invariant): deterministic.
 */
export function failureKind(err: unknown): FailureKind {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 16; depth++) {
    if (e instanceof RetryableError) return 'retryable'
    if (e instanceof DeterministicError) return 'deterministic'
    const kind = classified.get(e)
    if (kind) return kind
    e = (e as { cause?: unknown }).cause
  }
  return 'deterministic'
}
