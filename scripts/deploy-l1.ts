/**
 * Deploys the L1 contracts of edge-l2 to any L1 reachable over JSON-RPC: one contract set per L2
 * shard (SystemConfig, L2OutputOracle, OptimismPortal, BatchInbox) and, once for all shards, the
 * StorageProofVerifier and Multicall3 (an existing Multicall3 is reused: the one passed in, else the
 * canonical 0xcA11bde05977b3631167028862bE2a173976CA11 when the L1 has it), and the DAC that owns them
 * all (scripts/deploy-dac.ts: token, mining vault, Timelock, Governor), and the verifiers' contracts
 * (VerifierStaking, the vault's recipient; OutputQuorum, every shard's proposer and challenger), and
 * last the SequencerPool (who sequences each shard, epoch by epoch; the batch entry point in pool mode;
 * with the OutputQuorum, the staking's only slashers).
 * Every SystemConfig, the vault, the staking, the quorum and the pool are owned by the Timelock; the deployer
 * never holds a role,
 * and `deployL1` checks after the deployment that no externally owned account holds any
 * (`assertNoAdminKeys`), throwing otherwise. The contracts are not upgradeable (no proxies).
 *
 * Transactions go out back to back with consecutive nonces (addresses are known in advance from the
 * deployer's nonce), then every receipt is awaited and checked, so a public testnet costs a few
 * blocks rather than a few blocks per contract.
 *
 * Usage: `node --import tsx scripts/deploy-l1.ts --rpc <url> --key <hex> --chain-id <id> [--chain-id <id> …]
 * [--batcher <address>] [--params contracts/params/<network>.json] [--submission-interval <blocks>]
 * [--l2-block-time <s>] [--finalization-period <s>] [--starting-block-number <n>]
 * [--starting-timestamp <s>] [--starting-output-root <chainId>:<root> …] [--gas-limit <gas>]
 * [--multicall3 <address>] [--genesis-lock <wei>]` prints the deployment as JSON.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Client,
  type ContractConstructorArgs,
  type Hash,
  type Hex,
  type Transport,
  createWalletClient,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  http,
  isAddressEqual,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  estimateGas,
  getBytecode,
  getChainId,
  getTransactionCount,
  sendTransaction,
  waitForTransactionReceipt,
} from 'viem/actions'
import genesis from '../genesis.json' with { type: 'json' }
import type { GenesisSpec } from '../shared/chain/genesis'
import { genesisOutput } from '../shared/settlement/genesisOutput'
import { batchInboxAbi, batchInboxBytecode } from '../generated/contracts/BatchInbox'
import { l2OutputOracleAbi, l2OutputOracleBytecode } from '../generated/contracts/L2OutputOracle'
import { multicall3Abi, multicall3Bytecode } from '../generated/contracts/Multicall3'
import { optimismPortalAbi, optimismPortalBytecode } from '../generated/contracts/OptimismPortal'
import {
  storageProofVerifierAbi,
  storageProofVerifierBytecode,
} from '../generated/contracts/StorageProofVerifier'
import { systemConfigAbi, systemConfigBytecode } from '../generated/contracts/SystemConfig'
import { outputQuorumAbi, outputQuorumBytecode } from '../generated/contracts/OutputQuorum'
import { verifierStakingAbi, verifierStakingBytecode } from '../generated/contracts/VerifierStaking'
import { sequencerPoolAbi, sequencerPoolBytecode } from '../generated/contracts/SequencerPool'
import {
  devnetDac,
  devnetVerifierParams,
  parseDacParams,
  parseVerifierParams,
  type DacParameters,
  type DacParamsFile,
  type VerifierParameters,
} from './dac-params'
import { assertNoAdminKeys, deployDac, type DacContracts } from './deploy-dac'
import {
  devnetSequencingParams,
  parseSequencingParams,
  poolParamsArray,
  type SequencingParameters,
  type SequencingParamsFile,
} from './sequencing-params'

/** Where Multicall3 lives on most public chains (deployed there by a presigned transaction). */
export const canonicalMulticall3: Address = '0xcA11bde05977b3631167028862bE2a173976CA11'

/** A client that can sign and send: viem's wallet client with an account (public actions unused). */
export type DeployL1Client = Client<Transport, Chain | undefined, Account>

