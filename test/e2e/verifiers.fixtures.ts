import {
  encodeFunctionData,
  erc20Abi,
  getAddress,
  isAddressEqual,
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
  type Abi,
  type Address,
  type Hex,
  type LocalAccount,
  type TransactionReceipt,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import { dacTokenAbi } from '../../generated/contracts/DacToken.js'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { miningVaultAbi } from '../../generated/contracts/MiningVault.js'
import { optimismPortalAbi } from '../../generated/contracts/OptimismPortal.js'
import { outputQuorumAbi } from '../../generated/contracts/OutputQuorum.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { devnetDac, devnetVerifierParams, type VerifierParameters } from '../../scripts/dac-params.js'
import { castVote, execute, propose, queue } from '../../scripts/governance.js'
import { deployL1, type DeployL1Parameters, type L1Deployment } from '../../scripts/deploy-l1.js'
import { devnetOperator, stakeOperators } from '../../scripts/devnet-verifiers.js'
import { signOutput, type AttestationDomain } from '../../shared/verifiers/attestation.js'
import { dacWallet, revertOf, type DacWallet } from './dac.fixtures.js'
import {
  anvilTestClient,
  buildL2State,
  devAccount,
  l1Chain,
  withHash,
  type Withdrawal,
} from './l1.fixtures.js'
import { startAnvil, type Anvil } from './processes.js'

/**
 * Fixtures of the contract tests of the staked roles (verifiers.*.test.ts, sequencing.contracts):
 * an anvil L1 with deployL1's contracts and the operators (devnet keys 10-13), started once per test
 * file and reverted to an anvil snapshot after each test, time travel and revert decoding; and the
 * OutputQuorum devnet of the verifier tests with its helpers. The bindings below are set in the test
 * file's `beforeAll` (a test file is its own module graph, so each file has its own anvil).
 */

/** An operator: its key, account and wallet. */
export type Operator = { account: LocalAccount; address: Address; key: Hex; wallet: DacWallet }

export let anvil: Anvil
export let chain: ReturnType<typeof l1Chain>
export let testClient: ReturnType<typeof anvilTestClient>
export let d: L1Deployment
/** A deployer that is none of the dev accounts. */
export let deployer: DacWallet
/** Dev accounts 0-9: 0 and 1 vote (1,000,000 EDGE, the 10 % vote quorum), 5 relays. */
export let dev: DacWallet[]
export let relayer: DacWallet
/** The operators A, B, C, and a fourth key D that stakes only in some tests. */
export let operators: Operator[]
export let A: Operator, B: Operator, C: Operator, D: Operator
let abis: Abi

/**
 * Registers the hooks of a test file: a fresh anvil with deployL1's contracts (shards 901 and 902,
 * dev 8 the batcher) deployed with `deploy` by the key named `name`, then `setup` (stakes, funds,
 * delegations), then one second later (votes count at a challenge's clock() - 1); a snapshot before
 * each test, reverted after it. `expectError` decodes against `errors`.
 */
export function useStakingDevnet(opts: {
  name: string
  deploy: Omit<DeployL1Parameters, 'chainIds' | 'batcher'>
  errors: Abi
  setup: () => Promise<void>
}) {
  abis = opts.errors
  beforeAll(async () => {
    anvil = await startAnvil()
    try {
      chain = l1Chain(anvil.url)
      testClient = anvilTestClient(chain)
      const deployerAccount = privateKeyToAccount(
        keccak256(toHex(`edge-l2 ${opts.name} test deployer`)),
      )
      await testClient.setBalance({ address: deployerAccount.address, value: 10n ** 22n })
      deployer = dacWallet(chain, deployerAccount)
      d = await deployL1(deployer, {
        chainIds: [901, 902],
        batcher: devAccount(8).address,
        ...opts.deploy,
      })
      dev = Array.from({ length: 10 }, (_, i) => dacWallet(chain, devAccount(i)))
      relayer = dev[5]
      operators = [0, 1, 2, 3].map((i) => {
        const { key } = devnetOperator(i)
        const account = privateKeyToAccount(key)
        return { account, address: account.address, key, wallet: dacWallet(chain, account) }
      })
      ;[A, B, C, D] = operators
      await opts.setup()
      await advance(1n)
    } catch (err) {
      await anvil.stop()
      throw err
    }
  })
  afterAll(async () => {
    await anvil?.stop()
  })
  let snapshot: Hex
  beforeEach(async () => {
    snapshot = await testClient.snapshot()
  })
  afterEach(async () => {
    await testClient.revert({ id: snapshot })
  })
}

/** Awaits a transaction and asserts it succeeded. */
export async function mined(hash: Hex): Promise<TransactionReceipt> {
  const receipt = await relayer.waitForTransactionReceipt({ hash })
  expect(receipt.status).toBe('success')
  return receipt
}

/** Asserts that `action` reverts with the custom error (or Error(string) / Panic) `name`. */
export async function expectError(
  action: Promise<unknown>,
  name: string,
  args?: readonly unknown[],
) {
  const decoded = await revertOf(action, abis)
  expect(decoded.errorName).toBe(name)
  if (args) expect(decoded.args).toEqual(args)
}

/** Moves L1 time forward and mines a block there. */
export async function advance(seconds: bigint) {
  await testClient.increaseTime({ seconds: Number(seconds) })
  await testClient.mine({ blocks: 1 })
}

// ------------------------------------------------------------------------- the OutputQuorum devnet

/** The devnet's verifier parameters, with a 50 % slash (so "reduced by slashBps" differs from
 * "emptied"), jailing after 3 missed outputs, 3 EDGE per output (1 EDGE per equal third) and a
 * 1,200 s dispute period (longer than the finalization period, so that an output finalizing while
 * another is challenged shows). */
export const PARAMS: VerifierParameters = {
  ...devnetVerifierParams,
  slashBps: 5000n,
  maxMissed: 3n,
  rewardPerOutput: parseEther('3'),
  disputePeriod: 1200n,
}
/** The challenge window of an output in the oracle. */
export const FINALIZATION_PERIOD = 600n
export const STAKE = parseEther('100000')
export const SLASH = (STAKE * PARAMS.slashBps) / 10_000n
export const REPORTER_SHARE = (SLASH * PARAMS.reporterBps) / 10_000n
export const Status = { None: 0, Active: 1, Inactive: 2, Jailed: 3 } as const
export const Outcome = { Open: 0, Upheld: 1, Dismissed: 2, Expired: 3 } as const
export const NOT_FINAL = 'OptimismPortal: output proposal finalization period has not elapsed'

/** What operators sign: the OutputQuorum's and shard 901's oracle. */
export let domain: AttestationDomain

/**
 * The devnet of the VerifierStaking and OutputQuorum tests (DESIGN.md "Trust model", invariant 8: no
 * output without signatures of ≥ 2/3 of the active stake (or the long window), any one staked
 * verifier can challenge within the finalization period, only an executed Governor proposal upholds it,
 * equivocation and a lost challenge are slashed): PARAMS, a FINALIZATION_PERIOD window, the three
 * operators A, B, C (devnet keys 10-12) bonded with 100,000 EDGE each from dev 9, D funded with ETH
 * only, A holding votes of its own, the portal holding liquidity. Every test starts from that state
 * and moves time with evm_increaseTime; assertions are on contract state and on revert errors decoded
 * with the generated ABIs.
 */
export function useOutputQuorumDevnet() {
  useStakingDevnet({
    name: 'verifier',
    deploy: { finalizationPeriodSeconds: FINALIZATION_PERIOD, verifiers: PARAMS },
    errors: [...outputQuorumAbi, ...verifierStakingAbi, ...l2OutputOracleAbi, ...optimismPortalAbi],
    setup: async () => {
      await stakeOperators(dev[9], { token: d.dac.token, staking: d.verifiers.staking }, [
        A.address,
        B.address,
        C.address,
      ])
      await mined(await dev[9].sendTransaction({ to: D.address, value: parseEther('10') }))
      // A holds votes of its own (1,000 EDGE, self-delegated): a token holder, yet no vote of its
      // settles a challenge (only an executed Governor proposal does).
      await mined(
        await dev[9].writeContract({
          ...token(),
          functionName: 'transfer',
          args: [A.address, parseEther('1000')],
          // Vote checkpoints cost more when the block lands a second after the estimate's.
          gas: 300_000n,
        }),
      )
      await mined(
        await A.wallet.writeContract({
          ...token(),
          functionName: 'delegate',
          args: [A.address],
          gas: 300_000n,
        }),
      )
      // Portal liquidity, so that a withdrawal that finalizes would really pay.
      await mined(
        await dev[7].writeContract({
          ...portal(),
          functionName: 'donateETH',
          value: parseEther('5'),
        }),
      )
      domain = {
        l1ChainId: chain.id,
        quorum: d.verifiers.quorum,
        l2ChainId: 901,
        oracle: d.shards[0].l2OutputOracle,
      }
    },
  })
}

export const quorum = () => ({ address: d.verifiers.quorum, abi: outputQuorumAbi }) as const
export const staking = () => ({ address: d.verifiers.staking, abi: verifierStakingAbi }) as const
export const oracle = () =>
  ({ address: d.shards[0].l2OutputOracle, abi: l2OutputOracleAbi }) as const
export const portal = () => ({ address: d.shards[0].portal, abi: optimismPortalAbi }) as const
export const vault = () => ({ address: d.dac.miningVault, abi: miningVaultAbi }) as const
export const token = () => ({ address: d.dac.token, abi: dacTokenAbi }) as const

export async function now() {
  return (await relayer.getBlock()).timestamp
}

export const sign = (op: Operator, l2BlockNumber: bigint, outputRoot: Hex) =>
  signOutput(op.account, domain, { l2BlockNumber, outputRoot })

export const nextBlock = () =>
  relayer.readContract({ ...oracle(), functionName: 'nextBlockNumber' })
export const nextIndex = () =>
  relayer.readContract({ ...oracle(), functionName: 'nextOutputIndex' })
export const outputAt = (index: bigint) =>
  relayer.readContract({ ...oracle(), functionName: 'getL2Output', args: [index] })
export const isFinal = (index: bigint) =>
  relayer.readContract({ ...oracle(), functionName: 'isOutputFinalized', args: [index] })
export const activeStake = () => relayer.readContract({ ...staking(), functionName: 'activeStake' })
export const owed = (op: Operator) =>
  relayer.readContract({ ...staking(), functionName: 'rewardsOwed', args: [op.address] })
export const edge = (address: Address) =>
  relayer.readContract({
    address: d.dac.token,
    abi: erc20Abi,
    functionName: 'balanceOf',
    args: [address],
  })
export const eth = (address: Address) => relayer.getBalance({ address })
export const candidate = async (l2BlockNumber: bigint, root: Hex) => {
  const [firstSeen, exposableAt, signers, signedStake, active, rejected, openChallenge] =
    await relayer.readContract({
      ...quorum(),
      functionName: 'candidate',
      args: [domain.oracle, l2BlockNumber, root],
    })
  return { firstSeen, exposableAt, signers, signedStake, active, rejected, openChallenge }
}

/** Operator `op`'s row of `verifiers()`. */
export async function verifierOf(op: Operator) {
  const [addrs, bonded, unbonding, status, missed, owedTo] = await relayer.readContract({
    ...staking(),
    functionName: 'verifiers',
  })
  const i = addrs.findIndex((a) => isAddressEqual(a, op.address))
  expect(i).toBeGreaterThanOrEqual(0)
  return {
    bonded: bonded[i],
    unbonding: unbonding[i],
    status: status[i],
    missed: missed[i],
    owed: owedTo[i],
  }
}

/** `attest` (sent by the relayer) of `signers`' signatures on `root` at `l2BlockNumber`. */
export async function attestTx(l2BlockNumber: bigint, root: Hex, signers: readonly Operator[]) {
  const sigs = await Promise.all(signers.map((s) => sign(s, l2BlockNumber, root)))
  return relayer.writeContract({
    ...quorum(),
    functionName: 'attest',
    args: [domain.oracle, l2BlockNumber, root, sigs],
  })
}
export async function attest(l2BlockNumber: bigint, root: Hex, signers: readonly Operator[]) {
  return mined(await attestTx(l2BlockNumber, root, signers))
}

/** The OutputAccepted events of a receipt. */
export const acceptedIn = (receipt: TransactionReceipt) =>
  parseEventLogs({ abi: outputQuorumAbi, logs: receipt.logs, eventName: 'OutputAccepted' })

/** Puts `root` into the oracle at its next block with `signers` (a quorum); returns index and block. */
export async function accept(root: Hex, signers: readonly Operator[]) {
  const l2BlockNumber = await nextBlock()
  const index = await nextIndex()
  const [event] = acceptedIn(await attest(l2BlockNumber, root, signers))
  expect(event.args).toMatchObject({ l2OutputIndex: index, outputRoot: root, quorum: true })
  return { index, l2BlockNumber }
}

/** `by` challenges `root` at `l2BlockNumber` with the bond; returns the challenge id. */
export async function challenge(by: Operator, l2BlockNumber: bigint, root: Hex) {
  const receipt = await mined(
    await by.wallet.writeContract({
      ...quorum(),
      functionName: 'challenge',
      args: [domain.oracle, l2BlockNumber, root],
      value: PARAMS.challengeBond,
    }),
  )
  const [event] = parseEventLogs({
    abi: outputQuorumAbi,
    logs: receipt.logs,
    eventName: 'Challenged',
  })
  expect(event.args).toMatchObject({ l2BlockNumber, outputRoot: root, challenger: by.address })
  return event.args.id
}

/** Waits out challenge `id`'s dispute period and resolves it (dev account 3, a bystander); returns the outcome. */
export async function resolve(id: bigint) {
  await advance(PARAMS.disputePeriod)
  const receipt = await mined(
    await dev[3].writeContract({ ...quorum(), functionName: 'resolve', args: [id] }),
  )
  const [event] = parseEventLogs({
    abi: outputQuorumAbi,
    logs: receipt.logs,
    eventName: 'ChallengeResolved',
  })
  return event.args.outcome
}

/**
 * Upholds challenge `id` the only way there is: a Governor proposal (by dev 0) that dev 0 and 1
 * (1,000,000 EDGE, the 10 % quorum) vote for, queued and executed after the Timelock delay.
 */
export async function upholdByGovernance(id: bigint) {
  const data = encodeFunctionData({ abi: outputQuorumAbi, functionName: 'uphold', args: [id] })
  const { proposalId } = await propose(
    dev[0],
    d.dac.governor,
    [{ target: d.verifiers.quorum, data }],
    `edge-l2: uphold challenge ${id}`,
  )
  await advance(devnetDac.votingDelay + 1n)
  for (const voter of dev.slice(0, 2)) await castVote(voter, d.dac.governor, proposalId, 'for')
  await advance(devnetDac.votingPeriod + 1n)
  await queue(dev[0], d.dac.governor, proposalId)
  await advance(devnetDac.timelockDelay + 1n)
  await execute(dev[0], d.dac.governor, proposalId)
}

export const honestRoot = (l2BlockNumber: bigint) =>
  keccak256(toHex(`honest output ${l2BlockNumber}`))

export const prove = (w: Withdrawal, index: bigint, l2: Awaited<ReturnType<typeof buildL2State>>) =>
  dev[6].writeContract({
    ...portal(),
    functionName: 'proveWithdrawalTransaction',
    args: [w, index, l2.outputRootProof, l2.proofs.get(w.withdrawalHash)!],
  })
export const finalize = (w: Withdrawal) =>
  dev[6].writeContract({ ...portal(), functionName: 'finalizeWithdrawalTransaction', args: [w] })

/** A withdrawal of 1 ETH to a fresh recipient, and a made-up L2 state whose message passer holds only it. */
export async function madeUpWithdrawal(tag: string) {
  const recipient = getAddress(keccak256(toHex(`recipient ${tag}`)).slice(0, 42))
  const w = withHash({
    nonce: 0n,
    sender: devAccount(6).address,
    target: recipient,
    value: parseEther('1'),
    gasLimit: 100_000n,
    data: '0x',
  })
  // One leaf: the withdrawal's slot set to 1, in a state the L2 never had.
  const l2 = await buildL2State([w.withdrawalHash], { noise: 0 })
  return { w, l2, recipient }
}

/** Whether oracle output `index` is frozen (an open challenge names it). */
export const isFrozen = (index: bigint) =>
  relayer.readContract({ ...oracle(), functionName: 'frozen', args: [index] })

/** Challenge `id` as `getChallenge` returns it. */
export const challengeOf = (id: bigint) =>
  relayer.readContract({ ...quorum(), functionName: 'getChallenge', args: [id] })

/**
 * A Governor proposal (by dev 0) to `uphold` or `dismiss` challenge `id`, voted for by dev 0 and 1
 * (the 10 % quorum), queued, and the Timelock delay waited out; returns its execution (a
 * transaction hash, or the revert of the call it makes).
 */
export async function queueChallengeProposal(functionName: 'uphold' | 'dismiss', id: bigint) {
  const data = encodeFunctionData({ abi: outputQuorumAbi, functionName, args: [id] })
  const { proposalId } = await propose(
    dev[0],
    d.dac.governor,
    [{ target: d.verifiers.quorum, data }],
    `edge-l2: ${functionName} challenge ${id}`,
  )
  await advance(devnetDac.votingDelay + 1n)
  for (const voter of dev.slice(0, 2)) await castVote(voter, d.dac.governor, proposalId, 'for')
  await advance(devnetDac.votingPeriod + 1n)
  await queue(dev[0], d.dac.governor, proposalId)
  await advance(devnetDac.timelockDelay + 1n)
  return () => execute(dev[0], d.dac.governor, proposalId)
}

/** Dismisses challenge `id` by an executed Governor proposal (the bond goes to the Timelock). */
export async function dismissByGovernance(id: bigint) {
  const executeIt = await queueChallengeProposal('dismiss', id)
  await mined(await executeIt())
}
