import { RLP } from '@ethereumjs/rlp'
import { createMerkleProof, createMPT } from '@ethereumjs/mpt'
import { KECCAK256_NULL } from '@ethereumjs/util'
import {
  BaseError,
  ContractFunctionRevertedError,
  bytesToHex,
  createClient,
  createTestClient,
  createWalletClient,
  defineChain,
  encodeAbiParameters,
  hexToBytes,
  http,
  keccak256,
  publicActions,
  walletActions,
  type Account,
  type Address,
  type Chain,
  type Hex,
} from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { estimateGas, sendTransaction } from 'viem/actions'
import { getWithdrawalHashStorageSlot } from 'viem/op-stack'
import { expect } from 'vitest'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { systemConfigAbi } from '../../generated/contracts/SystemConfig.js'
import { deployL1, type DeployL1Parameters, type L1Deployment } from '../../scripts/deploy-l1.js'
import { startAnvil } from './processes.js'

/** Fixtures of the L1 contract tests: anvil accounts and clients, withdrawal proofs, revert checks. */

const mnemonic = 'test test test test test test test test test test test junk'
/** The predeploy whose storage withdrawal proofs open. */
export const messagePasser: Address = '0x4200000000000000000000000000000000000016'

/** Anvil's dev account `i` (the same mnemonic as genesis.json). */
export const devAccount = (i: number): Account => mnemonicToAccount(mnemonic, { addressIndex: i })

/** An anvil L1 at `url` with chain id 31337, and Multicall3 once deployed. */
export function l1Chain(url: string, multicall3?: Address): Chain {
  return defineChain({
    id: 31337,
    name: 'anvil L1',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
    contracts: multicall3 ? { multicall3: { address: multicall3 } } : undefined,
  })
}

/** A wallet client with public actions, its account and chain set. */
export function l1Wallet(chain: Chain, account: Account) {
  return createWalletClient({ account, chain, transport: http() }).extend(publicActions)
}
export type L1Wallet = ReturnType<typeof l1Wallet>

/** Anvil's test actions (time travel, mining, storage writes). */
export function anvilTestClient(chain: Chain) {
  return createTestClient({ mode: 'anvil', chain, transport: http() })
}

/** Deploys with dev account 0 and returns the deployment and an L1 chain that knows its Multicall3. */
export async function deployDevnet(url: string, params: DeployL1Parameters) {
  const deployment: L1Deployment = await deployL1(l1Wallet(l1Chain(url), devAccount(0)), params)
  return { deployment, chain: l1Chain(url, deployment.multicall3) }
}

/** A withdrawal as the portal takes it, plus its hash. */
export type Withdrawal = {
  nonce: bigint
  sender: Address
  target: Address
  value: bigint
  gasLimit: bigint
  data: Hex
  withdrawalHash: Hex
}

/** keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)), as L2ToL1MessagePasser hashes. */
export function hashWithdrawal(w: Omit<Withdrawal, 'withdrawalHash'>): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'uint256' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint256' },
        { type: 'uint256' },
        { type: 'bytes' },
      ],
      [w.nonce, w.sender, w.target, w.value, w.gasLimit, w.data],
    ),
  )
}

/** `w` with its hash. */
export function withHash(w: Omit<Withdrawal, 'withdrawalHash'>): Withdrawal {
  return { ...w, withdrawalHash: hashWithdrawal(w) }
}

/** Options of `buildL2State`: other slots, the block hash, and values other than 1 by withdrawal hash. */
export type L2StateOptions = { noise?: number; blockHash?: Hex; values?: Record<Hex, number> }

/**
 * An L2 state in which the message passer's `sentMessages` holds `sent` (value 1 each) and
 * `noise` other slots (`values` overrides the 1 of some), built as Ethereum builds it: a secure storage trie (key keccak256(slot),
 * value RLP of the trimmed word), the account [nonce, balance, storageRoot, codeHash] in a secure
 * state trie. Returns the roots, the output root (version 0) for `blockHash`, and a storage proof
 * per withdrawal hash.
 */