/** What `deployL1` deploys; every field but `chainIds` has a devnet default (`devnetDefaults`). */
export type DeployL1Parameters = {
  /** The L2 chain ids: one contract set each. */
  chainIds: readonly number[]
  /**
   * Batcher of every shard (an operational role, changed by the Timelock through SystemConfig); the
   * deployer by default. Owner is always the DAC's Timelock; proposer and challenger the OutputQuorum.
   */
  batcher?: Address
  /** The DAC's parameters (contracts/params/devnet.json by default). */
  dac?: DacParameters
  /** The verifier set's and output quorum's parameters (contracts/params/devnet.json by default). */
  verifiers?: VerifierParameters
  /** The sequencer pool's parameters (contracts/params/devnet.json by default). */
  sequencing?: SequencingParameters
  /** L2 block gas limit. */
  gasLimit?: bigint
  /** L2 blocks between output roots. */
  submissionInterval?: bigint
  /** Seconds per L2 block, as the oracle's `computeL2Timestamp` assumes. */
  l2BlockTime?: bigint
  /** Challenge window in seconds: short on a devnet, days on a public network. */
  finalizationPeriodSeconds?: bigint
  /** L2 block the outputs count from, and its timestamp (genesis.json's by default). */
  startingBlockNumber?: bigint
  startingTimestamp?: bigint
  /** A Multicall3 already on the L1 to reuse. */
  multicall3?: Address
  /**
   * Wei sent to each shard's portal (`donateETH`) at deploy time: the ETH its L2 genesis mints
   * (genesis.json's alloc, `genesisEthSupply`), so that L1 backs every L2 wei. 0 (none) by default.
   */
  genesisLock?: bigint
  /**
   * Each shard's version-0 output root of L2 block `startingBlockNumber`, by chain id: the oracle's
   * output 0. Computed from genesis.json (`genesisOutput`) when absent and that block is 0.
   */
  startingOutputRoots?: Record<number, Hex>
}

/** The contracts of one shard, named as in a viem chain definition's `contracts`. */
export type ShardL1Contracts = {
  chainId: number
  systemConfig: Address
  l2OutputOracle: Address
  portal: Address
  batchInbox: Address
  /** The L1 block SystemConfig was deployed in: where a node starts reading L1 for this shard. */
  l1StartBlock: bigint
  batcher: Address
  /** The OutputQuorum: the oracle's proposer and challenger (SystemConfig's roles). */
  proposer: Address
}

/** The verifiers' contracts: one set for every shard of a deployment. */
export type VerifierContracts = {
  /** VerifierStaking: stake, the active set, slashing, jailing, rewards (the vault's recipient). */
  staking: Address
  /** OutputQuorum: every oracle's proposer and challenger (attestations, challenges, equivocation). */
  quorum: Address
}

/** The sequencer pool: one for every shard of a deployment. */
export type SequencingContracts = {
  /** SequencerPool: epochs, the stake-weighted schedule, failover, challenges, the batch entry point. */
  pool: Address
}

/** Everything `deployL1` deployed or reused. */
export type L1Deployment = {
  l1ChainId: number
  deployer: Address
  multicall3: Address
  storageProofVerifier: Address
  /** The DAC (token, mining vault, Governor, Timelock) that owns every shard's contracts. */
  dac: DacContracts
  verifiers: VerifierContracts
  sequencing: SequencingContracts
  shards: ShardL1Contracts[]
}

/** The defaults of `DeployL1Parameters`: a 30M gas L2, one output per 10 one-second blocks, 12 s window. */
export const devnetDefaults = {
  gasLimit: BigInt(genesis.gasLimit),
  submissionInterval: 10n,
  l2BlockTime: 1n,
  finalizationPeriodSeconds: 12n,
  startingBlockNumber: 0n,
  startingTimestamp: BigInt(genesis.timestamp),
} as const

/**
 * Deploys the L1 contract sets for `params.chainIds` with `client`'s account and resolves once every
 * transaction is mined and succeeded. Throws if one reverted or an address is not what its nonce
 * predicts (another transaction of the same account interleaved).
 */
