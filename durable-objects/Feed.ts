import { DurableObject } from 'cloudflare:workers'
import type { Hex } from 'viem'
import { buildConfig, type Config } from '../shared/config.js'
import type { BlockNews } from '../shared/chain/chainCore.js'
import { InvalidParamsError, LimitExceededError } from '../shared/errors.js'
import { createEdgeDispatch, unwrap, type RpcResult } from '../shared/rpc/edgeMethods.js'
import { FilterBook } from '../shared/rpc/filterBook.js'
import { handleJsonRpc, stringifyResponse } from '../shared/rpc/handleJsonRpc.js'
import { FILTER_METHODS } from '../shared/rpc/edgeMethods.js'
import { matchLog, parseLogCriteria, type LogCriteria } from '../shared/rpc/logFilter.js'
import { toRpcError } from '../shared/rpc/toRpcError.js'
import { createEdgeContext, shardStubs } from './edgeContext.js'
import { GAP_BATCH } from '../shared/derivation/feedFollower.js'
import type { SignedBlockJson } from '../shared/derivation/signedBlock.js'

/** The filters a websocket made (ids), kept in its attachment beside the subscriptions. */
type SocketFilters = { filters?: string[] }

/** Sends on a websocket that may have closed meanwhile (its client left: no one to tell). */
function send(ws: WebSocket, text: string): void {
  try {
    ws.send(text)
  } catch {}
}

/**
 * What the sequencer tells the feed: hashes that entered the pool and, if it sealed a block, the
 * block's header as newHeads carries it and its logs.
 */
export type FeedNews = { pending: Hex[]; sealed?: BlockNews; block?: SignedBlockJson }

/** What the feed tells the sequencer back: whether anyone follows its signed blocks (peers). */
export type FeedReply = { blockSubscribers: number }

/** What the feed tells the sequencer after rollup events: whether anyone follows them. */
export type RollupReply = { rollupSubscribers: number }

/**
 * What `eth_subscribe` takes: geth's three kinds, the sequencer's signed block feed (`edge_blocks`,
 * peers follow it) and the rollup's events (`edge_rollup`: L1 outputs, attestations, challenges,
 * slashes, and the node's own computed output roots).
 */
const SUBSCRIPTION_KINDS = [
  'newHeads',
  'logs',
  'newPendingTransactions',
  'edge_blocks',
  'edge_rollup',
] as const
type SubscriptionKind = (typeof SUBSCRIPTION_KINDS)[number]

/** What a websocket remembers across hibernation: its shard and its subscriptions. */
type Attachment = {
  chainId: number
  subs: Record<string, { kind: SubscriptionKind; criteria?: LogCriteria }>
}

/**
 * One shard's fan-out: websocket subscribers (hibernation API) and polling filters. The sequencer
 * publishes here what it admitted and sealed, so it never wakes for each client.
 */
