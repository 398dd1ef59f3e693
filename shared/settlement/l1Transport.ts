import type { Transport } from 'viem'
import { classifyL1Failure } from '../errors.js'

/**
 * The L1 transport of every node client: `inner` (viem's `http`), with each failure it throws
 * classified once, here, as retryable or deterministic (`classifyL1Failure`, shared/errors.ts).
 * The errors themselves pass through unchanged, so viem's actions still wrap and decode them.
 */
export function classifiedTransport<T extends Transport>(inner: T): T {
  return ((params: Parameters<T>[0]) => {
    const t = inner(params)
    return {
      ...t,
      request: async (args: unknown, options: unknown) => {
        try {
          return await (t.request as (a: unknown, o: unknown) => Promise<unknown>)(args, options)
        } catch (err) {
          throw classifyL1Failure(err)
        }
      },
    }
  }) as T
}
