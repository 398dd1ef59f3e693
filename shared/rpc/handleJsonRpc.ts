import { InvalidRequestError, ParseError } from '../errors.js'
import { toRpcError, type RpcErrorObject } from './toRpcError.js'

type Id = string | number | null
/** One JSON-RPC 2.0 response. */
export type RpcResponse = { jsonrpc: '2.0'; id: Id; result?: unknown; error?: RpcErrorObject }
/** Answers one method call (params already an array) or throws a node error. */
export type RpcDispatch = (method: string, params: unknown[]) => Promise<unknown>
export type RpcLimits = { maxBatch: number; maxBodyBytes: number }

/**
 * JSON-RPC 2.0 over a request body: single or batch, with count and size caps. Returns the response
 * body (undefined for notifications only). Every failure is a JSON-RPC error, never a throw.
 */
export async function handleJsonRpc(
  body: string,
  dispatch: RpcDispatch,
  limits: RpcLimits,
): Promise<RpcResponse | RpcResponse[] | undefined> {
  if (body.length > limits.maxBodyBytes)
    return errorResponse(
      null,
      new InvalidRequestError(
        `request body too large: ${body.length} bytes, limit ${limits.maxBodyBytes}`,
      ),
    )
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return errorResponse(null, new ParseError('parse error: invalid JSON'))
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) return errorResponse(null, new InvalidRequestError('empty batch'))
    if (parsed.length > limits.maxBatch)
      return errorResponse(
        null,
        new InvalidRequestError(
          `batch too large: ${parsed.length} requests, limit ${limits.maxBatch}`,
        ),
      )
    const out = await Promise.all(parsed.map((r) => handleOne(r, dispatch)))
    const responses = out.filter((r): r is RpcResponse => r !== undefined)
    return responses.length ? responses : undefined
  }
  return handleOne(parsed, dispatch)
}

async function handleOne(req: unknown, dispatch: RpcDispatch): Promise<RpcResponse | undefined> {
  if (typeof req !== 'object' || req === null || Array.isArray(req))
    return errorResponse(null, new InvalidRequestError('invalid request: expected an object'))
  const r = req as Record<string, unknown>
  const id = validId(r.id) ? (r.id as Id) : null
  if (r.jsonrpc !== '2.0')
    return errorResponse(id, new InvalidRequestError('invalid request: jsonrpc must be "2.0"'))
  if (r.id !== undefined && !validId(r.id))
    return errorResponse(null, new InvalidRequestError('invalid request: bad id'))
  if (typeof r.method !== 'string')
    return errorResponse(id, new InvalidRequestError('invalid request: method must be a string'))
  if (r.params !== undefined && !Array.isArray(r.params))
    return errorResponse(id, new InvalidRequestError('invalid request: params must be an array'))
  try {
    const result = await dispatch(r.method, (r.params as unknown[]) ?? [])
    if (r.id === undefined) return undefined
    return { jsonrpc: '2.0', id, result: result ?? null }
  } catch (err) {
    const error = toRpcError(err, { method: r.method })
    if (r.id === undefined) return undefined
    return { jsonrpc: '2.0', id, error }
  }
}

/**
 * The wire text of a response. A result that is not JSON (a bigint, a cycle: a node bug) becomes
 * that request's -32603 with a logged id instead of a throw that would fail the whole body.
 */
export function stringifyResponse(response: RpcResponse | RpcResponse[]): string {
  try {
    return JSON.stringify(response)
  } catch {
    const one = (r: RpcResponse) => {
      try {
        return JSON.stringify(r)
      } catch (err) {
        return JSON.stringify(errorResponse(r.id, err))
      }
    }
    return Array.isArray(response) ? `[${response.map(one).join(',')}]` : one(response)
  }
}

function validId(id: unknown): boolean {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
}

function errorResponse(id: Id, err: unknown): RpcResponse {
  return { jsonrpc: '2.0', id, error: toRpcError(err) }
}