export async function buildL2State(
  sent: readonly Hex[],
  { noise = 24, blockHash = keccak256('0x01'), values = {} }: L2StateOptions = {},
) {
  const storage = await createMPT({ useKeyHashing: true })
  const slotOf = (withdrawalHash: Hex) =>
    hexToBytes(getWithdrawalHashStorageSlot({ withdrawalHash }))
  for (const hash of sent) await storage.put(slotOf(hash), RLP.encode(values[hash] ?? 1))
  for (let i = 0; i < noise; i++)
    await storage.put(
      hexToBytes(keccak256(`0x${i.toString(16).padStart(4, '0')}`)),
      RLP.encode(1000 + i),
    )
  const storageRoot = bytesToHex(storage.root())

  const state = await createMPT({ useKeyHashing: true })
  const account = RLP.encode([new Uint8Array(), new Uint8Array(), storage.root(), KECCAK256_NULL])
  await state.put(hexToBytes(messagePasser), account)
  await state.put(
    hexToBytes('0x00000000000000000000000000000000000000aa'),
    RLP.encode([1, 5, storage.root(), KECCAK256_NULL]),
  )
  const stateRoot = bytesToHex(state.root())

  const outputRootProof = {
    version: `0x${'00'.repeat(32)}` as Hex,
    stateRoot,
    messagePasserStorageRoot: storageRoot,
    latestBlockhash: blockHash,
  }
  const outputRoot = keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }],
      [outputRootProof.version, stateRoot, storageRoot, blockHash],
    ),
  )
  const proofs = new Map<Hex, Hex[]>()
  for (const hash of sent)
    proofs.set(
      hash,
      (await createMerkleProof(storage, slotOf(hash))).map((node) => bytesToHex(node)),
    )
  return { storageRoot, stateRoot, outputRoot, outputRootProof, proofs, storage }
}

/** The decoded revert of a failed contract call or transaction, found anywhere in viem's error chain. */
export function revertOf(err: unknown): ContractFunctionRevertedError {
  if (!(err instanceof BaseError)) throw err
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError)
  if (!(revert instanceof ContractFunctionRevertedError)) throw err
  return revert
}

/** Asserts that `action` reverts with the `Error(string)` reason `reason`. */
export async function expectRevert(action: Promise<unknown>, reason: string) {
  const err = await action.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (err === undefined) expect.fail(`expected a revert with "${reason}", but it succeeded`)
  expect(revertOf(err).reason).toBe(reason)
}

/** Finalization period and submission interval of `startL1Devnet`'s contracts. */
export const PERIOD = 100n
export const INTERVAL = 10n
export const ZERO32 = `0x${'00'.repeat(32)}` as Hex

/**
 * A wallet that sends as the DAC's Timelock (anvil impersonation, 100 ETH for gas): for tests of the
 * powers the Timelock holds (SystemConfig's owner; the oracle's challenger where `setEoaProposer` put
 * it there) that are not about the vote itself (dac.*.test.ts pass real proposals).
 */
export async function timelockWallet(chain: Chain, timelock: Address) {
  const testClient = anvilTestClient(chain)
  await testClient.impersonateAccount({ address: timelock })
  await testClient.setBalance({ address: timelock, value: 100n * 10n ** 18n })
  const base = createClient({ account: timelock, chain, transport: http() })
  // anvil mines an impersonated account's reverting transaction instead of refusing it: estimate
  // first, so that a revert throws (with its data) as it does for a local account. The override sits
  // under the wallet actions, which look `sendTransaction` up on the client they extend.
  return base
    .extend(
      (client) =>
        ({
          sendTransaction: async (args: Parameters<typeof sendTransaction>[1]) => {
            await estimateGas(client, args as Parameters<typeof estimateGas>[1])
            return sendTransaction(client, args)
          },
        }) as {},
    )
    .extend(walletActions)
    .extend(publicActions)
}

