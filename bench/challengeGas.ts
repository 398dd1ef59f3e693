import {
  TransactionReceiptNotFoundError,
  keccak256,
  parseEther,
  toHex,
  type Address,
  type Hex,
  type LocalAccount,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { outputQuorumAbi } from '../generated/contracts/OutputQuorum.js'
import { l2OutputOracleAbi } from '../generated/contracts/L2OutputOracle.js'
import { devnetVerifierParams } from '../scripts/dac-params.js'
import { deployL1 } from '../scripts/deploy-l1.js'
import { devnetOperator, stakeOperators } from '../scripts/devnet-verifiers.js'
import { signOutput, type AttestationDomain } from '../shared/verifiers/attestation.js'
import { dacWallet, type DacWallet } from '../test/e2e/dac.fixtures.js'
import { anvilTestClient, devAccount, l1Chain } from '../test/e2e/l1.fixtures.js'
import { startAnvil } from '../test/e2e/processes.js'

/**
 * Gas of the OutputQuorum's `attest`, `challenge` and `resolve` with 1 and with N open challenges
 * (issue 22: no loop over challenges, so no call grows with them). `measureChallengeGas` is shared
 * by `npm run bench -- challengeGas` (figures, on a fresh anvil with deployL1's contracts) and
 * verifiers.economics' '1,000 open challenges' test (the same steps, with its assertions).
 */

/** What the measurement drives: the deployment, the signers of every output, who challenges. */
export type ChallengeGasSetup = {
  /** Sends `attest` and reads receipts. */
  relayer: DacWallet
  /** Challenges every output (one of `signers`, so that it is not jailed for missed outputs). */
  challenger: DacWallet
  /** Resolves the first challenge past its deadline (a bystander). */
  resolver: DacWallet
  /** Sign every output: a quorum. */
  signers: readonly LocalAccount[]
  domain: AttestationDomain
  bond: bigint
  /** Seconds past a challenge's deadline. */
  wait: bigint
  /** Moves L1 time forward by that many seconds and mines a block. */
  advance: (seconds: bigint) => Promise<void>
}

export type ChallengeGas = {
  open: number
  attest1: bigint
  attestN: bigint
  challenge1: bigint
  challengeN: bigint
  resolve1: bigint
  resolveN: bigint
}

const rootOf = (l2BlockNumber: bigint) => keccak256(toHex(`gas-measured output ${l2BlockNumber}`))

/**
 * Each receipt read as soon as anvil has it (a few ms): 2,000 transactions waited on at a 100 ms
 * polling take most of ten minutes. Throws when the transaction reverted.
 */
async function gasOf(relayer: DacWallet, hash: Hex) {
  for (;;) {
    const receipt = await relayer.getTransactionReceipt({ hash }).catch((err: unknown) => {
      if (err instanceof TransactionReceiptNotFoundError) return undefined
      throw err
    })
    if (receipt) {
      if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`)
      return receipt.gasUsed
    }
    await new Promise((r) => setTimeout(r, 5))
  }
}

/**
 * With one challenge open: `attest` of the oracle's next output (a quorum, so it enters), its
 * `challenge`, and past its deadline its `resolve` (then none is open). Then `open` - 1 more outputs
 * attested and challenged, and with the `open`th: `attest`, `challenge`, and `resolve` of the
 * oldest open one past its deadline (`open` open).
 */
export async function measureChallengeGas(s: ChallengeGasSetup, open: number): Promise<ChallengeGas> {
  const quorum = { address: s.domain.quorum, abi: outputQuorumAbi } as const
  const nextBlock = () =>
    s.relayer.readContract({ address: s.domain.oracle, abi: l2OutputOracleAbi, functionName: 'nextBlockNumber' })
  const attest = async (l2BlockNumber: bigint) => {
    const root = rootOf(l2BlockNumber)
    const sigs = await Promise.all(s.signers.map((a) => signOutput(a, s.domain, { l2BlockNumber, outputRoot: root })))
    return gasOf(
      s.relayer,
      await s.relayer.writeContract({ ...quorum, functionName: 'attest', args: [s.domain.oracle, l2BlockNumber, root, sigs] }),
    )
  }
  const challenge = async (l2BlockNumber: bigint) =>
    gasOf(
      s.relayer,
      await s.challenger.writeContract({
        ...quorum,
        functionName: 'challenge',
        args: [s.domain.oracle, l2BlockNumber, rootOf(l2BlockNumber)],
        value: s.bond,
      }),
    )
  const resolve = async (id: bigint) =>
    gasOf(s.relayer, await s.resolver.writeContract({ ...quorum, functionName: 'resolve', args: [id] }))

  const firstId = await s.relayer.readContract({ ...quorum, functionName: 'challengeCount' })
  let block = await nextBlock()
  const attest1 = await attest(block)
  const challenge1 = await challenge(block)
  await s.advance(s.wait)
  const resolve1 = await resolve(firstId)
  for (let i = 1; i < open; i++) {
    block = await nextBlock()
    await attest(block)
    await challenge(block)
  }
  block = await nextBlock()
  const attestN = await attest(block)
  const challengeN = await challenge(block)
  await s.advance(s.wait)
  const resolveN = await resolve(firstId + 1n)
  return { open, attest1, attestN, challenge1, challengeN, resolve1, resolveN }
}

/** One line of figures. */
export const formatChallengeGas = (g: ChallengeGas) =>
  `gas with 1 / ${g.open.toLocaleString('en')} open challenges: attest ${g.attest1} / ${g.attestN}, challenge ${g.challenge1} / ${g.challengeN}, resolve ${g.resolve1} / ${g.resolveN}`

/**
 * `npm run bench -- challengeGas`: a fresh anvil with deployL1's contracts at the devnet's verifier
 * parameters (a 1,200 s dispute period, so that challenges stay open while the others are made),
 * three operators staked (devnet keys 10-12), then `measureChallengeGas` with BENCH_OPEN_CHALLENGES
 * (1,000) open.
 */
export async function benchChallengeGas(open = Number(process.env.BENCH_OPEN_CHALLENGES ?? 1000)) {
  const anvil = await startAnvil()
  try {
    const chain = l1Chain(anvil.url)
    const testClient = anvilTestClient(chain)
    const deployerAccount = privateKeyToAccount(keccak256(toHex('edge-l2 challenge gas bench deployer')))
    await testClient.setBalance({ address: deployerAccount.address, value: 10n ** 22n })
    const params = { ...devnetVerifierParams, disputePeriod: 1200n }
    const d = await deployL1(dacWallet(chain, deployerAccount), {
      chainIds: [901, 902],
      batcher: devAccount(8).address,
      finalizationPeriodSeconds: 600n,
      verifiers: params,
    })
    const dev = (i: number) => dacWallet(chain, devAccount(i))
    const operators = [0, 1, 2].map((i) => privateKeyToAccount(devnetOperator(i).key))
    await stakeOperators(dev(9), { token: d.dac.token, staking: d.verifiers.staking }, operators.map((a) => a.address))
    const challenger = dacWallet(chain, operators[2])
    await testClient.setBalance({ address: operators[2].address, value: parseEther('1000') })
    const advance = async (seconds: bigint) => {
      await testClient.increaseTime({ seconds: Number(seconds) })
      await testClient.mine({ blocks: 1 })
    }
    await advance(2n)
    const domain: AttestationDomain = {
      l1ChainId: chain.id,
      quorum: d.verifiers.quorum as Address,
      l2ChainId: 901,
      oracle: d.shards[0].l2OutputOracle,
    }
    console.error(`[challengeGas] ${open} outputs attested and challenged`)
    return await measureChallengeGas(
      {
        relayer: dev(5),
        challenger,
        resolver: dev(3),
        signers: operators,
        domain,
        bond: params.challengeBond,
        wait: params.disputePeriod + 100n,
        advance,
      },
      open,
    )
  } finally {
    await anvil.stop()
  }
}
