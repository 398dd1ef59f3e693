import { SequencerUnavailableError } from '../errors.js'
import { fromRpcError } from './remoteError.js'

/**
 * The header a forwarded call carries: a pool member that is not the sequencer answers such a write
 * with -32002 instead of forwarding it again, so a holder publishing another node's URL (or two nodes
 * briefly disagreeing on the holder) cannot make writes go round in circles.
 */
export const FORWARDED_HEADER = 'x-edge-forwarded'

/**
 * Sends one JSON-RPC call to the sequencer's node and returns its result. Its error answer is thrown
 * as the node's typed error (`fromRpcError`: message and data as the sequencer gave them); an
 * unreachable, slow or garbled sequencer, and one that is not the sequencer any more (-32002),
 * throw `SequencerUnavailableError` after at most `timeoutMs`: a peer reports that, it never hangs.
 */
export async function forwardRpc(
  url: string,
  method: string,
  params: unknown[],
  timeoutMs: number,
  fetchFn: typeof fetch = fetch,
): Promise<unknown> {
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
  if (o && typeof o === 'object' && 'result' in o) return o.result
  if (o?.error && typeof o.error.code === 'number' && typeof o.error.message === 'string')
    throw fromRpcError({
      code: o.error.code,
      message: o.error.message,
      ...(o.error.data !== undefined && { data: o.error.data }),
    })
  throw new SequencerUnavailableError(`sequencer unavailable at ${url}: not a JSON-RPC answer`)
}
