import { keccak256, numberToHex, type Hex, type RpcLog } from 'viem'
import type { Config } from '../config.js'
import type { Submission } from '../sequencing/sequencing.js'
import {
  BaseError,
  InvalidParamsError,
  LimitExceededError,
  MethodNotFoundError,
} from '../errors.js'
import { decodeRawTransaction, type RecoverPublicKey } from '../txpool/decodeRawTransaction.js'
import { parseLogCriteria, type LogCriteria } from './logFilter.js'
import * as p from './params.js'
import { sequencerMethods } from './sequencerMethods.js'
import type { RpcErrorObject } from './toRpcError.js'

/** A result crossing a Durable Object boundary: errors travel as data, not as thrown objects. */
export type RpcResult = { result: unknown } | { error: RpcErrorObject }

/** Resolved log query: concrete block bounds. */
export type ResolvedLogQuery = { fromBlock: bigint; toBlock: bigint; blockHash?: Hex } & Pick<
  LogCriteria,
  'address' | 'topics'
>

/** What the edge needs from the rest of the node, passed in by the Worker or the feed Durable Object. */
export type EdgeContext = {
  chainId: number
  config: Config
  sequencer: {
    rpc(method: string, params: unknown[]): Promise<RpcResult>
    /** Admits a transaction; the sequencer tells the feed's pending subscribers and filters. */
    submit(s: Submission): Promise<RpcResult>
    /**
     * Admits a transaction, then answers with its receipt once it is mined, or an EIP-7966 error: 5 if
     * it cannot run now or leaves the pool unmined, 4 after `timeoutMs`. One call, one hop.
     */
    submitSync(s: Submission, timeoutMs: number): Promise<RpcResult>
    /** Hashes of blocks `from..to` (at most MAX_BLOCK_HASHES), for block filters. */
    blockHashes(from: bigint, to: bigint): Promise<Hex[]>
  }
  feed: { rpc(method: string, params: unknown[]): Promise<RpcResult> }
  /** A faster signature recovery than the pure-JS default, if the host has one. */
  recover?: RecoverPublicKey
  /** Logs of a resolved query, from the D1 index and, above its head, from the sequencer. */
  logs(query: ResolvedLogQuery): Promise<RpcLog[]>
}

export const CLIENT_VERSION = 'edge-l2/v0.1.0/workerd'

/** Filter methods, kept by the shard's feed Durable Object. */
export const FILTER_METHODS = new Set([
  'eth_newFilter',
  'eth_newBlockFilter',
  'eth_newPendingTransactionFilter',
  'eth_getFilterChanges',
  'eth_getFilterLogs',
  'eth_uninstallFilter',
])

/** Unwraps a cross-object result, rethrowing its error as a node error with the same code. */
export function unwrap(r: RpcResult): unknown {
  if ('error' in r) throw new ForwardedError(r.error)
  return r.result
}

class ForwardedError extends BaseError {
  constructor(readonly rpc: RpcErrorObject) {
    super(rpc.message, { data: rpc.data })
  }
  override get code(): number {
    return this.rpc.code
  }
}

/**
 * The JSON-RPC method table of one shard as the edge serves it: static answers here, state and
 * blocks from the sequencer, logs from D1, filters from the feed. Names are matched by `switch`, a
 * Set and a Map, never looked up on an object, so `toString` or `__proto__` is an unknown method.
 */
