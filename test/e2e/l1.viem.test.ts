import {
  createPublicClient,
  createTestClient,
  defineChain,
  encodeAbiParameters,
  getAddress,
  http,
  keccak256,
  pad,
  parseEther,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
} from 'viem'
import {
  buildProveWithdrawal,
  depositTransaction,
  finalizeWithdrawal,
  getL2Output,
  getTimeToFinalize,
  getWithdrawalHashStorageSlot,
  getWithdrawalStatus,
  proveWithdrawal,
} from 'viem/op-stack'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import type { L1Deployment } from '../../scripts/deploy-l1.js'
import {
  anvilTestClient,
  deployDevnet,
  devAccount,
  expectRevert,
  l1Wallet,
  messagePasser,
  setEoaProposer,
  withHash,
  type L1Wallet,
  type Withdrawal,
} from './l1.fixtures.js'
import { startAnvil, type Anvil } from './processes.js'

/**
 * viem's op-stack withdrawal actions, unchanged, against the L1 contracts: a second anvil stands in
 * for the L2 (its L2ToL1MessagePasser storage written directly), so that `buildProveWithdrawal`
 * gets a real `eth_getProof`. The L2 node's own end-to-end test (issue 3, part 8) replaces the
 * stand-in with the rollup. Fresh anvils and wall-clock waits: getTimeToFinalize uses `Date.now()`.
 * The deployer proposes, put in place of the OutputQuorum to test the oracle and portal alone.
 */

const PERIOD = 2n

let l1: Anvil
let l2: Anvil
let deployment: L1Deployment
let l1Chain: Chain
let l2Chain: ReturnType<typeof defineL2>
let wallet: L1Wallet
let withdrawal: Withdrawal
let l2BlockNumber: bigint

beforeAll(async () => {
  ;[l1, l2] = await Promise.all([startAnvil(), startAnvil({ chainId: 901 })])
  // The withdrawal "initiated" on the stand-in L2: sentMessages[hash] = 1 in the message passer.
  withdrawal = withHash({
    nonce: 0n,
    sender: devAccount(5).address,
    target: getAddress(keccak256('0xf1a1').slice(0, 42)),
    value: parseEther('1'),
    gasLimit: 100_000n,
    data: '0x',
  })
  const l2Test = createTestClient({ mode: 'anvil', transport: http(l2.url) })
  await l2Test.setCode({ address: messagePasser, bytecode: '0x00' })
  await l2Test.setStorageAt({
    address: messagePasser,
    index: getWithdrawalHashStorageSlot({ withdrawalHash: withdrawal.withdrawalHash }),
    value: pad('0x01'),
  })
  await l2Test.mine({ blocks: 1 })
  const l2Public = createPublicClient({ transport: http(l2.url) })
  l2BlockNumber = await l2Public.getBlockNumber()
  const genesis = await l2Public.getBlock({ blockNumber: 0n })
  // The two anvils start a moment apart: the oracle refuses a starting timestamp after L1's clock.
  const l1Now = (await createPublicClient({ transport: http(l1.url) }).getBlock()).timestamp
  const startingTimestamp = genesis.timestamp < l1Now ? genesis.timestamp : l1Now

  ;({ deployment, chain: l1Chain } = await deployDevnet(l1.url, {
    chainIds: [901],
    submissionInterval: 1n,
    startingBlockNumber: l2BlockNumber - 1n,
    startingTimestamp,
    // Output 0: the stand-in's block before the withdrawal (not genesis.json's genesis).
    startingOutputRoots: { 901: await outputRootAt(l2Public, l2BlockNumber - 1n) },
    finalizationPeriodSeconds: PERIOD,
  }))
  // dev 0 proposes in place of the OutputQuorum (viem's actions only read the oracle).
  await setEoaProposer(l1Chain, deployment, devAccount(0).address)
  const [shard] = deployment.shards
  l2Chain = defineL2(l2.url, { portal: shard.portal, l2OutputOracle: shard.l2OutputOracle })
  wallet = l1Wallet(l1Chain, devAccount(0))
})

afterAll(async () => {
  await Promise.all([l1?.stop(), l2?.stop()])
})

/** The version-0 output root of the stand-in L2's block `blockNumber`: the proposer's job. */
async function outputRootAt(client: PublicClient, blockNumber: bigint): Promise<Hex> {
  const block = await client.getBlock({ blockNumber })
  const { storageHash } = await client.getProof({
    address: messagePasser,
    storageKeys: [],
    blockNumber,
  })
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }],
      [pad('0x00'), block.stateRoot, storageHash, block.hash!],
    ),
  )
}

