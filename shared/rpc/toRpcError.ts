import { BaseError } from '../errors.js'

/** A JSON-RPC 2.0 error object. */
export type RpcErrorObject = { code: number; message: string; data?: unknown }

/**
 * The one place domain errors become JSON-RPC errors (reth's `From<EthApiError>`). Node errors keep
 * their code and message; anything unexpected is -32603 without internals.
 */
export function toRpcError(err: unknown): RpcErrorObject {
  if (err instanceof BaseError) {
    const out: RpcErrorObject = { code: err.code, message: err.shortMessage }
    if (err.data !== undefined) out.data = err.data
    return out
  }
  // Errors crossing a Durable Object boundary arrive as plain objects in a result envelope.
  if (isRpcErrorObject(err)) return err
  console.error('internal error', err)
  return { code: -32603, message: 'internal error' }
}

export function isRpcErrorObject(v: unknown): v is RpcErrorObject {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as RpcErrorObject).code === 'number' &&
    typeof (v as RpcErrorObject).message === 'string'
  )
}