export async function deployL1(
  client: DeployL1Client,
  params: DeployL1Parameters,
): Promise<L1Deployment> {
  if (params.chainIds.length === 0) throw new Error('deployL1: no L2 chain ids given')
  if (new Set(params.chainIds).size !== params.chainIds.length)
    throw new Error(`deployL1: duplicate L2 chain ids in ${params.chainIds.join(', ')}`)
  const settings = { ...devnetDefaults, ...withoutUndefined(params) }
  const deployer = client.account.address
  const l1ChainId = await getChainId(client)
  const deploy = createDeployer(
    client,
    await getTransactionCount(client, { address: deployer, blockTag: 'pending' }),
  )

  const multicall3 =
    (await findMulticall3(client, params.multicall3)) ??
    (await deploy(multicall3Abi, multicall3Bytecode, [])).address
  const storageProofVerifier = (
    await deploy(storageProofVerifierAbi, storageProofVerifierBytecode, [])
  ).address
  // Nonce layout from here: the DAC (4), VerifierStaking, OutputQuorum, then per shard SystemConfig,
  // L2OutputOracle, OptimismPortal, BatchInbox, then one donateETH per shard if `genesisLock`, then
  // SequencerPool; so each contract names the others in its constructor (the staking its two slashers).
  const stakingAt = deploy.nextAddress(4)
  const { timelockHash, ...dac } = await deployDac(
    client,
    deploy,
    params.dac ?? devnetDac,
    stakingAt,
  )
  const v = params.verifiers ?? devnetVerifierParams
  const quorumAt = deploy.nextAddress(1)
  const oracleAt = params.chainIds.map((_, i) => deploy.nextAddress(2 + 4 * i + 1))
  const shardCount = params.chainIds.length
  const poolAt = deploy.nextAddress(2 + 4 * shardCount + (params.genesisLock ? shardCount : 0))
  const staking = await deploy(verifierStakingAbi, verifierStakingBytecode, [
    dac.token,
    dac.miningVault,
    quorumAt,
    poolAt,
    dac.timelock,
    [v.minStake, v.unbondingDelay, v.maxMissed, v.slashBps, v.reporterBps],
  ])
  const quorum = await deploy(outputQuorumAbi, outputQuorumBytecode, [
    staking.address,
    dac.timelock,
    oracleAt,
    params.chainIds.map(BigInt),
    [v.longWindow, v.challengeBond, v.disputePeriod, v.minQuorumStake, v.rewardPerOutput],
  ])
  if (!isAddressEqual(staking.address, stakingAt) || !isAddressEqual(quorum.address, quorumAt))
    throw new Error('deployL1: a verifier contract is not at the address its nonce predicted')
  const roles = {
    batcher: params.batcher ?? deployer,
    proposer: quorum.address,
  }
  const verifiers = { staking: staking.address, quorum: quorum.address }

  const startingOutputRoot = async (chainId: number): Promise<Hex> => {
    const given = params.startingOutputRoots?.[chainId]
    if (given) return given
    if (settings.startingBlockNumber !== 0n)
      throw new Error(
        `deployL1: startingBlockNumber ${settings.startingBlockNumber} needs startingOutputRoots[${chainId}]`,
      )
    return (await genesisOutput(genesis as GenesisSpec, chainId)).outputRoot
  }

  const shards = []
  for (const chainId of params.chainIds) {
    const systemConfig = await deploy(systemConfigAbi, systemConfigBytecode, [
      dac.timelock,
      BigInt(chainId),
      roles.batcher,
      quorum.address,
      quorum.address,
      settings.gasLimit,
    ])
    const l2OutputOracle = await deploy(l2OutputOracleAbi, l2OutputOracleBytecode, [
      systemConfig.address,
      settings.submissionInterval,
      settings.l2BlockTime,
      settings.startingBlockNumber,
      settings.startingTimestamp,
      await startingOutputRoot(chainId),
      settings.finalizationPeriodSeconds,
    ])
    const portal = await deploy(optimismPortalAbi, optimismPortalBytecode, [
      l2OutputOracle.address,
      systemConfig.address,
      storageProofVerifier,
    ])
    const batchInbox = await deploy(batchInboxAbi, batchInboxBytecode, [systemConfig.address])
    if (!isAddressEqual(l2OutputOracle.address, oracleAt[shards.length]))
      throw new Error('deployL1: an oracle is not at the address its nonce predicted')
    shards.push({ chainId, systemConfig, l2OutputOracle, portal, batchInbox })
  }
  if (params.genesisLock)
    for (const { portal } of shards)
      await deploy.send(
        portal.address,
        encodeFunctionData({ abi: optimismPortalAbi, functionName: 'donateETH' }),
        params.genesisLock,
      )
  // After the shards and the donations, so the nonces predicted above hold.
  const pool = await deploy(sequencerPoolAbi, sequencerPoolBytecode, [
    verifiers.staking,
    dac.timelock,
    params.chainIds.map(BigInt),
    shards.map((s) => s.l2OutputOracle.address),
    poolParamsArray(params.sequencing ?? devnetSequencingParams),
  ])
  if (!isAddressEqual(pool.address, poolAt))
    throw new Error('deployL1: the pool is not at the address its nonce predicted')
  const sequencing = { pool: pool.address }

  const mined = await deploy.settle()
  const deployed = shards.map((s) => ({
    systemConfig: s.systemConfig.address,
    l2OutputOracle: s.l2OutputOracle.address,
    portal: s.portal.address,
  }))
  await assertNoAdminKeys(
    client,
    { dac, verifiers, sequencing, shards: deployed },
    mined.get(timelockHash)!,
  )
  return {
    l1ChainId,
    deployer,
    multicall3,
    storageProofVerifier,
    dac,
    verifiers,
    sequencing,
    shards: shards.map((s) => ({
      chainId: s.chainId,
      systemConfig: s.systemConfig.address,
      l2OutputOracle: s.l2OutputOracle.address,
      portal: s.portal.address,
      batchInbox: s.batchInbox.address,
      l1StartBlock: mined.get(s.systemConfig.hash)!,
      batcher: roles.batcher,
      proposer: roles.proposer,
    })),
  }
}

