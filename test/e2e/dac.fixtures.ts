import {
  createWalletClient,
  decodeErrorResult,
  http,
  keccak256,
  publicActions,
  toHex,
  BaseError,
  type Abi,
  type Account,
  type Chain,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { dacGovernorAbi } from '../../generated/contracts/DacGovernor.js'
import { dacTimelockAbi } from '../../generated/contracts/DacTimelock.js'
import { devnetDac } from '../../scripts/dac-params.js'
import { deployL1, type L1Deployment } from '../../scripts/deploy-l1.js'
import { castVote, execute, propose, queue, type ProposalAction } from '../../scripts/governance.js'
import { anvilTestClient, devAccount, l1Chain, setEoaProposer } from './l1.fixtures.js'
import { startAnvil } from './processes.js'

/** Fixtures of the DAC tests: an anvil L1 with deployL1's contracts, dev wallets, and a vote helper. */

/** A deployer that is none of the dev accounts, so that "every dev account and the deployer" are 11 callers. */
export const deployerAccount = privateKeyToAccount(keccak256(toHex('edge-l2 DAC test deployer')))

/** A wallet with public actions that polls receipts every 100 ms (an L1 block a second, or automine). */
export function dacWallet(chain: Chain, account: Account) {
  return createWalletClient({ account, chain, transport: http(), pollingInterval: 100 }).extend(
    publicActions,
  )
}
export type DacWallet = ReturnType<typeof dacWallet>

/**
 * A fresh anvil L1 (chain 31337) with two shards (901, 902) and the DAC deployed by deployL1 from
 * `deployerAccount`, with the devnet's DAC and verifier parameters; dev account 8 the batcher, as
 * `npm start` has it, and the OutputQuorum every shard's proposer and challenger. `eoaProposer` puts
 * an EOA proposer (dev 9) in place of the OutputQuorum, and the Timelock as challenger
 * (`setEoaProposer`), for tests of the oracle alone under the DAC. `blockTime` switches to interval
 * mining after the deployment (the devnet's block a second); automine otherwise, for time travel.
 */
export async function startDacDevnet(opts: { blockTime?: number; eoaProposer?: boolean } = {}) {
  const anvil = await startAnvil()
  try {
    const chain = l1Chain(anvil.url)
    const testClient = anvilTestClient(chain)
    await testClient.setBalance({ address: deployerAccount.address, value: 10n ** 22n })
    const deployer = dacWallet(chain, deployerAccount)
    const deployment: L1Deployment = await deployL1(deployer, {
      chainIds: [901, 902],
      batcher: devAccount(8).address,
      // An hour: long enough that an output is still deletable after a vote with time travel.
      finalizationPeriodSeconds: 3600n,
    })
    if (opts.eoaProposer) {
      await setEoaProposer(chain, deployment, devAccount(9).address)
      await testClient.stopImpersonatingAccount({ address: deployment.dac.timelock })
    }
    // Votes count at clock() - 1 (timestamp clock): a proposal in the genesis delegation's own second
    // would see none. One block a second later, so the genesis holders can propose at once.
    await testClient.increaseTime({ seconds: 1 })
    await testClient.mine({ blocks: 1 })
    if (opts.blockTime) {
      await testClient.setAutomine(false)
      await testClient.setIntervalMining({ interval: opts.blockTime })
    }
    const dev = Array.from({ length: 10 }, (_, i) => dacWallet(chain, devAccount(i)))
    const { dac } = deployment
    /** Moves L1 time forward and mines a block there (automine only). */
    const advance = async (seconds: bigint) => {
      await testClient.increaseTime({ seconds: Number(seconds) })
      await testClient.mine({ blocks: 1 })
    }
    /**
     * Passes `actions` through the whole lifecycle with time travel: dev 0 proposes, dev 0 and 1
     * vote for (1,000,000 EDGE: the devnet quorum), then queue, the timelock delay, execute.
     */
    const passProposal = async (actions: readonly ProposalAction[], description: string) => {
      const { proposalId } = await propose(dev[0], dac.governor, actions, description)
      await advance(devnetDac.votingDelay + 1n)
      for (const voter of dev.slice(0, 2)) await castVote(voter, dac.governor, proposalId, 'for')
      await advance(devnetDac.votingPeriod)
      await queue(dev[0], dac.governor, proposalId)
      await advance(devnetDac.timelockDelay)
      await execute(dev[0], dac.governor, proposalId)
      return proposalId
    }
    return {
      anvil,
      chain,
      deployment,
      dac,
      deployer,
      dev,
      testClient,
      advance,
      passProposal,
      stop: () => anvil.stop(),
    }
  } catch (err) {
    await anvil.stop()
    throw err
  }
}
export type DacDevnet = Awaited<ReturnType<typeof startDacDevnet>>

/** The raw revert data anywhere in a viem error's chain, or undefined. */
export function revertData(err: unknown): Hex | undefined {
  if (!(err instanceof BaseError)) return undefined
  const found = err.walk((e) => {
    const data = (e as { data?: unknown }).data
    return (
      (typeof data === 'string' && data.startsWith('0x')) ||
      (e as { raw?: unknown }).raw !== undefined
    )
  }) as { data?: unknown; raw?: Hex } | null
  if (!found) return undefined
  if (typeof found.data === 'string') return found.data as Hex
  return found.raw
}

/**
 * What `action` reverted with, decoded against `abi` (plus Error(string) and Panic): the error name
 * and arguments. Throws when it did not revert or the data is not one of those errors.
 */
export async function revertOf(
  action: Promise<unknown>,
  abi: Abi = [...dacGovernorAbi, ...dacTimelockAbi],
) {
  const err = await action.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (err === undefined) throw new Error('expected a revert, but it succeeded')
  const data = revertData(err)
  if (!data) throw err
  return decodeErrorResult({ abi, data })
}
