import { InvalidParamsError } from './errors.js'

/** One L2 chain served by this deployment. */
export type ShardConfig = { chainId: number; name: string }

/** A shard's contracts on L1 (what `scripts/deploy-l1.ts` deployed for it). */
export type ShardL1 = {
  portal: string
  l2OutputOracle: string
  systemConfig: string
  batchInbox: string
  l1StartBlock: string
  /** The shard's batcher on L1 (the key that signs for it is a secret, not config). */
  batcher?: string
  /** The address whose signature a live-feed block needs (the sequencer's); the batcher's if absent. */
  sequencer?: string
  /** The oracle's proposer: the OutputQuorum (informational; deploy-l1 reports it). */
  proposer?: string
  /**
   * The DAC that owns the shard's contracts (the same for every shard): its governance token, Governor,
   * Timelock (owner of every L1 contract) and mining vault. Absent in configs older than the DAC.
   */
  token?: string
  governor?: string
  timelock?: string
  miningVault?: string
  /**
   * The verifier set (VerifierStaking) and the output quorum (OutputQuorum, the oracle's proposer and
   * challenger), the same for every shard. Absent in configs older than the verifiers.
   */
  verifierStaking?: string
  outputQuorum?: string
  /** The sequencer pool (SequencerPool: epochs, schedule, node URLs), the same for every shard. */
  sequencerPool?: string
  /**
   * Who sequences the shard, fixed at deployment (every node of a network must agree, as on the
   * inbox): `pool`, the verifier the SequencerPool schedules, whose batches count only through the
   * pool's `submitBatch`; absent (`fixed`), the node with SEQUENCER_KEY, posting to the BatchInbox.
   */
  sequencing?: 'pool' | 'fixed'
}

/** The L1 this deployment settles on, if configured: its chain, RPC and the contracts of each shard. */
export type L1Config = {
  chainId: number
  rpcUrl: string
  multicall3: string
  shards: Record<string, ShardL1>
}

/** Everything the node reads from its environment, parsed once (ponder's `buildOptions`). */
export type Config = {
  shards: ShardConfig[]
  /** Milliseconds between blocks when there is work; 0 seals at once (automine). */
  blockTimeMs: number
  blockGasLimit: bigint
  rpcMaxBatch: number
  rpcMaxBodyBytes: number
  logsMaxRange: number
  /** The most logs one eth_getLogs / eth_getFilterLogs / eth_getFilterChanges answers (reth: 20,000). */
  logsMaxResults: number
  /** Gas of eth_call, eth_estimateGas, eth_createAccessList, debug_traceCall (geth --rpc.gascap, 50,000,000; 0 = none). */
  rpcGasCap: bigint
  /** Milliseconds of EVM time per eth_call, eth_estimateGas, eth_createAccessList or trace (geth --rpc.evmtimeout, 5 s; 0 = none). */
  rpcEvmTimeoutMs: number
  /** The largest struct-logger trace, in bytes of JSON (a Worker has 128 MB). */
  rpcTraceMaxBytes: number
  /** Polling filters (eth_newFilter …) installed at once, per shard. */
  rpcMaxFilters: number
  /** Per websocket: subscriptions open at once, and polling filters made over it. */
  wsMaxSubscriptions: number
  wsMaxFilters: number
  /** The largest websocket message (request) in bytes. */
  wsMaxMessageBytes: number
  /** eth_sendRawTransactionSync (EIP-7966): the wait when the caller names none or an invalid one, and the most a caller may ask. */
  txSyncDefaultTimeoutMs: number
  txSyncMaxTimeoutMs: number
  l1?: L1Config
  /** L1 blocks on top of one before the L2 takes its deposits. */
  l1Confirmations: bigint
  /** Milliseconds between rounds of L1 work (watching, batches, outputs). */
  l1PollMs: number
  /**
   * The sequencer's key (a secret): a node with it sequences and signs its live block feed; a node
   * without it is a peer (it derives from L1, follows the feed, forwards writes). Without an L1 a
   * node can only sequence, so it does.
   */
  sequencerKey?: `0x${string}`
  /** The sequencer node's base URL (a peer forwards writes there and follows its live feed). */
  sequencerUrl?: string
  /** Private key of the batcher (a secret); without it the node posts no batches. */
  batcherKey?: `0x${string}`
  /**
   * The verifier operator's key (a secret), whose address is staked in VerifierStaking: the node
   * signs every output root it computed, attests it on L1, challenges roots that differ from its own,
   * exposes long-window outputs and resolves challenges. Any role can have it.
   */
  verifierKey?: `0x${string}`
  /** This node's public base URL (PUBLIC_URL): a verifier publishes it in the sequencer pool. */
  publicUrl?: string
  /** Test only (VERIFIER_FAULT=wrong-root): the verifier signs a corrupted root, to play a faulty one. */
  verifierFault?: 'wrong-root'
  /**
   * Test only (SEQUENCER_FAULT): `stale-origin`, the sequencer never moves its L1 origin (leaves
   * deposits out); `equivocate`, it signs a second child of each parent on its live feed.
   */
  sequencerFault?: SequencerFault
}