/**
 * The node's `L1` var (shared/config.ts `L1Config`) for a deployment reachable at `rpcUrl`.
 * `sequencing: 'pool'`: the shards are sequenced by the SequencerPool's schedule (batches through
 * the pool); otherwise by the one node with SEQUENCER_KEY, through the BatchInbox.
 */
export function toL1Config(
  d: L1Deployment,
  rpcUrl: string,
  opts: { sequencing?: 'pool' | 'fixed' } = {},
) {
  return {
    chainId: d.l1ChainId,
    rpcUrl,
    multicall3: d.multicall3,
    shards: Object.fromEntries(
      d.shards.map((s) => [
        String(s.chainId),
        {
          portal: s.portal,
          l2OutputOracle: s.l2OutputOracle,
          systemConfig: s.systemConfig,
          batchInbox: s.batchInbox,
          l1StartBlock: String(s.l1StartBlock),
          batcher: s.batcher,
          proposer: s.proposer,
          token: d.dac.token,
          governor: d.dac.governor,
          timelock: d.dac.timelock,
          miningVault: d.dac.miningVault,
          verifierStaking: d.verifiers.staking,
          outputQuorum: d.verifiers.quorum,
          sequencerPool: d.sequencing.pool,
          ...(opts.sequencing === 'pool' && { sequencing: 'pool' as const }),
        },
      ]),
    ),
  }
}

/** The deployer `deployL1` passes around (to `deployDac`). */
export type L1Deployer = ReturnType<typeof createDeployer>

/**
 * Sends deployments (and `send` calls) with consecutive nonces from `nonce` on, each with its own gas
 * estimate; `nextAddress(k)` is where the k-th next transaction would create a contract (0: the
 * next); `settle()` awaits them all and maps each transaction hash to its block number.
 */
function createDeployer(client: DeployL1Client, nonce: number) {
  const sent: { hash: Hash; address?: Address; nonce: number }[] = []
  async function deploy<const abi extends Abi>(
    abi: abi,
    bytecode: Hex,
    args: ContractConstructorArgs<abi>,
  ): Promise<{ address: Address; hash: Hash }> {
    const data = encodeDeployData({ abi, bytecode, args } as Parameters<typeof encodeDeployData>[0])
    const gas = await estimateGas(client, { account: client.account, data })
    const hash = await sendTransaction(client, {
      account: client.account,
      chain: client.chain ?? null,
      data,
      gas: (gas * 6n) / 5n,
      nonce,
    })
    const address = getContractAddress({ from: client.account.address, nonce: BigInt(nonce) })
    sent.push({ hash, address, nonce })
    nonce++
    return { address, hash }
  }
  deploy.send = async (to: Address, data: Hex, value: bigint): Promise<Hash> => {
    const request = { account: client.account, to, data, value }
    const gas = await estimateGas(client, request)
    const hash = await sendTransaction(client, {
      ...request,
      chain: client.chain ?? null,
      gas: (gas * 6n) / 5n,
      nonce,
    })
    sent.push({ hash, nonce })
    nonce++
    return hash
  }
  deploy.nextAddress = (k = 0): Address =>
    getContractAddress({ from: client.account.address, nonce: BigInt(nonce + k) })
  deploy.settle = async () => {
    const blocks = new Map<Hash, bigint>()
    for (const { hash, address, nonce } of sent) {
      const receipt = await waitForTransactionReceipt(client, { hash })
      if (receipt.status !== 'success')
        throw new Error(`deployL1: transaction ${hash} (nonce ${nonce}) reverted`)
      if (
        address &&
        (!receipt.contractAddress || !isAddressEqual(receipt.contractAddress, address))
      )
        throw new Error(
          `deployL1: deployment ${hash} created ${receipt.contractAddress}, expected ${address}: was the nonce used concurrently?`,
        )
      blocks.set(hash, receipt.blockNumber)
    }
    return blocks
  }
  return deploy
}

