/**
 * The DAC of edge-l2 on L1, deployed by scripts/deploy-l1.ts beside the shards: the mining vault,
 * the DacToken, the DacTimelock and the DacGovernor (contracts/L1/dac/), and the check that after a
 * deployment no externally owned account holds any admin power over any L1 contract.
 */
import {
  type Abi,
  type Address,
  type Hash,
  getAddress,
  isAddressEqual,
  parseAbiItem,
  zeroAddress,
} from 'viem'
import { getCode, getLogs, readContract, waitForTransactionReceipt } from 'viem/actions'
import { dacGovernorAbi, dacGovernorBytecode } from '../generated/contracts/DacGovernor'
import { dacTimelockAbi, dacTimelockBytecode } from '../generated/contracts/DacTimelock'
import { dacTokenAbi, dacTokenBytecode } from '../generated/contracts/DacToken'
import { l2OutputOracleAbi } from '../generated/contracts/L2OutputOracle'
import { miningVaultAbi, miningVaultBytecode } from '../generated/contracts/MiningVault'
import { optimismPortalAbi } from '../generated/contracts/OptimismPortal'
import { systemConfigAbi } from '../generated/contracts/SystemConfig'
import { outputQuorumAbi } from '../generated/contracts/OutputQuorum'
import { verifierStakingAbi } from '../generated/contracts/VerifierStaking'
import { sequencerPoolAbi } from '../generated/contracts/SequencerPool'
import { MINING_SUPPLY, TOKEN_CAP, type DacParameters } from './dac-params'
import type { DeployL1Client, L1Deployer } from './deploy-l1'

/** The DAC's contracts: one set for every shard of a deployment. */
export type DacContracts = {
  token: Address
  miningVault: Address
  governor: Address
  timelock: Address
}

/**
 * Sends the DAC's four deployments through `deploy` (whose nonces predict every address, so the vault,
 * token, timelock and governor name each other without any setter): the vault (owner: the timelock),
 * the token (half to the vault, the allocations to their holders, the rest to the timelock), the
 * timelock (the governor as its only proposer, canceller and executor; no admin) and the governor.
 * Throws when the allocations' votes could never reach the quorum.
 */
export async function deployDac(
  client: DeployL1Client,
  deploy: L1Deployer,
  params: DacParameters,
  vaultRecipient: Address = zeroAddress,
): Promise<DacContracts & { timelockHash: Hash }> {
  const allocated = params.allocations.reduce((sum, a) => sum + a.amount, 0n)
  const quorum = (TOKEN_CAP * params.quorumPercent) / 100n
  if (allocated < quorum)
    throw new Error(
      `deployDac: the genesis allocations (${allocated / 10n ** 18n} EDGE) are below the quorum (${quorum / 10n ** 18n} EDGE), so no proposal could ever pass: list the launch's holders in token.allocations`,
    )
  const [vaultAt, tokenAt, timelockAt, governorAt] = [0, 1, 2, 3].map((k) => deploy.nextAddress(k))
  const miningVault = await deploy(miningVaultAbi, miningVaultBytecode, [
    tokenAt,
    MINING_SUPPLY,
    timelockAt,
    vaultRecipient,
  ])
  const token = await deploy(dacTokenAbi, dacTokenBytecode, [
    vaultAt,
    timelockAt,
    params.allocations.map((a) => a.holder),
    params.allocations.map((a) => a.amount),
  ])
  const timelock = await deploy(dacTimelockAbi, dacTimelockBytecode, [
    params.timelockDelay,
    [governorAt],
    [governorAt],
    zeroAddress,
  ])
  // The governor's constructor reads the token's clock: on an L1 that mines later, wait for the token.
  await waitForTransactionReceipt(client, { hash: token.hash })
  const governor = await deploy(dacGovernorAbi, dacGovernorBytecode, [
    token.address,
    timelock.address,
    Number(params.votingDelay),
    Number(params.votingPeriod),
    params.proposalThreshold,
    params.quorumPercent,
  ])
  const addresses = [miningVault, token, timelock, governor].map((c) => c.address)
  if (!addresses.every((a, i) => isAddressEqual(a, [vaultAt, tokenAt, timelockAt, governorAt][i])))
    throw new Error('deployDac: a DAC contract is not at the address its nonce predicted')
  return {
    token: token.address,
    miningVault: miningVault.address,
    governor: governor.address,
    timelock: timelock.address,
    timelockHash: timelock.hash,
  }
}