type ConfigEnv = {
  SHARDS?: string
  BLOCK_TIME_MS?: string
  BLOCK_GAS_LIMIT?: string
  RPC_MAX_BATCH?: string
  RPC_MAX_BODY_BYTES?: string
  LOGS_MAX_RANGE?: string
  LOGS_MAX_RESULTS?: string
  RPC_GAS_CAP?: string
  /** A duration: `5s`, `500ms`, `1m`. */
  RPC_EVM_TIMEOUT?: string
  RPC_TRACE_MAX_BYTES?: string
  RPC_MAX_FILTERS?: string
  WS_MAX_SUBSCRIPTIONS?: string
  WS_MAX_FILTERS?: string
  WS_MAX_MESSAGE_BYTES?: string
  RPC_TX_SYNC_TIMEOUT_MS?: string
  RPC_TX_SYNC_MAX_TIMEOUT_MS?: string
  /** JSON `L1Config`, set by `npm start` (or a deployment) once the L1 contracts exist. */
  L1?: string
  L1_CONFIRMATIONS?: string
  L1_POLL_MS?: string
  BATCHER_KEY?: string
  VERIFIER_KEY?: string
  VERIFIER_FAULT?: string
  SEQUENCER_FAULT?: string
  PUBLIC_URL?: string
  SEQUENCER_KEY?: string
  SEQUENCER_URL?: string
}

const DEFAULT_SHARDS: ShardConfig[] = [{ chainId: 901, name: 'edge-l2' }]

/** Builds the typed `Config` from the Worker's `env` vars; throws on a malformed value. */
export function buildConfig(env: ConfigEnv): Config {
  const shards = env.SHARDS ? (JSON.parse(env.SHARDS) as ShardConfig[]) : DEFAULT_SHARDS
  if (!Array.isArray(shards) || shards.length === 0)
    throw new Error('SHARDS must list at least one shard')
  for (const s of shards)
    if (!Number.isSafeInteger(s.chainId) || s.chainId <= 0)
      throw new Error(`bad shard chain id ${s.chainId}`)
  return {
    shards,
    blockTimeMs: int(env.BLOCK_TIME_MS, 1000),
    blockGasLimit: BigInt(env.BLOCK_GAS_LIMIT ?? 30_000_000),
    rpcMaxBatch: int(env.RPC_MAX_BATCH, 100),
    rpcMaxBodyBytes: int(env.RPC_MAX_BODY_BYTES, 1 << 20),
    logsMaxRange: int(env.LOGS_MAX_RANGE, 10_000),
    logsMaxResults: int(env.LOGS_MAX_RESULTS, 20_000),
    rpcGasCap: BigInt(int(env.RPC_GAS_CAP, 50_000_000)),
    rpcEvmTimeoutMs: duration(env.RPC_EVM_TIMEOUT, 5_000),
    rpcTraceMaxBytes: int(env.RPC_TRACE_MAX_BYTES, 32 << 20),
    rpcMaxFilters: int(env.RPC_MAX_FILTERS, 10_000),
    wsMaxSubscriptions: int(env.WS_MAX_SUBSCRIPTIONS, 1_000),
    wsMaxFilters: int(env.WS_MAX_FILTERS, 1_000),
    wsMaxMessageBytes: int(env.WS_MAX_MESSAGE_BYTES, 1 << 20),
    txSyncDefaultTimeoutMs: int(env.RPC_TX_SYNC_TIMEOUT_MS, 2_000),
    txSyncMaxTimeoutMs: int(env.RPC_TX_SYNC_MAX_TIMEOUT_MS, 60_000),
    l1: env.L1 ? (JSON.parse(env.L1) as L1Config) : undefined,
    l1Confirmations: BigInt(int(env.L1_CONFIRMATIONS, 2)),
    l1PollMs: int(env.L1_POLL_MS, 2000),
    sequencerKey: key(env.SEQUENCER_KEY, 'SEQUENCER_KEY'),
    sequencerUrl: url(env.SEQUENCER_URL, 'SEQUENCER_URL'),
    batcherKey: key(env.BATCHER_KEY, 'BATCHER_KEY'),
    verifierKey: key(env.VERIFIER_KEY, 'VERIFIER_KEY'),
    verifierFault: fault(env.VERIFIER_FAULT),
    sequencerFault: sequencerFault(env.SEQUENCER_FAULT),
    publicUrl: url(env.PUBLIC_URL, 'PUBLIC_URL'),
  }
}