/** The stand-in L2 as a viem op-stack target chain: contracts keyed by the L1's chain id. */
function defineL2(url: string, contracts: { portal: Address; l2OutputOracle: Address }) {
  const onL1 = (address: Address) => ({ 31337: { address } })
  return defineChain({
    id: 901,
    name: 'stand-in L2',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
    sourceId: 31337,
    contracts: { portal: onL1(contracts.portal), l2OutputOracle: onL1(contracts.l2OutputOracle) },
  })
}

describe('viem op-stack withdrawal actions', () => {
  test('default', async () => {
    const status = () =>
      getWithdrawalStatus(wallet, {
        targetChain: l2Chain,
        l2BlockNumber,
        sender: withdrawal.sender,
        withdrawalHash: withdrawal.withdrawalHash,
      })
    // Ether for the portal to pay out, deposited with viem.
    const deposit = await depositTransaction(wallet, {
      targetChain: l2Chain,
      request: { to: wallet.account.address, mint: parseEther('2'), gas: 21_000n },
    })
    expect((await wallet.waitForTransactionReceipt({ hash: deposit })).status).toBe('success')
    expect(await status()).toBe('waiting-to-prove')

    // The proposer's job: the output root of the L2 block, version 0.
    const l2Client = createPublicClient({ chain: l2Chain, transport: http() })
    const outputRoot = await outputRootAt(l2Client, l2BlockNumber)
    // Bedrock's rule: an output waits until L1 time passes the L2 block's time at L2_BLOCK_TIME per block.
    const oracle = { address: deployment.shards[0].l2OutputOracle, abi: l2OutputOracleAbi } as const
    const due = await wallet.readContract({
      ...oracle,
      functionName: 'computeL2Timestamp',
      args: [l2BlockNumber],
    })
    while ((await wallet.getBlock()).timestamp <= due) {
      await sleep(250)
      await anvilTestClient(l1Chain).mine({ blocks: 1 })
    }
    const proposal = await wallet.writeContract({
      ...oracle,
      functionName: 'proposeL2Output',
      args: [outputRoot, l2BlockNumber, pad('0x00'), 0n],
    })
    expect((await wallet.waitForTransactionReceipt({ hash: proposal })).status).toBe('success')
    expect(await status()).toBe('ready-to-prove')

    const output = await getL2Output(wallet, { targetChain: l2Chain, l2BlockNumber })
    // Output 0 is the starting output; the first proposal is output 1.
    expect(output).toMatchObject({ outputIndex: 1n, outputRoot, l2BlockNumber })
    const args = await buildProveWithdrawal(l2Client, {
      account: wallet.account,
      output,
      withdrawal,
    })
    const proven = await proveWithdrawal(wallet, args)
    expect((await wallet.waitForTransactionReceipt({ hash: proven })).status).toBe('success')
    expect(await status()).toBe('waiting-to-finalize')
    const { seconds, period } = await getTimeToFinalize(wallet, {
      targetChain: l2Chain,
      withdrawalHash: withdrawal.withdrawalHash,
    })
    expect(period).toBe(Number(PERIOD))
    expect(seconds).toBeGreaterThan(0)
    await expectRevert(
      finalizeWithdrawal(wallet, { targetChain: l2Chain, withdrawal }),
      'OptimismPortal: proven withdrawal finalization period has not elapsed',
    )

    // Wall-clock wait: viem measures the period with Date.now(), the contracts with block time.
    const deadline = Date.now() + 30_000
    while ((await status()) === 'waiting-to-finalize' && Date.now() < deadline) await sleep(250)
    expect(await status()).toBe('ready-to-finalize')
    await anvilTestClient(l1Chain).mine({ blocks: 1 }) // a block at the current time, as a real L1 makes
    const before = await wallet.getBalance({ address: withdrawal.target })
    const finalized = await finalizeWithdrawal(wallet, { targetChain: l2Chain, withdrawal })
    expect((await wallet.waitForTransactionReceipt({ hash: finalized })).status).toBe('success')
    expect((await wallet.getBalance({ address: withdrawal.target })) - before).toBe(
      withdrawal.value,
    )
    expect(await status()).toBe('finalized')
    await expectRevert(
      finalizeWithdrawal(wallet, { targetChain: l2Chain, withdrawal }),
      'OptimismPortal: withdrawal has already been finalized',
    )
  })
})
