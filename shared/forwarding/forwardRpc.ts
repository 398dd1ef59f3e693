import { SequencerUnavailableError } from '../errors.js'
import type { RpcResult } from '../rpc/edgeMethods.js'

/**
 * The header a forwarded call carries: a pool member that is not the sequencer answers such a write
 * with -32002 instead of forwarding it again, so a holder publishing another node's URL (or two nodes
 * briefly disagreeing on the holder) cannot make writes go round in circles.
 */
export const FORWARDED_HEADER = 'x-edge-forwarded'

/**
 * Sends one JSON-RPC call to the sequencer's node and returns its answer as data (result or error,
 * as the sequencer gave it). An unreachable, slow or garbled sequencer throws
 * `SequencerUnavailableError` after at most `timeoutMs`: a peer reports that, it never hangs.
 */
export async function forwardRpc(
  url: string,
  method: string,
  params: unknown[],
  timeoutMs: number,
  fetchFn: typeof fetch = fetch,
): Promise<RpcResult> {
  let body: unknown
  try {
    const res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [FORWARDED_HEADER]: '1' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    })
    body = await res.json()
  } catch (err) {
    const why =
      err instanceof Error
        ? err.name === 'TimeoutError'
          ? `no answer in ${timeoutMs} ms`
          : err.message
        : String(err)
    throw new SequencerUnavailableError(`sequencer unavailable at ${url}: ${why}`)
  }
  const o = body as {
    result?: unknown
    error?: { code?: unknown; message?: unknown; data?: unknown }
  }
  if (o && typeof o === 'object' && 'result' in o) return { result: o.result }
  if (o?.error && typeof o.error.code === 'number' && typeof o.error.message === 'string')
    return {
      error: {
        code: o.error.code,
        message: o.error.message,
        ...(o.error.data !== undefined && { data: o.error.data }),
      },
    }
  throw new SequencerUnavailableError(`sequencer unavailable at ${url}: not a JSON-RPC answer`)
}
