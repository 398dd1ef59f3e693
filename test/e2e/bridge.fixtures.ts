import { mkdtempSync, rmSync } from 'node:fs'
import { perFile } from './perFile.js'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  createPublicClient,
  createTestClient,
  defineChain,
  http,
  type Address,
  type Chain,
  type Hex,
} from 'viem'
import {
  chainConfig,
  publicActionsL1,
  publicActionsL2,
  walletActionsL1,
  walletActionsL2,
} from 'viem/op-stack'
import { createWalletClient, publicActions } from 'viem'
import genesis from '../../genesis.json' with { type: 'json' }
import { genesisEthSupply, type GenesisSpec } from '../../shared/chain/genesis.js'
import { decodeBatch, type Batch } from '../../shared/settlement/batchCodec.js'
import { toL1Config, type L1Deployment } from '../../scripts/deploy-l1.js'
import { devnetVerifierParams, type VerifierParameters } from '../../scripts/dac-params.js'
import { DEVNET_STAKE, devnetOperator, stakeOperators } from '../../scripts/devnet-verifiers.js'
import { deployDevnet, devAccount } from './l1.fixtures.js'
import {
  restartNodeOnPort,
  startAnvil,
  startNode,
  type Anvil,
  type L2Node,
  type StartAnvilOptions,
} from './processes.js'

/**
 * The whole devnet as `npm start` runs it, for the bridge tests: anvil mining a block a second, the
 * L1 contracts (batcher = dev account 8; the ETH of the L2 genesis locked in the portal,
 * `GENESIS_LOCK`; the oracle holding the genesis output; the devnet's verifier operators staked by
 * dev account 9), and the sequencer node settling on it with one confirmation and short polls. The
 * sequencer node is operator 0 (`VERIFIER_KEY`): alone it holds all the stake, so its attestations
 * are the quorum (the fast settings lower the quorum's stake floor, `minQuorumStake`, to one
 * operator's stake; the devnet's 150,000 EDGE needs two), unless a test stakes more operators
 * (`operators`) and starts their nodes (`startPeer({ vars: { VERIFIER_KEY } })`). Settlement timings
 * are devnet-short on purpose.
 */
export const BATCHER = devAccount(8)
export const SUBMISSION_INTERVAL = 4n
export const FINALIZATION_PERIOD = 8n
/** The wei the L2 genesis mints (genesis.json's alloc), locked in the portal at deploy time. */
export const GENESIS_LOCK = genesisEthSupply(genesis as GenesisSpec)

/** Private key of the mnemonic's account 8 (anvil prints the same). */
const KEYS = {
  8: '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
} as const

export type BridgeDevnet = {
  anvil: Anvil
  node: L2Node
  deployment: L1Deployment
  l1Chain: Chain
  l2Chain: ReturnType<typeof defineEdgeL2>
  l1Url: string
  /** Restarts anvil on the same port from its saved state (the L1-outage test). */
  restartL1(): Promise<void>
  /** Stops the node with `signal` (SIGKILL: a crash) and starts it again on its state and port. */
  restartNode(signal: NodeJS.Signals, vars?: Record<string, string>): Promise<void>
  /**
   * Starts a peer: its own process and state (`persistDir`, a fresh one by default), the same L1
   * settings and no keys (a verifier with `vars.VERIFIER_KEY`), following `sequencerUrl` (the sequencer node's by default; none with null).
   * Stopped with the devnet.
   */
  startPeer(opts?: {
    persistDir?: string
    port?: number
    sequencerUrl?: string | null
    vars?: Record<string, string>
    onLog?: (line: string) => void
  }): Promise<L2Node>
  stop(): Promise<void>
}