/**
 * Makes `proposer` (an externally owned account) every shard's proposer in place of the OutputQuorum,
 * and the DAC's Timelock every shard's challenger, as the (impersonated) Timelock through each
 * SystemConfig: for tests of the oracle and the portal alone, without verifier signatures. Returns
 * the Timelock's wallet.
 */
export async function setEoaProposer(chain: Chain, deployment: L1Deployment, proposer: Address) {
  const timelock = await timelockWallet(chain, deployment.dac.timelock)
  for (const { systemConfig } of deployment.shards)
    for (const [functionName, account] of [
      ['setProposer', proposer],
      ['setChallenger', timelock.account.address],
    ] as const) {
      const hash = await timelock.writeContract({
        address: systemConfig,
        abi: systemConfigAbi,
        functionName,
        args: [account],
      })
      const receipt = await timelock.waitForTransactionReceipt({ hash })
      if (receipt.status !== 'success')
        throw new Error(`${functionName} on ${systemConfig} reverted`)
    }
  return timelock
}

/**
 * A fresh anvil L1 with two shards (901, 902) deployed by deployL1 from dev account 0 (`deployer`);
 * dev accounts 1, 2 and 4 as batcher, proposer and user; `owner` and `challenger` send as the DAC's
 * Timelock; helpers to propose, await receipts and move time. deployL1 makes the OutputQuorum every
 * shard's proposer and challenger: these tests put an EOA proposer (dev 2) in its place, and the
 * Timelock as challenger, to test the oracle and the portal alone (`setEoaProposer`); `deployedAt` is
 * the L1 block before that, where the deployment's own roles can still be read.
 */
export async function startL1Devnet() {
  const anvil = await startAnvil()
  try {
    const { deployment, chain } = await deployDevnet(anvil.url, {
      chainIds: [901, 902],
      batcher: devAccount(1).address,
      submissionInterval: INTERVAL,
      finalizationPeriodSeconds: PERIOD,
    })
    const [deployer, batcher, proposer, user] = [0, 1, 2, 4].map((i) =>
      l1Wallet(chain, devAccount(i)),
    )
    const deployedAt = await user.getBlockNumber()
    const owner = await setEoaProposer(chain, deployment, proposer.account.address)
    const challenger = owner
    const testClient = anvilTestClient(chain)
    const shard = deployment.shards[0]

    /** Awaits a transaction and asserts it succeeded. */
    const mined = async (hash: Hex) => {
      const receipt = await user.waitForTransactionReceipt({ hash })
      expect(receipt.status).toBe('success')
      return receipt
    }
    /** Proposes `root` for the oracle's next block number and returns its output index. */
    const propose = async (root: Hex, oracle: Address = shard.l2OutputOracle) => {
      const read = { address: oracle, abi: l2OutputOracleAbi } as const
      const next = await user.readContract({ ...read, functionName: 'nextBlockNumber' })
      const index = await user.readContract({ ...read, functionName: 'nextOutputIndex' })
      const request = {
        ...read,
        functionName: 'proposeL2Output',
        args: [root, next, ZERO32, 0n],
      } as const
      // Re-proposing at a deleted index in the deleted output's own second, the estimate finds the
      // packed (timestamp, block number) slot unchanged and is ~2,700 gas short of a later block.
      const gas = await proposer.estimateContractGas(request)
      await mined(await proposer.writeContract({ ...request, gas: gas + 10_000n }))
      return index
    }
    /** Moves L1 time forward and mines a block there. */
    const advance = async (seconds: bigint) => {
      await testClient.increaseTime({ seconds: Number(seconds) })
      await testClient.mine({ blocks: 1 })
    }
    const stop = () => anvil.stop()
    return {
      anvil,
      chain,
      deployment,
      deployedAt,
      shard,
      deployer,
      owner,
      batcher,
      proposer,
      challenger,
      user,
      testClient,
      mined,
      propose,
      advance,
      stop,
    }
  } catch (err) {
    await anvil.stop()
    throw err
  }
}
export type L1Devnet = Awaited<ReturnType<typeof startL1Devnet>>
