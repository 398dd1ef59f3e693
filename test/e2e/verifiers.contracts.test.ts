import {
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
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { dacTokenAbi } from '../../generated/contracts/DacToken.js'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { miningVaultAbi } from '../../generated/contracts/MiningVault.js'
import { optimismPortalAbi } from '../../generated/contracts/OptimismPortal.js'
import { outputQuorumAbi } from '../../generated/contracts/OutputQuorum.js'
import { systemConfigAbi } from '../../generated/contracts/SystemConfig.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { devnetVerifierParams, type VerifierParameters } from '../../scripts/dac-params.js'
import { deployL1, type L1Deployment } from '../../scripts/deploy-l1.js'
import { devnetOperator, stakeOperators } from '../../scripts/devnet-verifiers.js'
import {
  outputDigest,
  signOutput,
  type AttestationDomain,
} from '../../shared/verifiers/attestation.js'
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
 * VerifierStaking and OutputQuorum on anvil (DESIGN.md "Trust model", invariant 8): no output without
 * signatures of ≥ 2/3 of the active stake (or the long window), any one staked verifier can challenge
 * within the finalization period, the DAC's vote (not the accused) settles it, equivocation and a lost
 * challenge are slashed. Three operators (devnet keys 10-12) bond 100,000 EDGE each; every test starts
 * from that state (an anvil snapshot, reverted after each test) and moves time with evm_increaseTime.
 * Assertions are on contract state and on revert errors decoded with the generated ABIs.
 */

/** The devnet's verifier parameters, with a 50 % slash (so "reduced by slashBps" differs from
 * "emptied"), jailing after 3 missed outputs and 3 EDGE per output (1 EDGE per equal third). */
const PARAMS: VerifierParameters = {
  ...devnetVerifierParams,
  slashBps: 5000n,
  maxMissed: 3n,
  rewardPerOutput: parseEther('3'),
}
/** The challenge window of an output in the oracle. */
const FINALIZATION_PERIOD = 600n
const STAKE = parseEther('100000')
const SLASH = (STAKE * PARAMS.slashBps) / 10_000n
const REPORTER_SHARE = (SLASH * PARAMS.reporterBps) / 10_000n
const Status = { None: 0, Active: 1, Inactive: 2, Jailed: 3 } as const
const Outcome = { Open: 0, Upheld: 1, Rejected: 2, NoQuorum: 3 } as const
const ZERO32 = `0x${'00'.repeat(32)}` as Hex
const PROPOSER_GUARD = 'L2OutputOracle: only the proposer address can propose new outputs'
const NOT_FINAL = 'OptimismPortal: output proposal finalization period has not elapsed'
const abis = [
  ...outputQuorumAbi,
  ...verifierStakingAbi,
  ...l2OutputOracleAbi,
  ...optimismPortalAbi,
] as Abi

type Operator = { account: LocalAccount; address: Address; wallet: DacWallet }

let anvil: Anvil
let d: L1Deployment
let testClient: ReturnType<typeof anvilTestClient>
/** Dev accounts 0-9: 0 and 1 vote (1,000,000 EDGE, the 10 % vote quorum), 5 relays, 9 funds. */
let dev: DacWallet[]
let deployer: DacWallet
/** The three operators A, B, C, and a fourth key D that stakes only in the staking tests. */
let A: Operator, B: Operator, C: Operator, D: Operator
let relayer: DacWallet
let domain: AttestationDomain

const quorum = () => ({ address: d.verifiers.quorum, abi: outputQuorumAbi }) as const
const staking = () => ({ address: d.verifiers.staking, abi: verifierStakingAbi }) as const
const oracle = () => ({ address: d.shards[0].l2OutputOracle, abi: l2OutputOracleAbi }) as const
const portal = () => ({ address: d.shards[0].portal, abi: optimismPortalAbi }) as const
const vault = () => ({ address: d.dac.miningVault, abi: miningVaultAbi }) as const
const token = () => ({ address: d.dac.token, abi: dacTokenAbi }) as const

beforeAll(async () => {
  anvil = await startAnvil()
  try {
    const chain = l1Chain(anvil.url)
    testClient = anvilTestClient(chain)
    const deployerAccount = privateKeyToAccount(keccak256(toHex('edge-l2 verifier test deployer')))
    await testClient.setBalance({ address: deployerAccount.address, value: 10n ** 22n })
    deployer = dacWallet(chain, deployerAccount)
    d = await deployL1(deployer, {
      chainIds: [901, 902],
      batcher: devAccount(8).address,
      finalizationPeriodSeconds: FINALIZATION_PERIOD,
      verifiers: PARAMS,
    })
    dev = Array.from({ length: 10 }, (_, i) => dacWallet(chain, devAccount(i)))
    relayer = dev[5]
    ;[A, B, C, D] = [0, 1, 2, 3].map((i) => {
      const account = privateKeyToAccount(devnetOperator(i).key)
      return { account, address: account.address, wallet: dacWallet(chain, account) }
    })
    await stakeOperators(dev[9], { token: d.dac.token, staking: d.verifiers.staking }, [
      A.address,
      B.address,
      C.address,
    ])
    await mined(await dev[9].sendTransaction({ to: D.address, value: parseEther('10') }))
    // A holds votes of its own (1,000 EDGE, self-delegated) so that only the accused-signer rule,
    // not a lack of votes, keeps it from voting on its own root.
    await mined(
      await dev[9].writeContract({
        ...token(),
        functionName: 'transfer',
        args: [A.address, parseEther('1000')],
      }),
    )
    await mined(
      await A.wallet.writeContract({ ...token(), functionName: 'delegate', args: [A.address] }),
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
    // Votes count at a challenge's clock() - 1: one second past the delegations.
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

// ---------------------------------------------------------------------------------------- helpers

/** Awaits a transaction and asserts it succeeded. */
async function mined(hash: Hex): Promise<TransactionReceipt> {
  const receipt = await relayer.waitForTransactionReceipt({ hash })
  expect(receipt.status).toBe('success')
  return receipt
}

/** Asserts that `action` reverts with the custom error (or Error(string) / Panic) `name`. */
async function expectError(action: Promise<unknown>, name: string, args?: readonly unknown[]) {
  const decoded = await revertOf(action, abis)
  expect(decoded.errorName).toBe(name)
  if (args) expect(decoded.args).toEqual(args)
}

/** Moves L1 time forward and mines a block there. */
async function advance(seconds: bigint) {
  await testClient.increaseTime({ seconds: Number(seconds) })
  await testClient.mine({ blocks: 1 })
}

async function now() {
  return (await relayer.getBlock()).timestamp
}

const sign = (op: Operator, l2BlockNumber: bigint, outputRoot: Hex) =>
  signOutput(op.account, domain, { l2BlockNumber, outputRoot })

const nextBlock = () => relayer.readContract({ ...oracle(), functionName: 'nextBlockNumber' })
const nextIndex = () => relayer.readContract({ ...oracle(), functionName: 'nextOutputIndex' })
const outputAt = (index: bigint) =>
  relayer.readContract({ ...oracle(), functionName: 'getL2Output', args: [index] })
const isFinal = (index: bigint) =>
  relayer.readContract({ ...oracle(), functionName: 'isOutputFinalized', args: [index] })
const activeStake = () => relayer.readContract({ ...staking(), functionName: 'activeStake' })
const owed = (op: Operator) =>
  relayer.readContract({ ...staking(), functionName: 'rewardsOwed', args: [op.address] })
const edge = (address: Address) =>
  relayer.readContract({
    address: d.dac.token,
    abi: erc20Abi,
    functionName: 'balanceOf',
    args: [address],
  })
const eth = (address: Address) => relayer.getBalance({ address })
const candidate = async (l2BlockNumber: bigint, root: Hex) => {
  const [firstSeen, exposableAt, signers, signedStake, active, rejected, openChallenge] =
    await relayer.readContract({
      ...quorum(),
      functionName: 'candidate',
      args: [domain.oracle, l2BlockNumber, root],
    })
  return { firstSeen, exposableAt, signers, signedStake, active, rejected, openChallenge }
}

/** Operator `op`'s row of `verifiers()`. */
async function verifierOf(op: Operator) {
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
async function attestTx(l2BlockNumber: bigint, root: Hex, signers: readonly Operator[]) {
  const sigs = await Promise.all(signers.map((s) => sign(s, l2BlockNumber, root)))
  return relayer.writeContract({
    ...quorum(),
    functionName: 'attest',
    args: [domain.oracle, l2BlockNumber, root, sigs],
  })
}
async function attest(l2BlockNumber: bigint, root: Hex, signers: readonly Operator[]) {
  return mined(await attestTx(l2BlockNumber, root, signers))
}

/** The OutputAccepted events of a receipt. */
const acceptedIn = (receipt: TransactionReceipt) =>
  parseEventLogs({ abi: outputQuorumAbi, logs: receipt.logs, eventName: 'OutputAccepted' })

/** Puts `root` into the oracle at its next block with `signers` (a quorum); returns index and block. */
async function accept(root: Hex, signers: readonly Operator[]) {
  const l2BlockNumber = await nextBlock()
  const index = await nextIndex()
  const [event] = acceptedIn(await attest(l2BlockNumber, root, signers))
  expect(event.args).toMatchObject({ l2OutputIndex: index, outputRoot: root, quorum: true })
  return { index, l2BlockNumber }
}

/** `by` challenges `root` at `l2BlockNumber` with the bond; returns the challenge id. */
async function challenge(by: Operator, l2BlockNumber: bigint, root: Hex) {
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

/** Dev accounts `voters` vote on challenge `id`. */
async function vote(id: bigint, support: boolean, voters = dev.slice(0, 2)) {
  for (const voter of voters)
    await mined(
      await voter.writeContract({ ...quorum(), functionName: 'vote', args: [id, support] }),
    )
}

/** Waits out the vote and resolves challenge `id` (dev account 3, a bystander); returns the outcome. */
async function resolve(id: bigint) {
  await advance(PARAMS.resolutionPeriod)
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

const honestRoot = (l2BlockNumber: bigint) => keccak256(toHex(`honest output ${l2BlockNumber}`))

const prove = (w: Withdrawal, index: bigint, l2: Awaited<ReturnType<typeof buildL2State>>) =>
  dev[6].writeContract({
    ...portal(),
    functionName: 'proveWithdrawalTransaction',
    args: [w, index, l2.outputRootProof, l2.proofs.get(w.withdrawalHash)!],
  })
const finalize = (w: Withdrawal) =>
  dev[6].writeContract({ ...portal(), functionName: 'finalizeWithdrawalTransaction', args: [w] })

/** A withdrawal of 1 ETH to a fresh recipient, and a made-up L2 state whose message passer holds only it. */
async function madeUpWithdrawal(tag: string) {
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

// ---------------------------------------------------------------------------------------- tests

describe('OutputQuorum fast path', () => {
  test('default', async () => {
    const l2BlockNumber = await nextBlock()
    const root = honestRoot(l2BlockNumber)
    const index = await nextIndex()
    expect(await activeStake()).toBe(3n * STAKE)
    // The digest the operators sign is the contract's.
    expect(
      await relayer.readContract({
        ...quorum(),
        functionName: 'outputDigest',
        args: [domain.oracle, l2BlockNumber, root],
      }),
    ).toBe(outputDigest(domain, { l2BlockNumber, outputRoot: root }))

    // One third: recorded, not proposed.
    const first = await attest(l2BlockNumber, root, [A])
    expect(acceptedIn(first)).toEqual([])
    expect(await nextIndex()).toBe(index)
    const one = await candidate(l2BlockNumber, root)
    expect(one.signers).toEqual([A.address])
    expect(one.signedStake).toBe(STAKE)
    expect(one.active).toBe(3n * STAKE)

    // Two thirds: in the oracle at once.
    const second = await attest(l2BlockNumber, root, [B])
    const [event] = acceptedIn(second)
    expect(event.args).toEqual({
      oracle: domain.oracle,
      l2OutputIndex: index,
      l2BlockNumber,
      outputRoot: root,
      quorum: true,
      signedStake: 2n * STAKE,
      activeStake: 3n * STAKE,
    })
    expect(await nextIndex()).toBe(index + 1n)
    expect(await outputAt(index)).toMatchObject({ outputRoot: root, l2BlockNumber })
    const share = (PARAMS.rewardPerOutput * STAKE) / (3n * STAKE)
    expect(await owed(A)).toBe(share)
    expect(await owed(B)).toBe(share)
    expect(await owed(C)).toBe(0n)
    expect((await verifierOf(C)).missed).toBe(1n)

    // The third, late (before the output is final): credited too, its missed run ended; nothing proposed.
    const late = await attest(l2BlockNumber, root, [C])
    expect(acceptedIn(late)).toEqual([])
    expect(await nextIndex()).toBe(index + 1n)
    expect(await owed(C)).toBe(share)
    expect((await verifierOf(C)).missed).toBe(0n)
    // A signature sent again is skipped, not credited twice.
    await attest(l2BlockNumber, root, [A, B, C])
    for (const op of [A, B, C]) expect(await owed(op)).toBe(share)
    expect((await candidate(l2BlockNumber, root)).signers).toEqual([
      A.address,
      B.address,
      C.address,
    ])
  })

  test('behavior: claimRewards pays what is owed from the vault, never beyond what has vested', async () => {
    const l2BlockNumber = await nextBlock()
    await accept(honestRoot(l2BlockNumber), [A, B, C])
    const share = PARAMS.rewardPerOutput / 3n
    expect(await owed(A)).toBe(share)

    const claim = async (op: Operator) => {
      const before = await edge(op.address)
      const receipt = await mined(
        await op.wallet.writeContract({ ...staking(), functionName: 'claimRewards' }),
      )
      const { timestamp } = await relayer.getBlock({ blockNumber: receipt.blockNumber })
      const released = await relayer.readContract({ ...vault(), functionName: 'released' })
      const vested = await relayer.readContract({
        ...vault(),
        functionName: 'vestedAmount',
        args: [timestamp],
      })
      expect(released).toBeLessThanOrEqual(vested)
      return { paid: (await edge(op.address)) - before, released, vested }
    }

    // Right after the deployment the vault has vested less than a share (~0.016 EDGE a second):
    // A is paid all that has vested, the rest stays owed.
    const vestedNow = await relayer.readContract({
      ...vault(),
      functionName: 'vestedAmount',
      args: [await now()],
    })
    expect(vestedNow).toBeLessThan(share)
    const early = await claim(A)
    expect(early.released).toBe(early.vested)
    expect(early.paid).toBe(early.vested)
    expect(await owed(A)).toBe(share - early.paid)

    // Later: the rest, exactly; then B's whole share from what that release left over.
    await advance(600n)
    const rest = await claim(A)
    expect(rest.paid).toBe(share - early.paid)
    expect(rest.released).toBe(rest.vested)
    expect(await owed(A)).toBe(0n)
    const b = await claim(B)
    expect(b.paid).toBe(share)
    expect(b.released).toBe(rest.released)
    expect(await owed(B)).toBe(0n)
    await expectError(
      A.wallet.writeContract({ ...staking(), functionName: 'claimRewards' }),
      'ZeroAmount',
    )
  })
})

describe('OutputQuorum long path', () => {
  test('default', async () => {
    const l2BlockNumber = await nextBlock()
    const root = honestRoot(l2BlockNumber)
    const index = await nextIndex()
    const expose = () =>
      relayer.writeContract({
        ...quorum(),
        functionName: 'expose',
        args: [domain.oracle, l2BlockNumber, root],
      })
    await expectError(expose(), 'NotExposable') // never signed
    const receipt = await attest(l2BlockNumber, root, [A])
    const { timestamp } = await relayer.getBlock({ blockNumber: receipt.blockNumber })
    const c = await candidate(l2BlockNumber, root)
    expect(c.firstSeen).toBe(timestamp)
    expect(c.exposableAt).toBe(timestamp + PARAMS.longWindow)

    await expectError(expose(), 'NotExposable')
    await advance(PARAMS.longWindow - 10n)
    await expectError(expose(), 'NotExposable')
    expect(await nextIndex()).toBe(index)
    await advance(10n)
    const [event] = acceptedIn(await mined(await expose()))
    expect(event.args).toEqual({
      oracle: domain.oracle,
      l2OutputIndex: index,
      l2BlockNumber,
      outputRoot: root,
      quorum: false,
      signedStake: STAKE,
      activeStake: 3n * STAKE,
    })
    expect(await outputAt(index)).toMatchObject({ outputRoot: root, l2BlockNumber })
    expect(await owed(A)).toBe((PARAMS.rewardPerOutput * STAKE) / (3n * STAKE))
    expect((await verifierOf(B)).missed).toBe(1n)
    // Once in, not again.
    await expectError(expose(), 'NotExposable')
  })
})

/**
 * The attack: whoever holds one key makes up an output root whose message passer storage root is a
 * one-leaf trie with a withdrawal's slot set to 1, then proves and finalizes that withdrawal on the
 * portal. The portal checks the proof only against the oracle's root, so everything rests on what
 * can enter the oracle and when it is final. Why it never pays: the oracle takes outputs only from
 * the OutputQuorum (no key proposes directly); the quorum puts a root in at once only with 2/3 of the
 * active stake, so one key's signature (1/3) waits for the long window, during which any other
 * verifier challenges it (an open challenge blocks `expose`); a root already in is frozen by the
 * challenge (not final, however long it stands, so the portal refuses to finalize) until the vote,
 * which deletes it, slashes its signer and rejects the root for good. The proof then points at a
 * deleted or replaced output, which the portal refuses too.
 */
describe('the attack: a made-up output root with a withdrawal the L2 never made', () => {
  test('default: no externally owned account can propose, delete or freeze outputs', async () => {
    const { l2 } = await madeUpWithdrawal('eoa')
    const l2BlockNumber = await nextBlock()
    for (const { systemConfig } of d.shards)
      for (const functionName of ['proposer', 'challenger'] as const)
        expect(
          await relayer.readContract({ address: systemConfig, abi: systemConfigAbi, functionName }),
        ).toBe(d.verifiers.quorum)
    expect(await relayer.readContract({ ...oracle(), functionName: 'PROPOSER' })).toBe(
      d.verifiers.quorum,
    )
    expect(await relayer.readContract({ ...oracle(), functionName: 'CHALLENGER' })).toBe(
      d.verifiers.quorum,
    )
    // Every key there is: the deployer, the ten dev accounts (8 is the devnet's sequencer and
    // batcher, 9 the operators' funder), the verifier operators.
    const everyKey = [deployer, ...dev, A.wallet, B.wallet, C.wallet, D.wallet]
    for (const wallet of everyKey) {
      await expectError(
        wallet.writeContract({
          ...oracle(),
          functionName: 'proposeL2Output',
          args: [l2.outputRoot, l2BlockNumber, ZERO32, 0n],
        }),
        'Error',
        [PROPOSER_GUARD],
      )
      await expectError(
        wallet.writeContract({ ...oracle(), functionName: 'deleteL2Outputs', args: [0n] }),
        'Error',
        ['L2OutputOracle: only the challenger address can delete outputs'],
      )
      await expectError(
        wallet.writeContract({ ...oracle(), functionName: 'freezeFrom', args: [0n] }),
        'Error',
        ['L2OutputOracle: only the challenger address can freeze outputs'],
      )
      await expectError(
        wallet.writeContract({
          ...staking(),
          functionName: 'slash',
          args: [A.address, wallet.account.address],
        }),
        'OnlyQuorum',
      )
    }
    expect(await nextIndex()).toBe(1n)
  })

  test('behavior: no single key puts it in at once', async () => {
    const { l2 } = await madeUpWithdrawal('single key')
    const l2BlockNumber = await nextBlock()
    // Each operator alone (one third of the stake), each from the same starting state. On the devnet
    // the sequencer node's VERIFIER_KEY is operator 0 (A): it is no stronger than the others.
    for (const op of [A, B, C]) {
      const id = await testClient.snapshot()
      const receipt = await attest(l2BlockNumber, l2.outputRoot, [op])
      expect(acceptedIn(receipt)).toEqual([])
      expect(await nextIndex()).toBe(1n)
      const c = await candidate(l2BlockNumber, l2.outputRoot)
      expect(c.signedStake * 3n).toBe(c.active)
      await testClient.revert({ id })
    }
    // Keys that are not verifiers (the sequencer's SEQUENCER_KEY and batcher, dev 8; the deployer's)
    // are refused.
    for (const wallet of [dev[8], deployer]) {
      const signature = await signOutput(wallet.account as LocalAccount, domain, {
        l2BlockNumber,
        outputRoot: l2.outputRoot,
      })
      await expectError(
        relayer.writeContract({
          ...quorum(),
          functionName: 'attest',
          args: [domain.oracle, l2BlockNumber, l2.outputRoot, [signature]],
        }),
        'NotActiveVerifier',
        [wallet.account.address],
      )
    }
  })

  test('behavior: challenged while pending, it never enters; the signer is slashed; the portal never pays', async () => {
    const { w, l2, recipient } = await madeUpWithdrawal('pending')
    const l2BlockNumber = await nextBlock()
    await attest(l2BlockNumber, l2.outputRoot, [A])
    const id = await challenge(B, l2BlockNumber, l2.outputRoot)
    expect((await candidate(l2BlockNumber, l2.outputRoot)).openChallenge).toBe(id + 1n)
    await expectError(
      A.wallet.writeContract({ ...quorum(), functionName: 'vote', args: [id, false] }),
      'AccusedCannotVote',
      [A.address],
    )
    await vote(id, true)
    // An open challenge holds the long window: past it, the root still cannot be exposed.
    await advance(PARAMS.longWindow + 1n)
    await expectError(
      relayer.writeContract({
        ...quorum(),
        functionName: 'expose',
        args: [domain.oracle, l2BlockNumber, l2.outputRoot],
      }),
      'NotExposable',
    )
    const bBefore = { edge: await edge(B.address), eth: await eth(B.address) }
    expect(await resolve(id)).toBe(Outcome.Upheld)
    expect(await verifierOf(A)).toMatchObject({ bonded: STAKE - SLASH, status: Status.Jailed })
    expect((await edge(B.address)) - bBefore.edge).toBe(REPORTER_SHARE)
    expect((await eth(B.address)) - bBefore.eth).toBe(PARAMS.challengeBond)
    expect((await candidate(l2BlockNumber, l2.outputRoot)).rejected).toBe(true)
    await expectError(attestTx(l2BlockNumber, l2.outputRoot, [B]), 'RootRejected')

    // The portal: the made-up root was never an output, so there is nothing to prove against
    // (index 1 does not exist: Panic 0x32) and nothing to finalize; once the honest output takes
    // index 1, the made-up output root proof does not hash to it.
    await expectError(prove(w, 1n, l2), 'Panic', [0x32n])
    await expectError(finalize(w), 'Error', ['OptimismPortal: withdrawal has not been proven yet'])
    expect(await activeStake()).toBe(2n * STAKE)
    await accept(honestRoot(l2BlockNumber), [B, C])
    await expectError(prove(w, 1n, l2), 'Error', ['OptimismPortal: invalid output root proof'])
    await advance(FINALIZATION_PERIOD + 1n)
    await expectError(finalize(w), 'Error', ['OptimismPortal: withdrawal has not been proven yet'])
    expect(await eth(recipient)).toBe(0n)
  })

  test('behavior: exposed after the long window, it is challenged, frozen, deleted; the portal never pays', async () => {
    const { w, l2, recipient } = await madeUpWithdrawal('exposed')
    const l2BlockNumber = await nextBlock()
    const portalBalance = await eth(d.shards[0].portal)
    await attest(l2BlockNumber, l2.outputRoot, [A])
    // The other verifiers sleep through the long window: the root goes in without a quorum.
    await advance(PARAMS.longWindow)
    const [event] = acceptedIn(
      await mined(
        await relayer.writeContract({
          ...quorum(),
          functionName: 'expose',
          args: [domain.oracle, l2BlockNumber, l2.outputRoot],
        }),
      ),
    )
    expect(event.args).toMatchObject({ l2OutputIndex: 1n, quorum: false })
    // Now it can be proven against (the portal checks only the proof against the oracle's root) ...
    await mined(await prove(w, 1n, l2))
    // ... but a verifier challenges within the finalization period: the output is frozen, so past the
    // period it is still not final and the portal refuses to finalize.
    const id = await challenge(B, l2BlockNumber, l2.outputRoot)
    expect(await relayer.readContract({ ...oracle(), functionName: 'frozenFrom' })).toBe(1n)
    await vote(id, true)
    await advance(FINALIZATION_PERIOD + 1n)
    expect(await isFinal(1n)).toBe(false)
    await expectError(finalize(w), 'Error', [NOT_FINAL])
    expect(await resolve(id)).toBe(Outcome.Upheld)
    // Deleted: index 1 is gone, so the proof points at nothing (Panic 0x32) ...
    expect(await nextIndex()).toBe(1n)
    expect(await verifierOf(A)).toMatchObject({ bonded: STAKE - SLASH, status: Status.Jailed })
    await expectError(finalize(w), 'Panic', [0x32n])
    // ... and once the honest output takes index 1, the proven root is not the output's root.
    await accept(honestRoot(l2BlockNumber), [B, C])
    await advance(FINALIZATION_PERIOD + 1n)
    expect(await isFinal(1n)).toBe(true)
    await expectError(finalize(w), 'Error', [
      'OptimismPortal: output root proven is not the same as current output root',
    ])
    expect(await eth(recipient)).toBe(0n)
    expect(await eth(d.shards[0].portal)).toBe(portalBalance)
  })
})

describe('OutputQuorum colluding quorum', () => {
  test('default: two of three sign a wrong root; the honest third challenges and wins', async () => {
    const { w, l2, recipient } = await madeUpWithdrawal('collusion')
    const wrong = await accept(l2.outputRoot, [A, B])
    const later = await accept(honestRoot(wrong.l2BlockNumber + 10n), [A, B])
    expect(later.index).toBe(wrong.index + 1n)
    await mined(await prove(w, wrong.index, l2))

    // Only an active verifier challenges, with exactly the bond.
    await expectError(
      dev[0].writeContract({
        ...quorum(),
        functionName: 'challenge',
        args: [domain.oracle, wrong.l2BlockNumber, l2.outputRoot],
        value: PARAMS.challengeBond,
      }),
      'NotActiveVerifier',
      [dev[0].account.address],
    )
    await expectError(
      C.wallet.writeContract({
        ...quorum(),
        functionName: 'challenge',
        args: [domain.oracle, wrong.l2BlockNumber, l2.outputRoot],
        value: PARAMS.challengeBond - 1n,
      }),
      'WrongBond',
      [PARAMS.challengeBond - 1n, PARAMS.challengeBond],
    )
    const cBefore = { edge: await edge(C.address), eth: await eth(C.address) }
    const id = await challenge(C, wrong.l2BlockNumber, l2.outputRoot)
    const cAfterChallenge = await eth(C.address)
    await expectError(
      C.wallet.writeContract({
        ...quorum(),
        functionName: 'challenge',
        args: [domain.oracle, wrong.l2BlockNumber, l2.outputRoot],
        value: PARAMS.challengeBond,
      }),
      'RootChallenged',
      [id],
    )
    // The accused cannot vote, even with votes of their own (A holds 1,000 EDGE, self-delegated).
    for (const op of [A, B])
      await expectError(
        op.wallet.writeContract({ ...quorum(), functionName: 'vote', args: [id, false] }),
        'AccusedCannotVote',
        [op.address],
      )
    await vote(id, true)
    await expectError(
      dev[0].writeContract({ ...quorum(), functionName: 'vote', args: [id, true] }),
      'AlreadyVoted',
      [dev[0].account.address],
    )
    const resolveTx = () =>
      dev[3].writeContract({ ...quorum(), functionName: 'resolve', args: [id] })
    await expectError(resolveTx(), 'VotingOpen')
    // Frozen from the challenged output on: past the finalization period neither it nor the later
    // one is final, and the portal refuses the withdrawal proven against it.
    await advance(FINALIZATION_PERIOD + 1n)
    expect(await isFinal(wrong.index)).toBe(false)
    expect(await isFinal(later.index)).toBe(false)
    await expectError(finalize(w), 'Error', [NOT_FINAL])
    await expectError(
      dev[2].writeContract({ ...quorum(), functionName: 'vote', args: [id, false] }),
      'VotingEnded',
    )
    const timelockBefore = await eth(d.dac.timelock)
    expect(await resolve(id)).toBe(Outcome.Upheld)
    expect(
      await relayer.readContract({ ...quorum(), functionName: 'getChallenge', args: [id] }),
    ).toMatchObject({
      outcome: Outcome.Upheld,
      forVotes: parseEther('1000000'),
      againstVotes: 0n,
    })

    // The output and the later one are deleted; the oracle is unfrozen.
    expect(await nextIndex()).toBe(wrong.index)
    expect(await relayer.readContract({ ...oracle(), functionName: 'frozenFrom' })).toBe(
      2n ** 256n - 1n,
    )
    // Both signers slashed by slashBps and jailed; C got the reporter's share of both and its bond.
    for (const op of [A, B])
      expect(await verifierOf(op)).toMatchObject({
        bonded: STAKE - SLASH,
        unbonding: 0n,
        status: Status.Jailed,
      })
    expect(await verifierOf(C)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect(await activeStake()).toBe(STAKE)
    expect((await edge(C.address)) - cBefore.edge).toBe(2n * REPORTER_SHARE)
    expect(cBefore.eth - cAfterChallenge).toBeGreaterThan(PARAMS.challengeBond) // bond + gas
    expect((await eth(C.address)) - cAfterChallenge).toBe(PARAMS.challengeBond)
    expect(await eth(d.dac.timelock)).toBe(timelockBefore)
    expect(await eth(d.verifiers.quorum)).toBe(0n)

    // The wrong root never comes back; the withdrawal never pays.
    await expectError(attestTx(wrong.l2BlockNumber, l2.outputRoot, [C]), 'RootRejected')
    await expectError(finalize(w), 'Panic', [0x32n])
    // C alone is now the whole active stake: the honest output goes in.
    await accept(honestRoot(wrong.l2BlockNumber), [C])
    await advance(FINALIZATION_PERIOD + 1n)
    await expectError(finalize(w), 'Error', [
      'OptimismPortal: output root proven is not the same as current output root',
    ])
    expect(await eth(recipient)).toBe(0n)
  })
})

describe('OutputQuorum frivolous challenge', () => {
  test('default: rejected by the vote, the output stands and finalizes; the bond goes to the Timelock', async () => {
    // An honest output with a real withdrawal in it.
    const { w, l2, recipient } = await madeUpWithdrawal('honest')
    const out = await accept(l2.outputRoot, [A, B])
    await mined(await prove(w, out.index, l2))
    const id = await challenge(C, out.l2BlockNumber, l2.outputRoot)
    await vote(id, false)
    const timelockBefore = await eth(d.dac.timelock)
    const cBefore = await eth(C.address)
    expect(await resolve(id)).toBe(Outcome.Rejected)
    expect(await outputAt(out.index)).toMatchObject({ outputRoot: l2.outputRoot })
    expect(await relayer.readContract({ ...oracle(), functionName: 'frozenFrom' })).toBe(
      2n ** 256n - 1n,
    )
    expect((await eth(d.dac.timelock)) - timelockBefore).toBe(PARAMS.challengeBond)
    expect(await eth(C.address)).toBe(cBefore)
    for (const op of [A, B, C])
      expect(await verifierOf(op)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect((await candidate(out.l2BlockNumber, l2.outputRoot)).rejected).toBe(false)

    await advance(FINALIZATION_PERIOD)
    expect(await isFinal(out.index)).toBe(true)
    await mined(await finalize(w))
    expect(await eth(recipient)).toBe(w.value)
  })

  test('behavior: no vote quorum deletes the output, slashes nobody and returns the bond', async () => {
    const out = await accept(honestRoot(await nextBlock()), [A, B])
    const root = honestRoot(out.l2BlockNumber)
    // C signs the later output (a disagreement on one root, not an absent verifier).
    await accept(honestRoot(out.l2BlockNumber + 10n), [A, B, C])
    const id = await challenge(C, out.l2BlockNumber, root)
    // 500,000 EDGE of votes: 5 % of the supply, under the 10 % quorum.
    await vote(id, true, [dev[2]])
    const cBefore = await eth(C.address)
    const timelockBefore = await eth(d.dac.timelock)
    expect(await resolve(id)).toBe(Outcome.NoQuorum)
    expect(await nextIndex()).toBe(out.index)
    for (const op of [A, B, C])
      expect(await verifierOf(op)).toMatchObject({ bonded: STAKE, status: Status.Active })
    expect(await activeStake()).toBe(3n * STAKE)
    expect((await eth(C.address)) - cBefore).toBe(PARAMS.challengeBond)
    expect(await eth(d.dac.timelock)).toBe(timelockBefore)
    // Undecided is not wrong: the root is not rejected (it may be the block's only right root), so
    // re-sending one of its recorded signatures puts it back, where it can be challenged again.
    expect(await candidate(out.l2BlockNumber, root)).toMatchObject({
      rejected: false,
      openChallenge: 0n,
    })
    // Entering again earns its signers nothing more and costs the others no second miss.
    const before = await Promise.all([A, B, C].map(owed))
    const missedBefore = (await verifierOf(C)).missed
    const [again] = acceptedIn(await attest(out.l2BlockNumber, root, [A]))
    expect(again.args).toMatchObject({ l2OutputIndex: out.index, outputRoot: root, quorum: true })
    expect(await Promise.all([A, B, C].map(owed))).toEqual(before)
    expect((await verifierOf(C)).missed).toBe(missedBefore)
    expect(await challenge(C, out.l2BlockNumber, root)).toBe(id + 1n)
  })
})

describe('OutputQuorum equivocation', () => {
  test('default', async () => {
    const l2BlockNumber = await nextBlock()
    const [x, y] = [keccak256(toHex('root x')), keccak256(toHex('root y'))]
    const [ax, ay, bx, by] = await Promise.all([
      sign(A, l2BlockNumber, x),
      sign(A, l2BlockNumber, y),
      sign(B, l2BlockNumber, x),
      sign(B, l2BlockNumber, y),
    ])
    const report = (rootA: Hex, sigA: Hex, rootB: Hex, sigB: Hex) =>
      dev[4].writeContract({
        ...quorum(),
        functionName: 'slashEquivocation',
        args: [domain.oracle, l2BlockNumber, rootA, sigA, rootB, sigB],
      })
    await expectError(report(x, ax, x, ax), 'NotEquivocation')
    await expectError(report(x, ax, y, by), 'NotEquivocation')

    const reporterBefore = await edge(dev[4].account.address)
    const receipt = await mined(await report(x, ax, y, ay))
    const [event] = parseEventLogs({
      abi: outputQuorumAbi,
      logs: receipt.logs,
      eventName: 'EquivocationSlashed',
    })
    expect(event.args).toEqual({
      oracle: domain.oracle,
      l2BlockNumber,
      verifier: A.address,
      reporter: dev[4].account.address,
    })
    expect(await verifierOf(A)).toMatchObject({ bonded: STAKE - SLASH, status: Status.Jailed })
    expect((await edge(dev[4].account.address)) - reporterBefore).toBe(REPORTER_SHARE)
    expect(await activeStake()).toBe(2n * STAKE)
    await expectError(report(y, ay, x, ax), 'AlreadySlashed', [A.address])

    // On chain, a verifier's second root for a block is refused outright.
    await mined(
      await relayer.writeContract({
        ...quorum(),
        functionName: 'attest',
        args: [domain.oracle, l2BlockNumber, x, [bx]],
      }),
    )
    expect(
      await relayer.readContract({
        ...quorum(),
        functionName: 'signedRootOf',
        args: [domain.oracle, l2BlockNumber, B.address],
      }),
    ).toBe(x)
    await expectError(
      relayer.writeContract({
        ...quorum(),
        functionName: 'attest',
        args: [domain.oracle, l2BlockNumber, y, [by]],
      }),
      'AlreadySignedAnotherRoot',
      [B.address, x],
    )
  })
})

describe('VerifierStaking jailing', () => {
  test('default: maxMissed outputs missed in a row jail; unjail restores', async () => {
    for (let i = 1n; i <= PARAMS.maxMissed; i++) {
      await accept(honestRoot(await nextBlock()), [A, B])
      expect(await verifierOf(C)).toMatchObject({
        missed: i,
        status: i < PARAMS.maxMissed ? Status.Active : Status.Jailed,
      })
    }
    expect(await activeStake()).toBe(2n * STAKE)
    const l2BlockNumber = await nextBlock()
    const root = honestRoot(l2BlockNumber)
    await expectError(attestTx(l2BlockNumber, root, [C]), 'NotActiveVerifier', [C.address])
    await expectError(
      C.wallet.writeContract({
        ...quorum(),
        functionName: 'challenge',
        args: [domain.oracle, l2BlockNumber, root],
        value: PARAMS.challengeBond,
      }),
      'NotActiveVerifier',
      [C.address],
    )
    await expectError(A.wallet.writeContract({ ...staking(), functionName: 'unjail' }), 'NotJailed')

    await mined(await C.wallet.writeContract({ ...staking(), functionName: 'unjail' }))
    expect(await verifierOf(C)).toMatchObject({ missed: 0n, status: Status.Active, bonded: STAKE })
    expect(await activeStake()).toBe(3n * STAKE)
    await attest(l2BlockNumber, root, [C])
    expect((await candidate(l2BlockNumber, root)).signedStake).toBe(STAKE)
  })

  test('behavior: a verifier that signs late in between is not jailed', async () => {
    for (let i = 2n; i < PARAMS.maxMissed; i++) await accept(honestRoot(await nextBlock()), [A, B])
    const last = await accept(honestRoot(await nextBlock()), [A, B])
    expect((await verifierOf(C)).missed).toBe(PARAMS.maxMissed - 1n)
    // Late, before that output is final: C's run of missed outputs ends.
    await attest(last.l2BlockNumber, honestRoot(last.l2BlockNumber), [C])
    expect((await verifierOf(C)).missed).toBe(0n)
    for (let i = 1n; i < PARAMS.maxMissed; i++) await accept(honestRoot(await nextBlock()), [A, B])
    expect(await verifierOf(C)).toMatchObject({
      missed: PARAMS.maxMissed - 1n,
      status: Status.Active,
    })
  })
})

describe('VerifierStaking stake', () => {
  const stake = async (op: Operator, amount: bigint) => {
    await mined(
      await dev[9].writeContract({
        ...token(),
        functionName: 'approve',
        args: [d.verifiers.staking, amount],
      }),
    )
    await mined(
      await dev[9].writeContract({
        ...staking(),
        functionName: 'stake',
        args: [op.address, amount],
      }),
    )
  }
  const isActive = (op: Operator) =>
    relayer.readContract({ ...staking(), functionName: 'isActive', args: [op.address] })

  test('default: below minStake is not active; at minStake it is', async () => {
    await stake(D, PARAMS.minStake - 1n)
    expect(await isActive(D)).toBe(false)
    expect(await verifierOf(D)).toMatchObject({
      bonded: PARAMS.minStake - 1n,
      status: Status.Inactive,
    })
    expect(await activeStake()).toBe(3n * STAKE)
    const l2BlockNumber = await nextBlock()
    await expectError(
      attestTx(l2BlockNumber, honestRoot(l2BlockNumber), [D]),
      'NotActiveVerifier',
      [D.address],
    )
    await stake(D, 1n)
    expect(await isActive(D)).toBe(true)
    expect(await activeStake()).toBe(3n * STAKE + PARAMS.minStake)
  })

  test('behavior: unbond leaves the active set at once; withdraw waits for the delay', async () => {
    const unbond = (amount: bigint) =>
      A.wallet.writeContract({ ...staking(), functionName: 'unbond', args: [amount] })
    const withdraw = () => A.wallet.writeContract({ ...staking(), functionName: 'withdraw' })
    await expectError(withdraw(), 'NothingToWithdraw')
    await expectError(unbond(0n), 'ZeroAmount')
    await expectError(unbond(STAKE + 1n), 'InsufficientBond', [STAKE])
    const part = STAKE - PARAMS.minStake + 1n // leaves A below minStake
    const receipt = await mined(await unbond(part))
    const { timestamp } = await relayer.getBlock({ blockNumber: receipt.blockNumber })
    expect(await isActive(A)).toBe(false)
    expect(await verifierOf(A)).toMatchObject({
      bonded: PARAMS.minStake - 1n,
      unbonding: part,
      status: Status.Inactive,
    })
    expect(await activeStake()).toBe(2n * STAKE)
    const l2BlockNumber = await nextBlock()
    await expectError(
      attestTx(l2BlockNumber, honestRoot(l2BlockNumber), [A]),
      'NotActiveVerifier',
      [A.address],
    )

    await expectError(withdraw(), 'NotUnbonded', [timestamp + PARAMS.unbondingDelay])
    await advance(PARAMS.unbondingDelay - 10n)
    await expectError(withdraw(), 'NotUnbonded', [timestamp + PARAMS.unbondingDelay])
    await advance(10n)
    const before = await edge(A.address)
    await mined(await withdraw())
    expect((await edge(A.address)) - before).toBe(part)
    expect(await verifierOf(A)).toMatchObject({ bonded: PARAMS.minStake - 1n, unbonding: 0n })
    await expectError(withdraw(), 'NothingToWithdraw')
  })

  test('behavior: unbonding stake is still slashable', async () => {
    await mined(
      await A.wallet.writeContract({ ...staking(), functionName: 'unbond', args: [STAKE] }),
    )
    expect(await verifierOf(A)).toMatchObject({
      bonded: 0n,
      unbonding: STAKE,
      status: Status.Inactive,
    })
    // A equivocated while it was staked; the report comes after it unbonded everything.
    const l2BlockNumber = await nextBlock()
    const [x, y] = [keccak256(toHex('unbonding x')), keccak256(toHex('unbonding y'))]
    await mined(
      await dev[4].writeContract({
        ...quorum(),
        functionName: 'slashEquivocation',
        args: [
          domain.oracle,
          l2BlockNumber,
          x,
          await sign(A, l2BlockNumber, x),
          y,
          await sign(A, l2BlockNumber, y),
        ],
      }),
    )
    expect(await verifierOf(A)).toMatchObject({
      bonded: 0n,
      unbonding: STAKE - SLASH,
      status: Status.Jailed,
    })
    await advance(PARAMS.unbondingDelay)
    const before = await edge(A.address)
    await mined(await A.wallet.writeContract({ ...staking(), functionName: 'withdraw' }))
    expect((await edge(A.address)) - before).toBe(STAKE - SLASH)
  })
})