export async function startBridgeDevnet(
  opts: {
    anvil?: StartAnvilOptions
    vars?: Record<string, string>
    /** `npm start`'s settings (wrangler.toml, deployL1's devnet defaults) instead of the fast ones. */
    devnetDefaults?: boolean
    /** L2 blocks between outputs, instead of `SUBMISSION_INTERVAL` (fast settings only). */
    submissionInterval?: bigint
    /** Finalization period in seconds, instead of `FINALIZATION_PERIOD` (fast settings only). */
    finalizationPeriodSeconds?: bigint
    /** Verifier operators staked at the start (devnetOperator 0, 1, …; default 1: the sequencer's). */
    operators?: number
    /** Verifier parameters over the devnet's (e.g. a shorter long window or vote). */
    verifierParams?: Partial<VerifierParameters>
  } = {},
): Promise<BridgeDevnet> {
  // Both layers keep their state in one directory, so either can be restarted where it stopped.
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-l2-bridge-'))
  const persistDir = path.join(dir, 'l2')
  const anvilOpts: StartAnvilOptions = {
    blockTime: 1,
    stateFile: path.join(dir, 'l1-state.json'),
    ...opts.anvil,
  }
  let anvil = await startAnvil(anvilOpts)
  const fast = !opts.devnetDefaults
  // As npm start does: the deployer (dev account 0) gets the genesis ETH to lock on top of its own.
  const deployer = devAccount(0).address
  const balance = await createPublicClient({ transport: http(anvil.url) }).getBalance({
    address: deployer,
  })
  await createTestClient({ mode: 'anvil', transport: http(anvil.url) }).setBalance({
    address: deployer,
    value: balance + GENESIS_LOCK,
  })
  const { deployment, chain: l1Chain } = await deployDevnet(anvil.url, {
    chainIds: [901],
    batcher: BATCHER.address,
    genesisLock: GENESIS_LOCK,
    verifiers: {
      ...devnetVerifierParams,
      ...(fast ? { minQuorumStake: DEVNET_STAKE } : {}),
      ...opts.verifierParams,
    },
    ...(fast
      ? {
          submissionInterval: opts.submissionInterval ?? SUBMISSION_INTERVAL,
          finalizationPeriodSeconds: opts.finalizationPeriodSeconds ?? FINALIZATION_PERIOD,
        }
      : {}),
  })
  const operators = Array.from({ length: opts.operators ?? 1 }, (_, i) => devnetOperator(i))
  await stakeOperators(
    createWalletClient({ account: devAccount(9), chain: l1Chain, transport: http(anvil.url) }),
    { token: deployment.dac.token, staking: deployment.verifiers.staking },
    operators.map((o) => o.address),
  )
  const nodeVars: Record<string, string> = {
    L1: JSON.stringify(toL1Config(deployment, anvil.url)),
    SEQUENCER_KEY: KEYS[8],
    BATCHER_KEY: KEYS[8],
    VERIFIER_KEY: operators[0].key,
    ...(fast ? { L1_CONFIRMATIONS: '1', L1_POLL_MS: '300', BLOCK_TIME_MS: '250' } : {}),
    ...opts.vars,
  }
  const node = await startNode({ vars: nodeVars, persistDir })
  const shard = deployment.shards[0]
  const peers: L2Node[] = []
  const {
    SEQUENCER_KEY: _s,
    BATCHER_KEY: _b,
    VERIFIER_KEY: _v,
    VERIFIER_FAULT: _f,
    ...peerVars
  } = nodeVars
  const l2Chain = defineEdgeL2(`${node.url}/chain/901`, l1Chain.id, shard)
  const devnet: BridgeDevnet = {
    anvil,
    node,
    deployment,
    l1Chain,
    l2Chain,
    l1Url: anvil.url,
    async restartL1() {
      await devnet.anvil.stop()
      devnet.anvil = anvil = await startAnvil({ ...anvilOpts, port: anvil.port })
    },
    async restartNode(signal, vars) {
      if (vars) Object.assign(nodeVars, vars)
      await devnet.node.stop(signal)
      devnet.node = await restartNodeOnPort({ vars: nodeVars, persistDir, port: devnet.node.port })
      devnet.l2Chain = defineEdgeL2(`${devnet.node.url}/chain/901`, l1Chain.id, shard)
    },
    async startPeer(o = {}) {
      const sequencerUrl = o.sequencerUrl === undefined ? devnet.node.url : o.sequencerUrl
      const peer = await startNode({
        port: o.port,
        persistDir: o.persistDir ?? mkdtempSync(path.join(dir, 'peer-')),
        vars: { ...peerVars, ...(sequencerUrl && { SEQUENCER_URL: sequencerUrl }), ...o.vars },
        onLog: o.onLog,
      })
      peers.push(peer)
      return peer
    },
    async stop() {
      if (process.env.DEBUG_NODE) for (const p of [devnet.node, ...peers]) console.log(p.logs())
      await Promise.all([devnet.node.stop(), devnet.anvil.stop(), ...peers.map((p) => p.stop())])
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return devnet
}

/**
 * The devnet of one test file: started before its tests, stopped after them (the node's logs are
 * printed first with DEBUG_NODE=1). The returned handle reads through to the running devnet, so it
 * stays current across `restartL1` and `restartNode`.
 */
export function useBridgeDevnet(opts: Parameters<typeof startBridgeDevnet>[0] = {}): BridgeDevnet {
  return perFile('bridge devnet', () => startBridgeDevnet(opts), 120_000)
}

/** The shard as a viem OP Stack chain (deposit formatters included), as GET /chains describes it. */
export function defineEdgeL2(
  url: string,
  l1ChainId: number,
  contracts: { portal: Address; l2OutputOracle: Address; systemConfig: Address },
) {
  const onL1 = (address: Address) => ({ [l1ChainId]: { address } })
  return defineChain({
    ...chainConfig,
    id: 901,
    name: 'edge-l2 A',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
    sourceId: l1ChainId,
    contracts: {
      ...chainConfig.contracts,
      portal: onL1(contracts.portal),
      l2OutputOracle: onL1(contracts.l2OutputOracle),
      systemConfig: onL1(contracts.systemConfig),
    },
  })
}

/** viem clients of both layers for `account` index `i`, with the op-stack actions. */
export function bridgeClients(d: BridgeDevnet, i: number) {
  const account = devAccount(i)
  return {
    account,
    l1: createWalletClient({ account, chain: d.l1Chain, transport: http(d.l1Url) })
      .extend(publicActions)
      .extend(publicActionsL1())
      .extend(walletActionsL1()),
    l1Public: createPublicClient({ chain: d.l1Chain, transport: http(d.l1Url) }),
    l2: createWalletClient({ account, chain: d.l2Chain, transport: http() })
      .extend(publicActions)
      .extend(publicActionsL2())
      .extend(walletActionsL2()),
    l2Public: createPublicClient({ chain: d.l2Chain, transport: http() }),
  }
}

/** Every batch the shard's inbox accepted, decoded from the calldata of its L1 transactions, in L1 order. */
export async function readBatches(
  d: BridgeDevnet,
): Promise<{ l1Tx: Hex; batch: Batch; bytes: number }[]> {
  const l1 = createPublicClient({ transport: http(d.l1Url) })
  const inbox = d.deployment.shards[0].batchInbox
  const logs = await l1.getLogs({
    address: inbox,
    event: {
      type: 'event',
      name: 'BatchSubmitted',
      inputs: [
        { name: 'batchHash', type: 'bytes32', indexed: true },
        { name: 'batcher', type: 'address', indexed: true },
      ],
    },
    fromBlock: 0n,
    toBlock: 'latest',
  })
  const out: { l1Tx: Hex; batch: Batch; bytes: number }[] = []
  for (const log of logs) {
    const tx = await l1.getTransaction({ hash: log.transactionHash! })
    const bytes = Uint8Array.from(Buffer.from(tx.input.slice(2), 'hex'))
    out.push({ l1Tx: log.transactionHash!, batch: await decodeBatch(bytes), bytes: bytes.length })
  }
  return out
}

/**
 * Waits until the safe head reaches the L2 head as it is now, then returns the L2 block numbers the
 * batches on L1 carry, in L1 order (each block exactly once when batches neither gap nor overlap).
 */
export async function batchedBlocksOnceSafe(
  d: BridgeDevnet,
): Promise<{ head: bigint; covered: bigint[] }> {
  const l2 = createPublicClient({ chain: d.l2Chain, transport: http() })
  const head = await l2.getBlockNumber()
  for (let until = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 250))) {
    if ((await l2.getBlock({ blockTag: 'safe' })).number >= head) break
    if (Date.now() > until) throw new Error(`the safe head did not reach ${head}`)
  }
  const covered: bigint[] = []
  for (const { batch } of await readBatches(d)) for (const b of batch.blocks) covered.push(b.number)
  return { head, covered }
}

/** A withdrawal as `GET /withdrawals/<hash>` reports it (hex quantities), as the portal's ABI takes it. */
export function withdrawalFromJson(w: {
  nonce: string
  sender: Address
  target: Address
  value: string
  gasLimit: string
  data: Hex
}) {
  return {
    nonce: BigInt(w.nonce),
    sender: w.sender,
    target: w.target,
    value: BigInt(w.value),
    gasLimit: BigInt(w.gasLimit),
    data: w.data,
  }
}