function key(value: string | undefined, name: string): `0x${string}` | undefined {
  if (!value) return undefined
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new Error(`${name} must be a 32-byte hex private key`)
  return value as `0x${string}`
}

function fault(value: string | undefined): 'wrong-root' | undefined {
  if (!value) return undefined
  if (value !== 'wrong-root')
    throw new Error(`VERIFIER_FAULT must be wrong-root (test only), not ${value}`)
  return value
}

/**
 * Test only (SEQUENCER_FAULT): `stale-origin` plays a sequencer that leaves L1 deposits out by never
 * moving its blocks' L1 origin forward; `equivocate` one that signs two children of each parent on
 * its live feed (an empty sibling first, then its real block).
 */
export type SequencerFault = 'stale-origin' | 'equivocate'

function sequencerFault(value: string | undefined): SequencerFault | undefined {
  if (!value) return undefined
  if (value !== 'stale-origin' && value !== 'equivocate')
    throw new Error(`SEQUENCER_FAULT must be stale-origin or equivocate (test only), not ${value}`)
  return value
}

function url(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined
  const u = URL.canParse(value) ? new URL(value) : undefined
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
    throw new Error(`${name} must be an http(s) URL`)
  return value.replace(/\/+$/, '')
}

/**
 * What this node is for a shard at start-up: its sequencer when it has the sequencer key, or when the
 * shard settles on no L1 (nothing to derive from); a peer otherwise, and always in a pool-sequenced
 * shard (the pool's schedule, read from L1 every round, makes it the sequencer for its turns).
 */
export function nodeRole(
  config: Pick<Config, 'sequencerKey' | 'l1'>,
  chainId: number,
): 'sequencer' | 'peer' {
  if (poolSequenced(config, chainId)) return 'peer'
  return config.sequencerKey || !shardL1(config, chainId) ? 'sequencer' : 'peer'
}

/**
 * Whether the shard's sequencer is the pool's scheduled verifier (`ShardL1.sequencing` 'pool'): then
 * every node starts as a peer and takes the sequencer's role only for its turns (`nodeRole` is the
 * role at start-up).
 */
export function poolSequenced(config: Pick<Config, 'l1'>, chainId: number): boolean {
  const l1 = shardL1(config, chainId)
  return l1?.sequencing === 'pool' && l1.sequencerPool !== undefined
}

/** A Go-style duration as geth's flags take it (`5s`, `500ms`, `1m`), in milliseconds. */
function duration(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback
  const m = /^(\d+)(ms|s|m)$/.exec(value)
  if (!m) throw new Error(`bad duration ${value}: use e.g. 5s or 500ms`)
  const n = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1_000 : 60_000)
  if (!Number.isSafeInteger(n)) throw new Error(`bad duration ${value}`)
  return n
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad numeric setting ${value}`)
  return n
}

/** The shard for a chain id, or an error naming the ones served. */
export function findShard(config: Config, chainId: number): ShardConfig {
  const shard = config.shards.find((s) => s.chainId === chainId)
  if (!shard)
    throw new InvalidParamsError(
      `unknown chain id ${chainId}; served: ${config.shards.map((s) => s.chainId).join(', ')}`,
    )
  return shard
}

/** A shard's contracts on the configured L1, or undefined when it settles on none. */
export function shardL1(config: Pick<Config, 'l1'>, chainId: number): ShardL1 | undefined {
  return config.l1?.shards[String(chainId)]
}

/** A chain id as written in a URL path (`/chain/<id>`): digits, no leading zero, a safe integer. */
export function parseChainIdParam(raw: string): number | undefined {
  const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN
  return Number.isSafeInteger(id) ? id : undefined
}