export function createEdgeDispatch(ctx: EdgeContext) {
  return async function dispatch(method: string, params: unknown[]): Promise<unknown> {
    switch (method) {
      case 'web3_clientVersion':
        return CLIENT_VERSION
      case 'web3_sha3':
        p.arity(params, 1, 1)
        return keccak256(p.data(params[0], 0))
      case 'net_version':
        return String(ctx.chainId)
      case 'net_listening':
        return true
      case 'net_peerCount':
        return '0x0'
      case 'eth_chainId':
        return numberToHex(ctx.chainId)
      case 'eth_accounts':
        return []
      case 'eth_mining':
        return false
      case 'eth_hashrate':
        return '0x0'
      case 'rpc_modules':
        return {
          eth: '1.0',
          net: '1.0',
          web3: '1.0',
          debug: '1.0',
          txpool: '1.0',
          optimism: '1.0',
          rpc: '1.0',
        }
      case 'eth_sendRawTransaction': {
        p.arity(params, 1, 1)
        const d = decodeRawTransaction(params[0], ctx.chainId, ctx.recover)
        return unwrap(await ctx.sequencer.submit(submission(d))) as Hex
      }
      case 'eth_sendRawTransactionSync': {
        p.arity(params, 1, 2)
        const d = decodeRawTransaction(params[0], ctx.chainId, ctx.recover)
        const timeoutMs = syncTimeout(params[1], ctx.config)
        return unwrap(await ctx.sequencer.submitSync(submission(d), timeoutMs))
      }
      case 'eth_getLogs': {
        p.arity(params, 1, 1)
        return ctx.logs(await resolveLogQuery(ctx, parseLogCriteria(params[0], 0)))
      }
      case 'eth_subscribe':
      case 'eth_unsubscribe':
        throw new NotificationsUnsupportedError('notifications not supported')
    }
    if (FILTER_METHODS.has(method)) return unwrap(await ctx.feed.rpc(method, params))
    if (sequencerMethods.has(method)) return unwrap(await ctx.sequencer.rpc(method, params))
    throw new MethodNotFoundError(method)
  }
}

/** What crosses to the sequencer of a decoded transaction: the ethereumjs object stays behind (it does not clone). */
const submission = (d: Submission): Submission => ({
  raw: d.raw,
  hash: d.hash,
  sender: d.sender,
  pubkey: d.pubkey,
})

/**
 * eth_sendRawTransactionSync's optional wait in milliseconds (a number or a hex quantity). EIP-7966:
 * one that is missing or invalid (not a positive integer, over the node's maximum) gets the default.
 */
export function syncTimeout(raw: unknown, config: Config): number {
  const n =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^0x[0-9a-fA-F]{1,12}$/.test(raw)
        ? Number(raw)
        : NaN
  return Number.isSafeInteger(n) && n > 0 && n <= config.txSyncMaxTimeoutMs
    ? n
    : config.txSyncDefaultTimeoutMs
}

/** -32001 as geth answers eth_subscribe over HTTP. */
class NotificationsUnsupportedError extends BaseError {
  static override code = -32001
}

/** Resolves a filter's block bounds against the head and enforces the configured range cap. */
export async function resolveLogQuery(
  ctx: Pick<EdgeContext, 'sequencer' | 'config'>,
  c: LogCriteria,
): Promise<ResolvedLogQuery> {
  if (c.blockHash) {
    const block = unwrap(await ctx.sequencer.rpc('eth_getBlockByHash', [c.blockHash, false])) as {
      number: Hex
    } | null
    if (!block) throw new InvalidParamsError('unknown block')
    const n = BigInt(block.number)
    return {
      fromBlock: n,
      toBlock: n,
      blockHash: c.blockHash,
      address: c.address,
      topics: c.topics,
    }
  }
  const head = BigInt(unwrap(await ctx.sequencer.rpc('eth_blockNumber', [])) as Hex)
  const bound = async (ref: p.BlockRef): Promise<bigint> => {
    if ('tag' in ref) return ref.tag === 'earliest' ? 0n : head
    if ('number' in ref) return ref.number
    const b = unwrap(await ctx.sequencer.rpc('eth_getBlockByHash', [ref.hash, false])) as {
      number: Hex
    } | null
    if (!b) throw new InvalidParamsError('unknown block')
    return BigInt(b.number)
  }
  const fromBlock = await bound(c.fromBlock)
  let toBlock = await bound(c.toBlock)
  if (fromBlock > toBlock) throw new InvalidParamsError('invalid block range params')
  if (toBlock > head) toBlock = head
  const max = BigInt(ctx.config.logsMaxRange)
  if (toBlock - fromBlock + 1n > max)
    throw new LimitExceededError(
      `block range too large: ${toBlock - fromBlock + 1n} blocks, the limit is ${max}; query [${fromBlock}, ${fromBlock + max - 1n}] and continue from there`,
    )
  return { fromBlock, toBlock, address: c.address, topics: c.topics }
}
