import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  createPublicClient,
  createWalletClient,
  http,
  zeroAddress,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
} from 'viem'
import { perFile } from './perFile.js'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import { toL1Config, type L1Deployment } from '../../scripts/deploy-l1.js'
import { devnetVerifierParams } from '../../scripts/dac-params.js'
import { devnetOperator, stakeOperators } from '../../scripts/devnet-verifiers.js'
import {
  devnetSequencingParams,
  type SequencingParameters,
} from '../../scripts/sequencing-params.js'
import { BATCHER, GENESIS_LOCK } from './bridge.fixtures.js'
import { deployDevnet, devAccount } from './l1.fixtures.js'
import {
  getFreePort,
  restartNodeOnPort,
  startAnvil,
  startNode,
  type Anvil,
  type L2Node,
} from './processes.js'

/**
 * A pool-sequenced devnet as `npm start` runs it, with test timings: anvil mining a block a second;
 * the L1 contracts with `sequencing: 'pool'` in the nodes' L1 config; `operators` verifier operators
 * staked (100,000 EDGE each) and one node each (`VERIFIER_KEY`, `PUBLIC_URL` its own address, no
 * sequencer or batcher key), plus a keyless peer: every node is a separate process with its own
 * state, and they meet only on L1 and over HTTP/WebSocket. Who sequences is the pool's schedule.
 */
export type PoolDevnet = {
  anvil: Anvil
  deployment: L1Deployment
  l1Chain: Chain
  l1: PublicClient
  /** The operators (devnetOperator 0, 1, …) and their nodes (`nodes[i]` is operator i's; undefined while stopped). */
  operators: { address: Address; key: Hex }[]
  nodes: (L2Node | undefined)[]
  /** A node with no key: it only derives, follows and forwards. */
  peer: L2Node
  /** The settings every node has (L1 config, timings); operators add their key and URL. */
  vars: Record<string, string>
  /** The shard's turn now: holder, its URL, the epoch. */
  turn(): Promise<{
    holder: Address
    url: string
    epoch: bigint
    skippableAt: bigint
    nextEpochStart: bigint
  }>
  /** Operator index of the current holder (-1: none of them). */
  holderIndex(): Promise<number>
  /** Stops operator i's node with `signal` (SIGKILL: a crash); its state stays. */
  stopNode(i: number, signal?: NodeJS.Signals): Promise<void>
  /** Starts operator i's node again on its state and port (with `vars` over its own). */
  startNode(i: number, vars?: Record<string, string>): Promise<L2Node>
  stop(): Promise<void>
}

export const POOL_CHAIN_ID = 901