export class Feed extends DurableObject<Env> {
  private readonly config: Config
  private readonly filters: FilterBook

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.config = buildConfig(env)
    this.filters = new FilterBook(ctx.storage.sql)
  }

  /** Accepts a websocket (the Worker forwards the upgrade with the shard in `x-chain-id`). */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return new Response('expected websocket', { status: 426 })
    const chainId = Number(request.headers.get('x-chain-id'))
    const { 0: client, 1: server } = new WebSocketPair()
    this.ctx.acceptWebSocket(server)
    server.serializeAttachment({ chainId, subs: {} } satisfies Attachment)
    return new Response(null, { status: 101, webSocket: client })
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = ws.deserializeAttachment() as Attachment
    const body = typeof message === 'string' ? message : new TextDecoder().decode(message)
    const edge = createEdgeDispatch(createEdgeContext(this.env, this.config, att.chainId))
    const dispatch = async (method: string, params: unknown[]) => {
      if (method === 'eth_subscribe') return this.subscribe(ws, params)
      if (method === 'eth_unsubscribe') return this.unsubscribe(ws, params)
      if (FILTER_METHODS.has(method)) return this.filterOverSocket(ws, method, params, edge)
      if (method === 'edge_getSignedBlocks') return this.signedBlocks(att.chainId, params)
      return edge(method, params)
    }
    const response = await handleJsonRpc(body, dispatch, {
      maxBatch: this.config.rpcMaxBatch,
      maxBodyBytes: this.config.wsMaxMessageBytes,
    })
    if (response) send(ws, stringifyResponse(response))
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, 'closing')
    } catch {}
  }

  /** Filter methods (eth_newFilter …), answered from this object's storage. */
  async rpc(chainId: number, method: string, params: unknown[]): Promise<RpcResult> {
    try {
      const ctx = createEdgeContext(this.env, this.config, chainId)
      return { result: await this.filters.call(ctx, method, params) }
    } catch (err) {
      return { error: toRpcError(err, { method }) }
    }
  }

  /**
   * What the sequencer did since its last call: transactions that entered the pool (pending
   * subscribers and filters), then a sealed block's header and logs (newHeads and logs
   * subscribers), in that order.
   */
  async publish(_chainId: number, news: FeedNews): Promise<FeedReply> {
    if (news.pending.length) {
      this.filters.recordPending(news.pending)
      this.broadcast((kind) => (kind === 'newPendingTransactions' ? news.pending : []))
    }
    const block = news.block
    if (block) this.broadcast((kind) => (kind === 'edge_blocks' ? [block] : []))
    const sealed = news.sealed
    if (sealed)
      this.broadcast((kind, criteria) =>
        kind === 'newHeads'
          ? [sealed.head]
          : kind === 'logs'
            ? sealed.logs.filter((l) => matchLog(l, criteria!))
            : [],
      )
    return { blockSubscribers: this.blockSubscribers() }
  }

  /**
   * Rollup events of the shard (`shared/verifiers/rollupEvents.ts`: what L1 said about its outputs,
   * verifiers and challenges; and the output roots the node computed itself), in order: each one
   * goes to every `edge_rollup` subscription as its own `eth_subscription` notification. Returns how
   * many subscriptions there are (none: the caller may skip work only they would see).
   */
  async publishRollup(_chainId: number, events: object[]): Promise<RollupReply> {
    if (events.length) this.broadcast((kind) => (kind === 'edge_rollup' ? events : []))
    return { rollupSubscribers: this.subscribers('edge_rollup') }
  }

  /** How many subscriptions want the signed block feed (edge_blocks). */
  private blockSubscribers(): number {
    return this.subscribers('edge_blocks')
  }

  /** How many subscriptions of `kind` the shard's websockets hold. */
  private subscribers(kind: SubscriptionKind): number {
    let n = 0
    for (const ws of this.ctx.getWebSockets()) {
      const att = ws.deserializeAttachment() as Attachment
      for (const sub of Object.values(att.subs)) if (sub.kind === kind) n++
    }
    return n
  }

  /**
   * edge_getSignedBlocks(from, count): stored blocks as the live feed carries them, signed by the
   * sequencer (a peer catching up after a gap or a reconnect). Only a sequencer answers.
   */
  private async signedBlocks(chainId: number, params: unknown[]): Promise<unknown> {
    const from = params[0]
    const count = params[1]
    if (typeof from !== 'string' || !/^0x(0|[1-9a-f][0-9a-f]{0,15})$/.test(from))
      throw new InvalidParamsError('invalid argument 0: expected a block number (hex quantity)')
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > GAP_BATCH)
      throw new InvalidParamsError(`invalid argument 1: expected a count from 1 to ${GAP_BATCH}`)
    return unwrap(
      await shardStubs(this.env, chainId).sequencer.signedBlocks(chainId, BigInt(from), count),
    )
  }

  private broadcast(
    pick: (kind: Attachment['subs'][string]['kind'], criteria?: LogCriteria) => unknown[],
  ): void {
    for (const ws of this.ctx.getWebSockets()) {
      const att = ws.deserializeAttachment() as Attachment
      for (const [id, sub] of Object.entries(att.subs))
        for (const result of pick(sub.kind, sub.criteria))
          try {
            ws.send(
              JSON.stringify({
                jsonrpc: '2.0',
                method: 'eth_subscription',
                params: { subscription: id, result },
              }),
            )
          } catch {}
    }
  }

  /**
   * A filter method over a websocket: the shard's polling filters, as over HTTP, with at most
   * WS_MAX_FILTERS made over one connection and not uninstalled over it.
   */
  private async filterOverSocket(
    ws: WebSocket,
    method: string,
    params: unknown[],
    edge: (method: string, params: unknown[]) => Promise<unknown>,
  ): Promise<unknown> {
    const creates = method.startsWith('eth_new')
    const made = () => (ws.deserializeAttachment() as SocketFilters).filters ?? []
    if (creates && made().length >= this.config.wsMaxFilters)
      throw new LimitExceededError(
        `too many filters on this connection (limit ${this.config.wsMaxFilters}); uninstall some first`,
      )
    const result = await edge(method, params)
    const uninstalled = method === 'eth_uninstallFilter' && result === true
    if ((creates && typeof result === 'string') || uninstalled) {
      const att = ws.deserializeAttachment() as SocketFilters
      const id = String(creates ? result : params[0]).toLowerCase()
      att.filters = creates ? [...made(), id] : made().filter((f) => f !== id)
      ws.serializeAttachment(att)
    }
    return result
  }

  private subscribe(ws: WebSocket, params: unknown[]): string {
    const kind = params[0] as SubscriptionKind
    if (!SUBSCRIPTION_KINDS.includes(kind))
      throw new InvalidParamsError(
        `invalid argument 0: unsupported subscription ${JSON.stringify(kind)}; use newHeads, logs, newPendingTransactions, edge_blocks or edge_rollup`,
      )
    const criteria = kind === 'logs' ? parseLogCriteria(params[1] ?? {}, 1) : undefined
    const id = `0x${[...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')}`
    const att = ws.deserializeAttachment() as Attachment
    if (Object.keys(att.subs).length >= this.config.wsMaxSubscriptions)
      throw new LimitExceededError(
        `too many subscriptions on this connection (limit ${this.config.wsMaxSubscriptions}); unsubscribe first`,
      )
    att.subs[id] = { kind, criteria }
    ws.serializeAttachment(att)
    return id
  }

  private unsubscribe(ws: WebSocket, params: unknown[]): boolean {
    const id = params[0]
    if (typeof id !== 'string')
      throw new InvalidParamsError('invalid argument 0: expected a subscription id')
    const att = ws.deserializeAttachment() as Attachment
    if (!Object.hasOwn(att.subs, id)) return false
    delete att.subs[id]
    ws.serializeAttachment(att)
    return true
  }
}
