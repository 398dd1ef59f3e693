import { toHex, type Hex, type RpcLog } from 'viem'
import { LimitExceededError } from '../shared/errors.js'
import { getIndexedHead } from '../shared/db/indexBlocks.js'
import { queryLogs } from '../shared/db/queryLogs.js'
import type { Config } from '../shared/config.js'
import { recoverPublicKeyWasm } from './wasmSecp256k1.js'
import type { EdgeContext, ResolvedLogQuery } from '../shared/rpc/edgeMethods.js'

/** Stubs of a shard's Durable Objects: one sequencer and one feed per chain id. */
export function shardStubs(env: Env, chainId: number) {
  return {
    sequencer: env.SEQUENCER.get(env.SEQUENCER.idFromName(`sequencer:${chainId}`)),
    feed: env.FEED.get(env.FEED.idFromName(`feed:${chainId}`)),
  }
}

/**
 * Builds the edge's view of a shard from bindings: used by the Worker for HTTP and by the feed
 * Durable Object for websocket requests, so both answer every method the same way. `forwarded`: the
 * request came from another node's forward (`FORWARDED_HEADER`).
 */
export function createEdgeContext(
  env: Env,
  config: Config,
  chainId: number,
  opts: { forwarded?: boolean } = {},
): EdgeContext {
  const { sequencer, feed } = shardStubs(env, chainId)
  return {
    chainId,
    config,
    recover: recoverPublicKeyWasm,
    sequencer: {
      rpc: (method, params) => sequencer.rpc(chainId, method, params),
      submit: (s) => sequencer.submit(chainId, s, undefined, opts.forwarded),
      submitSync: (s, timeoutMs) => sequencer.submit(chainId, s, timeoutMs, opts.forwarded),
      blockHashes: (from, to) => sequencer.blockHashes(chainId, from, to),
    },
    feed: {
      rpc: (method, params) => feed.rpc(chainId, method, params),
    },
    /** Logs of a query, at most LOGS_MAX_RESULTS (more is -32005, naming a range that fits, as reth). */
    logs: async (q: ResolvedLogQuery): Promise<RpcLog[]> => {
      const limit = config.logsMaxResults
      const indexed = (await getIndexedHead(env.DB, chainId)) ?? -1n
      const out: RpcLog[] = []
      if (q.fromBlock <= indexed) {
        const to = q.toBlock < indexed ? q.toBlock : indexed
        out.push(...(await queryLogs(env.DB, chainId, { ...q, toBlock: to }, { limit })))
      }
      if (q.toBlock > indexed) {
        const from = q.fromBlock > indexed ? q.fromBlock : indexed + 1n
        const tail = (await sequencer.logs(chainId, {
          ...q,
          fromBlock: from,
        })) as unknown as RpcLog[]
        if (out.length + tail.length > limit) {
          const last = BigInt(tail[limit - out.length].blockNumber!) - 1n
          throw new LimitExceededError(`query returned more than ${limit} results`, {
            details:
              last >= q.fromBlock
                ? `Try with this block range [${toHex(q.fromBlock)}, ${toHex(last)}].`
                : undefined,
          })
        }
        out.push(...tail)
      }
      return out
    },
  }
}
