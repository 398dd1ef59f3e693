/** Where the page's node serves the shard: its JSON-RPC path and the shard's chain id. */
export type NodeOptions = { chainId: number; rpcPath: string }

/** What `createNode` returns. */
export type NodeApi = ReturnType<typeof createNode>

/** A JSON-RPC error answered by the node. */
type RpcFailure = { code: number; message: string }

/**
 * The page's only data source, in the browser: the node it was served from, through the same
 * endpoints every client uses: JSON-RPC over HTTP (`rpc`, `batch`), the shard's websocket
 * (`subscribe`: eth_subscribe newHeads and edge_rollup, re-subscribed after a reconnect) and the
 * node's GET endpoints (`get`: /chains, /network, /chain/<id>/withdrawals/<hash>). Self-contained:
 * shipped with `Function.prototype.toString`.
 */
export function createNode(opts: NodeOptions, origin: { protocol: string; host: string }) {
  let nextId = 1

  async function post(body: unknown): Promise<unknown> {
    const res = await fetch(opts.rpcPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return res.json()
  }

  /** One call; throws the node's error message. */
  async function rpc<T = any>(method: string, params: unknown[] = []): Promise<T> {
    const r = (await post({ jsonrpc: '2.0', id: nextId++, method, params })) as {
      result?: T
      error?: RpcFailure
    }
    if (r.error) throw new Error(`${method}: ${r.error.message}`)
    return r.result as T
  }

  /** Several calls in one JSON-RPC batch (at most 100, the node's default RPC_MAX_BATCH); errors as null. */
  async function batch<T = any>(calls: [string, unknown[]][]): Promise<(T | null)[]> {
    if (calls.length === 0) return []
    const first = nextId
    nextId += calls.length
    const body = calls.map(([method, params], i) => ({
      jsonrpc: '2.0',
      id: first + i,
      method,
      params,
    }))
    const answers = (await post(body)) as { id: number; result?: T }[]
    const byId = new Map(answers.map((a) => [a.id, a.result ?? null]))
    return calls.map((_, i) => byId.get(first + i) ?? null)
  }

  /** A GET of the node's JSON endpoints: status and body. */
  async function get<T = any>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(path, { headers: { accept: 'application/json' } })
    return { status: res.status, body: (await res.json()) as T }
  }

  type Handler = (result: any) => void
  const handlers = new Map<string, Handler>()
  const wanted: [string, Handler][] = []
  let socket: WebSocket | undefined
  let onState: (live: boolean) => void = () => {}

  /** Opens the shard's websocket and subscribes every wanted kind; reconnects after 2 s when it drops. */
  function connect(): void {
    const scheme = origin.protocol === 'https:' ? 'wss:' : 'ws:'
    const ws = new WebSocket(`${scheme}//${origin.host}${opts.rpcPath}`)
    socket = ws
    const pending = new Map<number, Handler>()
    ws.addEventListener('open', () => {
      handlers.clear()
      for (const [kind, handler] of wanted) {
        const id = nextId++
        pending.set(id, (sub) => handlers.set(String(sub), handler))
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_subscribe', params: [kind] }))
      }
      onState(true)
    })
    ws.addEventListener('message', (event) => {
      const msg = JSON.parse(String(event.data))
      if (msg.method === 'eth_subscription')
        handlers.get(msg.params.subscription)?.(msg.params.result)
      else if (pending.has(msg.id) && msg.result) pending.get(msg.id)!(msg.result)
    })
    ws.addEventListener('close', () => {
      if (socket !== ws) return
      onState(false)
      setTimeout(connect, 2_000)
    })
  }

  /** Follows `kind` (newHeads, edge_rollup) over the websocket from the next connection on. */
  function subscribe(kind: string, handler: Handler): void {
    wanted.push([kind, handler])
  }

  /** Connects; `state` hears whether the websocket is up. */
  function start(state: (live: boolean) => void): void {
    onState = state
    connect()
  }

  return { chainId: opts.chainId, rpc, batch, get, subscribe, start }
}