/** A deployment left an admin power with an externally owned account, or miswired the DAC. */
export class AdminKeyError extends Error {
  override name = 'AdminKeyError'
}

const roleGranted = parseAbiItem(
  'event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)',
)
const roleRevoked = parseAbiItem(
  'event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)',
)

/**
 * Throws `AdminKeyError` listing every finding unless: the timelock's roles are held exactly by the
 * governor (proposer, canceller, executor) and the timelock itself (admin), as its RoleGranted /
 * RoleRevoked history since `fromBlock` shows; the governor runs on this token and timelock; the
 * vault, every SystemConfig, the VerifierStaking, the OutputQuorum and the SequencerPool are owned by
 * the timelock with no ownership transfer pending; the vault pays the staking contract, whose
 * slashers are the OutputQuorum and the SequencerPool (each naming it back); every shard's proposer
 * and challenger is the OutputQuorum, which knows the shard's oracle; and the oracle and portal read
 * their roles from their SystemConfig. The batcher is an operational role (it posts data, not
 * settings) and is not checked.
 */
export async function assertNoAdminKeys(
  client: DeployL1Client,
  d: {
    dac: DacContracts
    verifiers: { staking: Address; quorum: Address }
    /** The sequencer pool, when the deployment has one (owned by the timelock too). */
    sequencing?: { pool: Address }
    shards: readonly { systemConfig: Address; l2OutputOracle: Address; portal: Address }[]
  },
  fromBlock: bigint,
): Promise<void> {
  const { dac } = d
  const findings: string[] = []
  const expectEqual = (what: string, actual: Address, expected: Address) => {
    if (!isAddressEqual(actual, expected)) findings.push(`${what} is ${actual}, not ${expected}`)
  }
  const read = (address: Address, abi: Abi, functionName: string) =>
    readContract(client, { address, abi, functionName }) as Promise<Address>

  const timelock = { address: dac.timelock, abi: dacTimelockAbi } as const
  const roleNames = ['DEFAULT_ADMIN_ROLE', 'PROPOSER_ROLE', 'CANCELLER_ROLE', 'EXECUTOR_ROLE']
  const roles = new Map<string, string>()
  for (const name of roleNames)
    roles.set(
      (await readContract(client, {
        ...timelock,
        functionName: name as 'PROPOSER_ROLE',
      })) as string,
      name,
    )
  const holders = await roleHolders(client, dac.timelock, fromBlock)
  const expected: Record<string, Address[]> = {
    DEFAULT_ADMIN_ROLE: [dac.timelock],
    PROPOSER_ROLE: [dac.governor],
    CANCELLER_ROLE: [dac.governor],
    EXECUTOR_ROLE: [dac.governor],
  }
  for (const [role, name] of roles) {
    const actual = [...(holders.get(role) ?? [])]
    for (const account of actual)
      if (!expected[name].some((e) => isAddressEqual(e, account)))
        findings.push(`${account} holds the timelock's ${name}`)
    for (const account of expected[name])
      if (!actual.some((a) => isAddressEqual(a, account)))
        findings.push(`${account} lacks the timelock's ${name}`)
  }
  for (const account of new Set([...holders.values()].flatMap((s) => [...s])))
    if (((await getCode(client, { address: account })) ?? '0x') === '0x')
      findings.push(`externally owned account ${account} holds a timelock role`)

  expectEqual(
    'governor.timelock()',
    await read(dac.governor, dacGovernorAbi, 'timelock'),
    dac.timelock,
  )
  expectEqual('governor.token()', await read(dac.governor, dacGovernorAbi, 'token'), dac.token)
  const owned = [
    { what: 'MiningVault', address: dac.miningVault, abi: miningVaultAbi },
    { what: 'VerifierStaking', address: d.verifiers.staking, abi: verifierStakingAbi },
    { what: 'OutputQuorum', address: d.verifiers.quorum, abi: outputQuorumAbi },
    ...(d.sequencing
      ? [{ what: 'SequencerPool', address: d.sequencing.pool, abi: sequencerPoolAbi }]
      : []),
    ...d.shards.map((s) => ({
      what: `SystemConfig ${s.systemConfig}`,
      address: s.systemConfig,
      abi: systemConfigAbi,
    })),
  ]
  for (const { what, address, abi } of owned) {
    expectEqual(`${what}.owner()`, await read(address, abi, 'owner'), dac.timelock)
    expectEqual(`${what}.pendingOwner()`, await read(address, abi, 'pendingOwner'), zeroAddress)
  }
  const vaultBalance = await readContract(client, {
    address: dac.token,
    abi: dacTokenAbi,
    functionName: 'balanceOf',
    args: [dac.miningVault],
  })
  if (vaultBalance < MINING_SUPPLY) findings.push(`the mining vault holds only ${vaultBalance} wei`)
  expectEqual(
    'MiningVault.recipient()',
    await read(dac.miningVault, miningVaultAbi, 'recipient'),
    d.verifiers.staking,
  )
  expectEqual(
    'VerifierStaking.QUORUM()',
    await read(d.verifiers.staking, verifierStakingAbi, 'QUORUM'),
    d.verifiers.quorum,
  )
  expectEqual(
    'OutputQuorum.STAKING()',
    await read(d.verifiers.quorum, outputQuorumAbi, 'STAKING'),
    d.verifiers.staking,
  )
  if (d.sequencing) {
    expectEqual(
      'SequencerPool.STAKING()',
      await read(d.sequencing.pool, sequencerPoolAbi, 'STAKING'),
      d.verifiers.staking,
    )
    expectEqual(
      'VerifierStaking.POOL()',
      await read(d.verifiers.staking, verifierStakingAbi, 'POOL'),
      d.sequencing.pool,
    )
  }
  for (const s of d.shards) {
    const config = getAddress(s.systemConfig)
    for (const role of ['proposer', 'challenger'])
      expectEqual(
        `SystemConfig ${config}.${role}()`,
        await read(config, systemConfigAbi, role),
        d.verifiers.quorum,
      )
    const registered = await readContract(client, {
      address: d.verifiers.quorum,
      abi: outputQuorumAbi,
      functionName: 'chainIdOf',
      args: [s.l2OutputOracle],
    })
    if (registered === 0n) findings.push(`OutputQuorum does not know oracle ${s.l2OutputOracle}`)
    expectEqual(
      `L2OutputOracle ${s.l2OutputOracle}.SYSTEM_CONFIG()`,
      await read(s.l2OutputOracle, l2OutputOracleAbi, 'SYSTEM_CONFIG'),
      config,
    )
    expectEqual(
      `OptimismPortal ${s.portal}.SYSTEM_CONFIG()`,
      await read(s.portal, optimismPortalAbi, 'SYSTEM_CONFIG'),
      config,
    )
  }
  if (findings.length > 0)
    throw new AdminKeyError(
      `deployment left admin powers outside the DAC:\n  ${findings.join('\n  ')}`,
    )
}

/** The timelock's role members now, replayed from its RoleGranted / RoleRevoked logs. */
async function roleHolders(client: DeployL1Client, timelock: Address, fromBlock: bigint) {
  const logs = await getLogs(client, {
    address: timelock,
    events: [roleGranted, roleRevoked],
    fromBlock,
    toBlock: 'latest',
  })
  logs.sort((a, b) =>
    a.blockNumber === b.blockNumber
      ? (a.logIndex ?? 0) - (b.logIndex ?? 0)
      : Number(a.blockNumber! - b.blockNumber!),
  )
  const holders = new Map<string, Set<Address>>()
  for (const log of logs) {
    const { role, account } = log.args as { role: string; account: Address }
    const set = holders.get(role) ?? new Set<Address>()
    if (log.eventName === 'RoleGranted') set.add(getAddress(account))
    else set.delete(getAddress(account))
    holders.set(role, set)
  }
  return holders
}