/** The Multicall3 to reuse: `given` (which must have code), else the canonical one if present. */
async function findMulticall3(client: DeployL1Client, given: Address | undefined) {
  const hasCode = async (address: Address) =>
    ((await getBytecode(client, { address })) ?? '0x') !== '0x'
  if (given) {
    if (!(await hasCode(given))) throw new Error(`deployL1: no contract at multicall3 ${given}`)
    return given
  }
  return (await hasCode(canonicalMulticall3)) ? canonicalMulticall3 : undefined
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** The CLI: parses flags, deploys, prints the deployment as JSON (bigints as decimal numbers). */
async function main() {
  const { values } = parseArgs({
    options: {
      rpc: { type: 'string' },
      key: { type: 'string' },
      'chain-id': { type: 'string', multiple: true },
      batcher: { type: 'string' },
      params: { type: 'string' },
      'gas-limit': { type: 'string' },
      'submission-interval': { type: 'string' },
      'l2-block-time': { type: 'string' },
      'finalization-period': { type: 'string' },
      'starting-block-number': { type: 'string' },
      'starting-timestamp': { type: 'string' },
      multicall3: { type: 'string' },
      'genesis-lock': { type: 'string' },
      'starting-output-root': { type: 'string', multiple: true },
    },
  })
  const chainIds = (values['chain-id'] ?? []).flatMap((v) => v.split(',')).map(Number)
  if (!values.rpc || !values.key || chainIds.length === 0 || chainIds.some((id) => !(id > 0)))
    throw new Error(
      'usage: node --import tsx scripts/deploy-l1.ts --rpc <url> --key <hex> --chain-id <id> [--chain-id <id> …] [options]',
    )
  const big = (v: string | undefined) => (v === undefined ? undefined : BigInt(v))
  const client = createWalletClient({
    account: privateKeyToAccount(values.key as Hex),
    transport: http(values.rpc),
  })
  // A parameter file gives the DAC's settings and the rollup's timing; a flag overrides the latter.
  const file = values.params
    ? (JSON.parse(readFileSync(values.params, 'utf8')) as DacParamsFile & SequencingParamsFile)
    : undefined
  const rollup = file?.rollup
  const deployment = await deployL1(client, {
    chainIds,
    batcher: values.batcher as Address | undefined,
    dac: file && parseDacParams(file),
    verifiers: file?.verifiers && parseVerifierParams(file),
    sequencing: file?.sequencing && parseSequencingParams(file),
    gasLimit: big(values['gas-limit']),
    submissionInterval: big(values['submission-interval'] ?? rollup?.submissionInterval.toString()),
    l2BlockTime: big(values['l2-block-time'] ?? rollup?.l2BlockTimeSeconds.toString()),
    finalizationPeriodSeconds: big(
      values['finalization-period'] ?? rollup?.finalizationPeriodSeconds.toString(),
    ),
    startingBlockNumber: big(values['starting-block-number']),
    startingTimestamp: big(values['starting-timestamp']),
    multicall3: values.multicall3 as Address | undefined,
    genesisLock: big(values['genesis-lock']),
    startingOutputRoots: Object.fromEntries(
      (values['starting-output-root'] ?? []).map((v) => {
        const [chainId, root] = v.split(':')
        return [Number(chainId), root as Hex]
      }),
    ),
  })
  console.log(JSON.stringify(deployment, (_, v) => (typeof v === 'bigint' ? Number(v) : v), 2))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 1
  })
}
