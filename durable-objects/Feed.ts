import { DurableObject } from 'cloudflare:workers'
import type { Hex } from 'viem'
import { buildConfig, type Config } from '../shared/config.js'
import type { BlockNews } from '../shared/chain/shardChain.js'
import { InvalidParamsError } from '../shared/errors.js'
import { createEdgeDispatch, type RpcResult } from '../shared/rpc/edgeMethods.js'
import { FilterBook } from '../shared/rpc/filterBook.js'
import { handleJsonRpc } from '../shared/rpc/handleJsonRpc.js'
import { matchLog, parseLogCriteria, type LogCriteria } from '../shared/rpc/logFilter.js'
import { toRpcError } from '../shared/rpc/toRpcError.js'
import { createEdgeContext } from './edgeContext.js'

/**
 * What the sequencer tells the feed: hashes that entered the pool and, if it sealed a block, the
 * block's header as newHeads carries it and its logs.
 */
export type FeedNews = { pending: Hex[]; sealed?: BlockNews }

/** What a websocket remembers across hibernation: its shard and its subscriptions. */
type Attachment = {
  chainId: number
  subs: Record<
    string,
    { kind: 'newHeads' | 'logs' | 'newPendingTransactions'; criteria?: LogCriteria }
  >
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
      return edge(method, params)
    }
    const response = await handleJsonRpc(body, dispatch, {
      maxBatch: this.config.rpcMaxBatch,
      maxBodyBytes: this.config.rpcMaxBodyBytes,
    })
    if (response) ws.send(JSON.stringify(response))
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
      return { error: toRpcError(err) }
    }
  }

  /**
   * What the sequencer did since its last call: transactions that entered the pool (pending
   * subscribers and filters), then a sealed block's header and logs (newHeads and logs
   * subscribers), in that order.
   */
  async publish(_chainId: number, news: FeedNews): Promise<void> {
    if (news.pending.length) {
      this.filters.recordPending(news.pending)
      this.broadcast((kind) => (kind === 'newPendingTransactions' ? news.pending : []))
    }
    const sealed = news.sealed
    if (!sealed) return
    this.broadcast((kind, criteria) =>
      kind === 'newHeads'
        ? [sealed.head]
        : kind === 'logs'
          ? sealed.logs.filter((l) => matchLog(l, criteria!))
          : [],
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

  private subscribe(ws: WebSocket, params: unknown[]): string {
    const kind = params[0]
    if (kind !== 'newHeads' && kind !== 'logs' && kind !== 'newPendingTransactions')
      throw new InvalidParamsError(
        `invalid argument 0: unsupported subscription ${JSON.stringify(kind)}; use newHeads, logs or newPendingTransactions`,
      )
    const criteria = kind === 'logs' ? parseLogCriteria(params[1] ?? {}, 1) : undefined
    const id = `0x${[...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')}`
    const att = ws.deserializeAttachment() as Attachment
    att.subs[id] = { kind, criteria }
    ws.serializeAttachment(att)
    return id
  }

  private unsubscribe(ws: WebSocket, params: unknown[]): boolean {
    const id = params[0]
    if (typeof id !== 'string')
      throw new InvalidParamsError('invalid argument 0: expected a subscription id')
    const att = ws.deserializeAttachment() as Attachment
    if (!(id in att.subs)) return false
    delete att.subs[id]
    ws.serializeAttachment(att)
    return true
  }
}
