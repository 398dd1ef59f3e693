import { Hono } from 'hono'
import { cors } from 'hono/cors'
import {
  buildConfig,
  findShard,
  nodeRole,
  poolSequenced,
  parseChainIdParam,
  shardL1,
  type Config,
} from '../shared/config.js'
import { createEdgeDispatch } from '../shared/rpc/edgeMethods.js'
import { handleJsonRpc, stringifyResponse } from '../shared/rpc/handleJsonRpc.js'
import { toRpcError } from '../shared/rpc/toRpcError.js'
import { createEdgeContext, shardStubs } from '../durable-objects/edgeContext.js'
import { shardSettlement } from '../shared/settlement/shardViemChain.js'
import { L1UnavailableError } from '../shared/settlement/withdrawalStatus.js'
import {
  buildNetworkContracts,
  readNetwork,
  type NetworkReport,
} from '../shared/verifiers/network.js'
import { createL1Clients } from '../durable-objects/l1Clients.js'
import { readNetworkWithPool, type PoolView } from '../shared/sequencing/poolView.js'
import { withdrawals } from './withdrawals.js'
import { FORWARDED_HEADER } from '../shared/forwarding/forwardRpc.js'
import { renderStatusPage, wantsHtml } from './status/renderStatusPage.js'

export { Sequencer } from '../durable-objects/Sequencer.js'
export { Feed } from '../durable-objects/Feed.js'

type AppEnv = { Bindings: Env; Variables: { config: Config } }

/**
 * The stateless edge: JSON-RPC over HTTP (single and batch) and websocket upgrades for every shard,
 * at /chain/<chainId> and, for the first shard, at /. No state of its own.
 */
const app = new Hono<AppEnv>()

let cachedConfig: Config | undefined
app.use('*', async (c, next) => {
  c.set('config', (cachedConfig ??= buildConfig(c.env)))
  await next()
})
app.use(
  '*',
  cors({
    origin: '*',
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Content-Type', 'Authorization'],
    maxAge: 86400,
  }),
)

/**
 * `GET /health`: 200 `{ ok: true, shards }` while every shard's node is healthy, 503 `{ ok: false,
 * shards }` while one has a deterministic failure (invariant 10): each shard's `healthy` and its
 * current `failures` (the part of the L1 round, the kind, the reason, since when, attempts).
 */
app.get('/health', async (c) => {
  const shards = await Promise.all(
    c.get('config').shards.map(async (s) => ({
      chainId: s.chainId,
      ...(await shardStubs(c.env, s.chainId).sequencer.status(s.chainId)).health,
    })),
  )
  const ok = shards.every((s) => s.healthy)
  return c.json({ ok, shards }, ok ? 200 : 503)
})

app.get('/chains', async (c) => {
  const url = new URL(c.req.url)
  const ws = url.protocol === 'https:' ? 'wss:' : 'ws:'
  const config = c.get('config')
  const { shards, l1 } = config
  return c.json(
    await Promise.all(
      shards.map(async (s) => {
        const rpcUrl = `${url.origin}/chain/${s.chainId}`
        const wsUrl = `${ws}//${url.host}/chain/${s.chainId}`
        // What this node is for the shard, and for a peer whose live feed it follows: fixed by
        // configuration, or (pool-sequenced) by the pool's turn as the shard's object last read it.
        // `health`: whether this node is healthy for the shard, and what fails (as GET /health).
        const status = await shardStubs(c.env, s.chainId).sequencer.status(s.chainId)
        const role = poolSequenced(config, s.chainId)
          ? status
          : {
              role: nodeRole(config, s.chainId),
              ...(nodeRole(config, s.chainId) === 'peer' && {
                follows: config.sequencerUrl && `${config.sequencerUrl}/chain/${s.chainId}`,
              }),
              health: status.health,
            }
        return {
          chainId: s.chainId,
          name: s.name,
          rpcUrl,
          wsUrl,
          ...role,
          ...shardSettlement(l1, s, { http: [rpcUrl], webSocket: [wsUrl] }),
        }
      }),
    ),
  )
})

/** How long one isolate reuses a `GET /network` answer (or failure), and the most it waits for L1. */
const NETWORK_CACHE_MS = 2_000
const NETWORK_DEADLINE_MS = 4_000
let network:
  | {
      until: number
      status: 200 | 503
      body: (NetworkReport & { sequencing?: PoolView }) | { error: string }
    }
  | undefined

/**
 * `GET /network`: the verifier network on L1 (`shared/verifiers/network.ts`): parameters, verifiers,
 * active and quorum stake, and per shard its last 10 outputs with their attestations and its
 * challenges; with a SequencerPool, `sequencing`: the epoch, each shard's current and next sequencer
 * (address, URL) and its schedule (`shared/sequencing/poolView.ts`). 404 `{ error }` without an L1 or without verifier contracts in it; 503 `{ error }` when
 * L1 does not answer within 4 s. An answer (or a 503) serves the isolate's requests for 2 s, so a
 * status page polling it costs L1 at most one read (three Multicall3 calls) per 2 s and isolate.
 * Only settled answers are shared: a request never awaits another request's I/O.
 */