export async function startPoolDevnet(
  opts: {
    operators?: number
    sequencing?: Partial<SequencingParameters>
    vars?: Record<string, string>
    /** More anvil flags (e.g. `--prune-history 128`: an L1 that keeps state near its head only). */
    anvilArgs?: string[]
    /** Seconds between L1 blocks (default 1). */
    blockTime?: number
    /**
     * Mines an L1 block every this many ms with `evm_mine` instead of anvil's interval mining (after
     * the deployment, automine off): anvil prunes old state (`--prune-history`) only then.
     */
    mineEveryMs?: number
  } = {},
): Promise<PoolDevnet> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-l2-pool-'))
  const anvil = await startAnvil({
    blockTime: opts.mineEveryMs ? undefined : (opts.blockTime ?? 1),
    stateFile: path.join(dir, 'l1-state.json'),
    extraArgs: opts.anvilArgs,
  })
  const l1 = createPublicClient({ transport: http(anvil.url) }) as PublicClient
  const deployer = devAccount(0).address
  const balance = await l1.getBalance({ address: deployer })
  await l1.request({
    method: 'anvil_setBalance' as never,
    params: [deployer, `0x${(balance + GENESIS_LOCK).toString(16)}`] as never,
  })
  const { deployment, chain: l1Chain } = await deployDevnet(anvil.url, {
    chainIds: [POOL_CHAIN_ID],
    batcher: BATCHER.address,
    genesisLock: GENESIS_LOCK,
    verifiers: devnetVerifierParams,
    sequencing: { ...devnetSequencingParams, ...opts.sequencing },
    submissionInterval: 4n,
    finalizationPeriodSeconds: 8n,
  })
  let miner: ReturnType<typeof setInterval> | undefined
  if (opts.mineEveryMs) {
    await l1.request({ method: 'anvil_setAutomine' as never, params: [false] as never })
    miner = setInterval(
      () => l1.request({ method: 'evm_mine' as never }).catch(() => {}),
      opts.mineEveryMs,
    )
  }
  const operators = Array.from({ length: opts.operators ?? 3 }, (_, i) => devnetOperator(i))
  await stakeOperators(
    createWalletClient({ account: devAccount(9), chain: l1Chain, transport: http(anvil.url) }),
    { token: deployment.dac.token, staking: deployment.verifiers.staking },
    operators.map((o) => o.address),
  )
  const base: Record<string, string> = {
    L1: JSON.stringify(toL1Config(deployment, anvil.url, { sequencing: 'pool' })),
    L1_CONFIRMATIONS: '1',
    L1_POLL_MS: '500',
    BLOCK_TIME_MS: '500',
    ...opts.vars,
  }
  const ports = await Promise.all(operators.map(() => getFreePort()))
  const dirs = operators.map((_, i) => path.join(dir, `node-${i}`))
  const varsOf = (i: number) => ({
    ...base,
    VERIFIER_KEY: operators[i].key,
    PUBLIC_URL: `http://127.0.0.1:${ports[i]}`,
  })
  // POOL_NODE_LOGS=<dir> keeps every line each node printed in <dir>/node-<i>.log and peer.log.
  const logTo = (name: string) => {
    const logs = process.env.POOL_NODE_LOGS
    if (!logs) return undefined
    mkdirSync(logs, { recursive: true })
    return (line: string) => appendFileSync(path.join(logs, `${name}.log`), `${line}\n`)
  }
  const startOptions = (i: number, vars: Record<string, string> = {}) => ({
    port: ports[i],
    persistDir: dirs[i],
    vars: { ...varsOf(i), ...vars },
    onLog: logTo(`node-${i}`),
  })
  const nodes: (L2Node | undefined)[] = await Promise.all(
    operators.map((_, i) => startNode(startOptions(i))),
  )
  const peer = await startNode({
    persistDir: path.join(dir, 'peer'),
    vars: base,
    onLog: logTo('peer'),
  })
  const pool = deployment.sequencing.pool
  const devnet: PoolDevnet = {
    anvil,
    deployment,
    l1Chain,
    l1,
    operators: operators.map((o) => ({ address: o.address, key: o.key })),
    nodes,
    peer,
    vars: base,
    async turn() {
      const epoch = await l1.readContract({
        address: pool,
        abi: sequencerPoolAbi,
        functionName: 'currentEpoch',
      })
      const [[holder, , , skippableAt, url], nextEpochStart] = await Promise.all([
        l1.readContract({
          address: pool,
          abi: sequencerPoolAbi,
          functionName: 'turnOf',
          args: [BigInt(POOL_CHAIN_ID), epoch],
        }),
        l1.readContract({
          address: pool,
          abi: sequencerPoolAbi,
          functionName: 'epochStart',
          args: [epoch + 1n],
        }),
      ])
      return { holder, url, epoch, skippableAt, nextEpochStart }
    },
    async holderIndex() {
      const { holder } = await devnet.turn()
      if (holder === zeroAddress) return -1
      return operators.findIndex((o) => o.address.toLowerCase() === holder.toLowerCase())
    },
    async stopNode(i, signal = 'SIGTERM') {
      await nodes[i]?.stop(signal)
      nodes[i] = undefined
    },
    async startNode(i, vars) {
      return (nodes[i] = await restartNodeOnPort(startOptions(i, vars)))
    },
    async stop() {
      if (process.env.DEBUG_NODE)
        for (const n of [...nodes, peer]) if (n) console.log(`── ${n.url}\n${n.logs()}`)
      clearInterval(miner)
      await Promise.all([...nodes.map((n) => n?.stop()), peer.stop(), anvil.stop()])
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return devnet
}

/** The pool devnet of one test file: started before its tests, stopped after them. */
export function usePoolDevnet(opts: Parameters<typeof startPoolDevnet>[0] = {}): PoolDevnet {
  return perFile('pool devnet', () => startPoolDevnet(opts), 180_000)
}

/** One JSON-RPC call to a node's shard; throws the node's error message. */
export async function l2Rpc<T>(nodeUrl: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(`${nodeUrl}/chain/${POOL_CHAIN_ID}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(15_000),
  })
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string } }
  if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code })
  return body.result as T
}

/**
 * A steady load of signed transfers through one node: `senders` dev accounts each send a transfer
 * every `intervalMs`, with their own nonces. A transaction counts as acknowledged when the node
 * returned its hash; one the node refused with an error is sent again (the same signed bytes) until
 * it is acknowledged or known mined, so nonces never gap. `stop()` ends it and returns the hashes.
 */
export function steadyLoad(
  nodeUrl: () => string,
  opts: { senders: number[]; intervalMs: number; firstNonces: Map<number, number> },
) {
  const acked = new Set<Hex>()
  const refusals: string[] = []
  let running = true
  const loops = opts.senders.map(async (index) => {
    const account = devAccount(index)
    let nonce = opts.firstNonces.get(index)!
    while (running) {
      const raw = await account.signTransaction!({
        chainId: POOL_CHAIN_ID,
        type: 'eip1559',
        to: devAccount(19).address,
        value: 1n,
        nonce,
        gas: 21_000n,
        maxFeePerGas: 50_000_000_000n,
        maxPriorityFeePerGas: 1n,
      })
      for (;;) {
        try {
          acked.add(
            (await l2Rpc<Hex>(nodeUrl(), 'eth_sendRawTransaction', [raw])).toLowerCase() as Hex,
          )
          break
        } catch (err) {
          const message = String((err as Error).message)
          if (/already known/.test(message)) break
          refusals.push(message)
          if (/nonce too low/.test(message)) break
          if (!running) return
          await new Promise((r) => setTimeout(r, 300))
        }
      }
      nonce++
      await new Promise((r) => setTimeout(r, opts.intervalMs))
    }
  })
  return {
    acked,
    refusals,
    async stop() {
      running = false
      await Promise.all(loops)
      return acked
    },
  }
}
