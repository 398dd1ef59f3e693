import { BaseError } from '../errors.js'

/** A JSON-RPC 2.0 error object. */
export type RpcErrorObject = { code: number; message: string; data?: unknown }

/** What the log line of an internal error names besides the error: the method it failed in. */
export type RpcErrorContext = { method?: string }

/**
 * The one place domain errors become JSON-RPC errors (reth's `From<EthApiError>`). Node errors keep
 * their code and message; anything unexpected is -32603 "internal error" without internals (no stack,
 * class name or path), with a short random id in `data.errorId` that the node's log carries next to
 * the error and the method, so an operator can find what a client saw.
 */
export function toRpcError(err: unknown, context: RpcErrorContext = {}): RpcErrorObject {
  if (err instanceof BaseError) {
    const out: RpcErrorObject = { code: err.code, message: err.shortMessage }
    if (err.data !== undefined) out.data = err.data
    return out
  }
  // Errors crossing a Durable Object boundary arrive as plain objects in a result envelope.
  if (isRpcErrorObject(err)) return err
  const errorId = newErrorId()
  const method = context.method === undefined ? '' : ` in ${printable(context.method)}`
  console.error(`internal error ${errorId}${method}:`, err)
  return { code: -32603, message: 'internal error', data: { errorId } }
}

/**
 * Whether `v` is a JSON-RPC error object as `toRpcError` makes them: a plain object (never an Error
 * or DOMException, which also carry a numeric `code`) with an integer code and a string message.
 */
export function isRpcErrorObject(v: unknown): v is RpcErrorObject {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return false
  const { code, message } = v as RpcErrorObject
  return Number.isSafeInteger(code) && typeof message === 'string'
}

/** 8 random hex digits: enough to find one failure in a log. */
function newErrorId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4))
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** A method name as a log may show it: at most 64 characters, quoted. */
function printable(method: string): string {
  return JSON.stringify(method.length > 64 ? `${method.slice(0, 64)}…` : method)
}
