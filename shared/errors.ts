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