app.get('/network', async (c) => {
  const config = c.get('config')
  if (!config.l1) return c.json({ error: 'this node settles on no L1' }, 404)
  const contracts = buildNetworkContracts(
    config.l1,
    config.shards.map((s) => s.chainId),
  )
  if (!contracts)
    return c.json(
      { error: 'no verifier contracts (verifierStaking, outputQuorum) in the L1 config' },
      404,
    )
  if (!network || network.until <= Date.now()) {
    try {
      const report = await withDeadline(
        readNetworkWithPool(createL1Clients(config.l1, {}).l1, contracts, config.l1),
        NETWORK_DEADLINE_MS,
      )
      network = { until: Date.now() + NETWORK_CACHE_MS, status: 200, body: report }
    } catch (err) {
      if (!(err instanceof L1UnavailableError)) throw err
      console.error('GET /network', err.shortMessage)
      const body = { error: err.shortMessage }
      network = { until: Date.now() + NETWORK_CACHE_MS, status: 503, body }
    }
  }
  return c.json(network.body, network.status)
})

/** `promise`, or `L1UnavailableError` once `ms` passed without its answer. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new L1UnavailableError(`L1 did not answer within ${ms / 1000} s`)),
      ms,
    )
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

async function serve(c: import('hono').Context<AppEnv>, chainId: number): Promise<Response> {
  const config = c.get('config')
  try {
    findShard(config, chainId)
  } catch (err) {
    return c.json({ jsonrpc: '2.0', id: null, error: toRpcError(err) }, 404)
  }
  if (c.req.header('upgrade')?.toLowerCase() === 'websocket') {
    const headers = new Headers(c.req.raw.headers)
    headers.set('x-chain-id', String(chainId))
    return shardStubs(c.env, chainId).feed.fetch(new Request(c.req.raw.url, { headers }))
  }
  // A browser gets the shard's status page (workers/status/); any other GET the endpoint's note.
  if (c.req.method === 'GET' && wantsHtml(c.req.header('accept')))
    return c.html(await renderStatusPage(c.env, config, chainId))
  if (c.req.method === 'GET')
    return c.json({ chainId, rpc: 'POST JSON-RPC 2.0 here, or open a websocket' })
  const length = Number(c.req.header('content-length') ?? 0)
  if (length > config.rpcMaxBodyBytes)
    return c.json(
      {
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32600,
          message: `request body too large: ${length} bytes, limit ${config.rpcMaxBodyBytes}`,
        },
      },
      413,
    )
  const body = await c.req.text()
  const forwarded = c.req.header(FORWARDED_HEADER) !== undefined
  const dispatch = createEdgeDispatch(createEdgeContext(c.env, config, chainId, { forwarded }))
  const response = await handleJsonRpc(body, dispatch, {
    maxBatch: config.rpcMaxBatch,
    maxBodyBytes: config.rpcMaxBodyBytes,
  })
  if (response === undefined) return c.body(null, 204)
  return c.body(stringifyResponse(response), 200, { 'content-type': 'application/json' })
}

app.route('/', withdrawals)
app.on(['GET', 'POST'], '/', (c) => serve(c, c.get('config').shards[0].chainId))
app.on(['GET', 'POST'], '/chain/:chainId', (c) => {
  const raw = c.req.param('chainId')
  const id = parseChainIdParam(raw)
  if (id === undefined)
    return c.json(
      { jsonrpc: '2.0', id: null, error: { code: -32602, message: 'bad chain id in path' } },
      404,
    )
  return serve(c, id)
})

app.notFound((c) => c.json({ error: 'not found' }, 404))
// Only a fault outside JSON-RPC handling lands here (handleJsonRpc answers every request itself):
// -32603 with the id its log line carries, and the route it failed on.
app.onError((err, c) =>
  c.json(
    {
      jsonrpc: '2.0',
      id: null,
      error: toRpcError(err, { method: `${c.req.method} ${c.req.path}` }),
    },
    500,
  ),
)

/**
 * The cron trigger: one round of L1 work (deposits, batches, outputs) for every shard with an L1.
 * The sequencers also run these rounds on their own alarms; the cron keeps them going after an
 * eviction. Locally, `wrangler dev --test-scheduled` exposes it at /__scheduled.
 */
async function scheduled(_event: ScheduledController, env: Env, ctx: ExecutionContext) {
  const config = (cachedConfig ??= buildConfig(env))
  if (!config.l1) return
  for (const { chainId } of config.shards)
    if (shardL1(config, chainId))
      ctx.waitUntil(
        shardStubs(env, chainId)
          .sequencer.settle(chainId)
          .catch((err) => console.error(`cron: L1 round of shard ${chainId} failed`, err)),
      )
}

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Env>
