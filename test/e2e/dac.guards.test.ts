import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  decodeErrorResult,
  encodeFunctionData,
  isAddressEqual,
  toFunctionSignature,
  zeroAddress,
  type Abi,
  type AbiParameter,
  type Address,
  type Hex,
} from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { batchInboxAbi } from '../../generated/contracts/BatchInbox.js'
import { dacGovernorAbi } from '../../generated/contracts/DacGovernor.js'
import { dacTimelockAbi } from '../../generated/contracts/DacTimelock.js'
import { dacTokenAbi } from '../../generated/contracts/DacToken.js'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { miningVaultAbi } from '../../generated/contracts/MiningVault.js'
import { multicall3Abi } from '../../generated/contracts/Multicall3.js'
import { optimismPortalAbi } from '../../generated/contracts/OptimismPortal.js'
import { outputQuorumAbi } from '../../generated/contracts/OutputQuorum.js'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import { storageProofVerifierAbi } from '../../generated/contracts/StorageProofVerifier.js'
import { systemConfigAbi } from '../../generated/contracts/SystemConfig.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { AdminKeyError, assertNoAdminKeys } from '../../scripts/deploy-dac.js'
import { deployerAccount, revertData, startDacDevnet, type DacDevnet } from './dac.fixtures.js'
import { devAccount, timelockWallet } from './l1.fixtures.js'

/**
 * Invariant 7 (DESIGN.md): L1 contracts have no admin key. Table-driven from the compiled ABIs: every
 * state-changing function (and receive / fallback) of every L1 contract that deploy-l1 deploys is
 * either a user entry point, listed below with the reason, or guarded; each guarded one is called
 * (eth_call) by each of the ten dev accounts and by the deployer, and must revert with its guard's
 * error naming that caller. The batcher's, proposer's and challenger's functions are roles set by the
 * Timelock in SystemConfig: everyone but the role's holder is refused. The proposer and challenger
 * are the OutputQuorum (a contract, so no caller here holds them); the VerifierStaking functions
 * that jail or credit are the OutputQuorum's alone, and its slash the OutputQuorum's and the
 * SequencerPool's (contracts too). A function or an L1 contract added later and not listed here
 * fails the test.
 */

/** How a function is reached: a user entry point, or a guard every caller (but a role's holder) hits. */
type Entry =
  | { user: string }
  | { guard: string; role?: 'batcher' | 'proposer' | 'challenger' }
  | { refused: string }

type Table = Record<string, Entry>

const ownable = (what: string): Table => ({
  'transferOwnership(address)': { guard: 'OwnableUnauthorizedAccount' },
  'acceptOwnership()': { guard: 'OwnableUnauthorizedAccount' },
  'renounceOwnership()': { guard: 'OwnableUnauthorizedAccount' },
  [what]: { guard: 'OwnableUnauthorizedAccount' },
})

/** Every L1 contract: its ABI, where deploy-l1 put it, and each of its state-changing entries. */
const contracts: Record<string, { abi: Abi; at: (d: DacDevnet) => Address[]; functions: Table }> = {
  SystemConfig: {
    abi: systemConfigAbi,
    at: (d) => d.deployment.shards.map((s) => s.systemConfig),
    functions: {
      ...ownable('setBatcher(address)'),
      'setProposer(address)': { guard: 'OwnableUnauthorizedAccount' },
      'setChallenger(address)': { guard: 'OwnableUnauthorizedAccount' },
      'setGasLimit(uint64)': { guard: 'OwnableUnauthorizedAccount' },
    },
  },
  L2OutputOracle: {
    abi: l2OutputOracleAbi,
    at: (d) => d.deployment.shards.map((s) => s.l2OutputOracle),
    functions: {
      // The proposer and the challenger are the OutputQuorum (SystemConfig.proposer, .challenger).
      'proposeL2Output(bytes32,uint256,bytes32,uint256)': {
        role: 'proposer',
        guard: 'L2OutputOracle: only the proposer address can propose new outputs',
      },
      'deleteL2Outputs(uint256)': {
        role: 'challenger',
        guard: 'L2OutputOracle: only the challenger address can delete outputs',
      },
      'setFrozen(uint256,bool)': {
        role: 'challenger',
        guard: 'L2OutputOracle: only the challenger address can freeze outputs',
      },
      'invalidateOutput(uint256)': {
        role: 'challenger',
        guard: 'L2OutputOracle: only the challenger address can delete outputs',
      },
    },
  },
  OptimismPortal: {
    abi: optimismPortalAbi,
    at: (d) => d.deployment.shards.map((s) => s.portal),
    functions: {
      'depositTransaction(address,uint256,uint64,bool,bytes)': { user: 'deposit' },
      'receive()': { user: 'deposit to oneself' },
      'donateETH()': { user: 'gives ETH to the portal' },
      'proveWithdrawalTransaction((uint256,address,address,uint256,uint256,bytes),uint256,(bytes32,bytes32,bytes32,bytes32),bytes[])':
        { user: 'prove a withdrawal (checked against the oracle)' },
      'finalizeWithdrawalTransaction((uint256,address,address,uint256,uint256,bytes))': {
        user: 'finalize a proven withdrawal',
      },
    },
  },
  BatchInbox: {
    abi: batchInboxAbi,
    at: (d) => d.deployment.shards.map((s) => s.batchInbox),
    functions: {
      'fallback()': { role: 'batcher', guard: 'BatchInbox: sender is not the batcher' },
    },
  },
  MiningVault: {
    abi: miningVaultAbi,
    at: (d) => [d.dac.miningVault],
    functions: {
      ...ownable('setRecipient(address)'),
      'release()': { user: 'pays what vested, only to the recipient (the VerifierStaking)' },
    },
  },
  VerifierStaking: {
    abi: verifierStakingAbi,
    at: (d) => [d.deployment.verifiers.staking],
    functions: {
      ...ownable('setParameters(uint256[5])'),
      'stake(address,uint256)': { user: "bonds the caller's own tokens to a verifier" },
      'unbond(uint256)': { user: "the caller's own stake" },
      'withdraw()': { user: "the caller's own unbonded stake, after the delay" },
      'unjail()': { user: 'the caller itself, with enough stake' },
      'deregister(address)': { user: 'anyone, for a verifier with nothing bonded or unbonding' },
      'claimRewards()': { user: "the caller's own credited rewards" },
      // The OutputQuorum and the SequencerPool hold the evidence (equivocation, a lost challenge).
      'slash(address,address)': { guard: 'NotSlasher' },
      'recordOutput(address[],uint256)': { guard: 'OnlyQuorum' },
      'recordLateAttestation(address,uint256)': { guard: 'OnlyQuorum' },
      // The SequencerPool pays a sequencer's credit out through it.
      'creditSequencer(address,uint256)': { guard: 'NotPool' },
    },
  },
  OutputQuorum: {
    abi: outputQuorumAbi,
    at: (d) => [d.deployment.verifiers.quorum],
    functions: {
      ...ownable('setParameters(uint256[5])'),
      'addShard(address,uint256)': { guard: 'OwnableUnauthorizedAccount' },
      // Anyone relays: what counts is the signatures' active stake, not the caller.
      'attest(address,uint256,bytes32,bytes[])': { user: 'relays verifier signatures' },
      'expose(address,uint256,bytes32)': { user: 'a signed root, after the long window' },
      'challenge(address,uint256,bytes32)': { user: 'an active verifier, with the bond' },
      // Only the Timelock (an executed Governor proposal) settles a challenge before its deadline.
      'uphold(uint256)': { guard: 'OwnableUnauthorizedAccount' },
      'dismiss(uint256)': { guard: 'OwnableUnauthorizedAccount' },
      'resolve(uint256)': { user: 'anyone, at or after the deadline (Expired)' },
      'slashEquivocation(address,uint256,bytes32,bytes,bytes32,bytes)': {
        user: "anyone who shows one verifier's signatures on two roots",
      },
    },
  },
  SequencerPool: {
    abi: sequencerPoolAbi,
    at: (d) => [d.deployment.sequencing.pool],
    functions: {
      ...ownable('setParameters(uint256[6])'),
      'addShard(uint256,address)': { guard: 'OwnableUnauthorizedAccount' },
      'setUrl(string)': { user: "the caller's own URL (a staked verifier's)" },
      'seedEpoch(uint256)': { user: 'anyone, the first call in the epoch before' },
      // Checked against the schedule (the turn's holder), not a role anyone holds.
      'submitBatch(uint256,uint256,uint256,bytes)': {
        user: "the shard's scheduled sequencer only, with a recent L1 origin",
      },
      'skip(uint256)': { user: 'anyone, once the sequencer is silent or inactive' },
      'skipStalled(uint256,address,uint256,uint256,bytes[])': {
        user: "anyone who relays signatures of 2/3 of the stake (the holder's excluded) on a stall",
      },
      'challenge(uint256,string)': { user: 'an active verifier, with the bond' },
      'uphold(uint256)': { guard: 'OwnableUnauthorizedAccount' },
      'dismiss(uint256)': { guard: 'OwnableUnauthorizedAccount' },
      'resolve(uint256)': { user: 'anyone, at or after the deadline (Expired)' },
      'proveEquivocation(uint256,bytes,bytes,bytes,bytes)': {
        user: "anyone who shows one key's feed signatures on two blocks at one height",
      },
      'payout(uint256,uint256,address)': {
        user: 'anyone, once the epoch is over and no challenge of it is open; pays only the account',
      },
    },
  },
  DacToken: {
    abi: dacTokenAbi,
    at: (d) => [d.dac.token],
    functions: {
      'transfer(address,uint256)': { user: 'token transfer' },
      'transferFrom(address,address,uint256)': { user: 'token transfer' },
      'approve(address,uint256)': { user: 'token approval' },
      'permit(address,address,uint256,uint256,uint8,bytes32,bytes32)': { user: 'EIP-2612' },
      'delegate(address)': { user: 'delegation' },
      'delegateBySig(address,uint256,uint256,uint8,bytes32,bytes32)': { user: 'delegation' },
    },
  },
  DacGovernor: {
    abi: dacGovernorAbi,
    at: (d) => [d.dac.governor],
    functions: {
      'propose(address[],uint256[],bytes[],string)': { user: 'needs the proposal threshold' },
      'castVote(uint256,uint8)': { user: 'vote' },
      'castVoteWithReason(uint256,uint8,string)': { user: 'vote' },
      'castVoteWithReasonAndParams(uint256,uint8,string,bytes)': { user: 'vote' },
      'castVoteBySig(uint256,uint8,address,bytes)': { user: 'vote' },
      'castVoteWithReasonAndParamsBySig(uint256,uint8,address,string,bytes,bytes)': {
        user: 'vote',
      },
      'queue(uint256)': { user: 'anyone queues a succeeded proposal' },
      'queue(address[],uint256[],bytes[],bytes32)': { user: 'anyone queues a succeeded proposal' },
      'execute(uint256)': { user: 'anyone executes a queued proposal after the delay' },
      'execute(address[],uint256[],bytes[],bytes32)': { user: 'anyone executes after the delay' },
      'cancel(uint256)': { user: 'its proposer, while pending' },
      'cancel(address[],uint256[],bytes[],bytes32)': { user: 'its proposer, while pending' },
      'relay(address,uint256,bytes)': { guard: 'GovernorOnlyExecutor' },
      'setVotingDelay(uint48)': { guard: 'GovernorOnlyExecutor' },
      'setVotingPeriod(uint32)': { guard: 'GovernorOnlyExecutor' },
      'setProposalThreshold(uint256)': { guard: 'GovernorOnlyExecutor' },
      'updateQuorumNumerator(uint256)': { guard: 'GovernorOnlyExecutor' },
      'updateTimelock(address)': { guard: 'GovernorOnlyExecutor' },
      // The executor is the Timelock, so the Governor holds nothing.
      'receive()': { refused: 'GovernorDisabledDeposit' },
      'onERC721Received(address,address,uint256,bytes)': { refused: 'GovernorDisabledDeposit' },
      'onERC1155Received(address,address,uint256,uint256,bytes)': {
        refused: 'GovernorDisabledDeposit',
      },
      'onERC1155BatchReceived(address,address,uint256[],uint256[],bytes)': {
        refused: 'GovernorDisabledDeposit',
      },
    },
  },
  DacTimelock: {
    abi: dacTimelockAbi,
    at: (d) => [d.dac.timelock],
    functions: {
      'schedule(address,uint256,bytes,bytes32,bytes32,uint256)': {
        guard: 'AccessControlUnauthorizedAccount',
      },
      'scheduleBatch(address[],uint256[],bytes[],bytes32,bytes32,uint256)': {
        guard: 'AccessControlUnauthorizedAccount',
      },
      'cancel(bytes32)': { guard: 'AccessControlUnauthorizedAccount' },
      'execute(address,uint256,bytes,bytes32,bytes32)': {
        guard: 'AccessControlUnauthorizedAccount',
      },
      'executeBatch(address[],uint256[],bytes[],bytes32,bytes32)': {
        guard: 'AccessControlUnauthorizedAccount',
      },
      'grantRole(bytes32,address)': { guard: 'AccessControlUnauthorizedAccount' },
      'revokeRole(bytes32,address)': { guard: 'AccessControlUnauthorizedAccount' },
      'updateDelay(uint256)': { guard: 'TimelockUnauthorizedCaller' },
      'renounceRole(bytes32,address)': { user: "gives up the caller's own role, if any" },
      'receive()': { user: 'the DAC treasury accepts ETH' },
      'onERC721Received(address,address,uint256,bytes)': { user: 'the treasury accepts tokens' },
      'onERC1155Received(address,address,uint256,uint256,bytes)': {
        user: 'the treasury accepts tokens',
      },
      'onERC1155BatchReceived(address,address,uint256[],uint256[],bytes)': {
        user: 'the treasury accepts tokens',
      },
    },
  },
  StorageProofVerifier: {
    abi: storageProofVerifierAbi,
    at: (d) => [d.deployment.storageProofVerifier],
    functions: {},
  },
  Multicall3: {
    abi: multicall3Abi,
    at: (d) => [d.deployment.multicall3],
    functions: {
      'aggregate((address,bytes)[])': { user: 'batches calls as the caller' },
      'aggregate3((address,bool,bytes)[])': { user: 'batches calls as the caller' },
      'aggregate3Value((address,bool,uint256,bytes)[])': { user: 'batches calls as the caller' },
      'blockAndAggregate((address,bytes)[])': { user: 'batches calls as the caller' },
      'tryAggregate(bool,(address,bytes)[])': { user: 'batches calls as the caller' },
      'tryBlockAndAggregate(bool,(address,bytes)[])': { user: 'batches calls as the caller' },
    },
  },
}

type Callable = Extract<Abi[number], { type: 'function' | 'receive' | 'fallback' }>

/** `name(types)` of a function, `receive()` / `fallback()` for those. */
const signatureOf = (item: Callable) =>
  item.type === 'function' ? toFunctionSignature(item) : `${item.type}()`

/** Every entry of `abi` that can change state: non-view functions, receive, fallback. */
export function stateChanging(abi: Abi): Callable[] {
  return abi.filter(
    (item): item is Callable =>
      (item.type === 'function' &&
        (item.stateMutability === 'nonpayable' || item.stateMutability === 'payable')) ||
      item.type === 'receive' ||
      item.type === 'fallback',
  )
}

/** What a table misses (entries of the ABI it does not list) and lists in vain (not in the ABI). */
export function auditTable(abi: Abi, functions: Table) {
  const present = stateChanging(abi).map(signatureOf)
  return {
    unlisted: present.filter((sig) => !(sig in functions)),
    stale: Object.keys(functions).filter((sig) => !present.includes(sig)),
  }
}

/** Contracts compiled from contracts/L1/ (not its test harnesses, not interfaces without code). */
function compiledL1Contracts(): string[] {
  const root = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../generated/contracts',
  )
  return readdirSync(root)
    .filter((file) => file.endsWith('.ts'))
    .filter((file) => {
      const text = readFileSync(path.join(root, file), 'utf8')
      const source = /^\/\/ Generated by scripts\/build-contracts\.ts from (\S+)/.exec(text)?.[1]
      return (
        source?.startsWith('contracts/L1/') &&
        !source.startsWith('contracts/L1/test/') &&
        !/Bytecode = '0x' as const/.test(text)
      )
    })
    .map((file) => file.slice(0, -3))
    .sort()
}

/** An argument of ABI type `param` that passes encoding: the caller for addresses, 1, empty, false. */
function fakeArg(param: AbiParameter, caller: Address): unknown {
  const { type } = param
  const array = /^(.*)\[(\d*)\]$/.exec(type)
  if (array) {
    const inner = { ...param, type: array[1] } as AbiParameter
    return array[2] === ''
      ? []
      : Array.from({ length: Number(array[2]) }, () => fakeArg(inner, caller))
  }
  if (type === 'tuple') {
    const components = (param as { components: readonly AbiParameter[] }).components
    return Object.fromEntries(components.map((c) => [c.name!, fakeArg(c, caller)]))
  }
  if (type === 'address') return caller
  if (type === 'bool') return false
  if (type === 'string') return ''
  if (type === 'bytes') return '0x'
  if (/^bytes\d+$/.test(type)) return `0x${'00'.repeat(Number(type.slice(5)))}`
  if (/^u?int\d*$/.test(type)) return 1n
  throw new Error(`no fake value for ABI type ${type}`)
}

/** The calldata of one call of `item` by `caller`. */
function calldataOf(item: Callable, caller: Address): Hex {
  if (item.type === 'receive') return '0x'
  if (item.type === 'fallback') return '0x01'
  return encodeFunctionData({
    abi: [item],
    functionName: item.name,
    args: item.inputs.map((p) => fakeArg(p, caller)),
  } as Parameters<typeof encodeFunctionData>[0])
}

let devnet: DacDevnet

beforeAll(async () => {
  devnet = await startDacDevnet()
})

afterAll(async () => {
  await devnet?.stop()
})

describe('no admin key', () => {
  test('default: every L1 contract is in the table, and every table lists exactly its ABI', () => {
    expect(Object.keys(contracts).sort()).toEqual(compiledL1Contracts())
    for (const [name, { abi, functions }] of Object.entries(contracts))
      expect({ name, ...auditTable(abi, functions) }).toEqual({ name, unlisted: [], stale: [] })
  })

  test('behavior: a function added without a listing fails the audit', () => {
    const added = {
      type: 'function',
      name: 'setFinalizationPeriod',
      inputs: [{ name: 'seconds', type: 'uint256' }],
      outputs: [],
      stateMutability: 'nonpayable',
    } as const
    expect(auditTable([...l2OutputOracleAbi, added], contracts.L2OutputOracle.functions)).toEqual({
      unlisted: ['setFinalizationPeriod(uint256)'],
      stale: [],
    })
  })

  test('behavior: every guarded function reverts for every dev account and the deployer', async () => {
    const callers = [
      ...Array.from({ length: 10 }, (_, i) => devAccount(i).address),
      deployerAccount.address,
    ]
    const { quorum } = devnet.deployment.verifiers
    const roles = { batcher: devAccount(8).address, proposer: quorum, challenger: quorum }
    const client = devnet.dev[0]
    // Every shard's proposer and challenger is the OutputQuorum, a contract: no caller is skipped.
    for (const { systemConfig } of devnet.deployment.shards)
      for (const role of ['proposer', 'challenger'] as const)
        expect(
          await client.readContract({
            address: systemConfig,
            abi: systemConfigAbi,
            functionName: role,
          }),
        ).toBe(roles[role])
    expect(await client.getCode({ address: quorum })).toMatch(/^0x[0-9a-f]{2,}$/)
    let checked = 0
    for (const [name, { abi, at, functions }] of Object.entries(contracts)) {
      for (const item of stateChanging(abi)) {
        const entry = functions[signatureOf(item)]
        if ('user' in entry) continue
        const expected = 'refused' in entry ? entry.refused : entry.guard
        for (const address of at(devnet))
          for (const caller of callers) {
            if ('role' in entry && entry.role && isAddressEqual(caller, roles[entry.role])) continue
            const what = `${name}.${signatureOf(item)} by ${caller}`
            const err = await client
              .call({
                account: caller,
                to: address,
                data: calldataOf(item, caller),
                value: item.type === 'receive' ? 1n : 0n,
              })
              .then(
                () => undefined,
                (e: unknown) => e,
              )
            expect(err, `${what} succeeded: it has no guard`).toBeDefined()
            const data = revertData(err)
            expect(data, `${what}: no revert data (${String(err)})`).toBeDefined()
            const decoded = decodeErrorResult({ abi, data: data! })
            const got =
              decoded.errorName === 'Error' ? String(decoded.args?.[0]) : decoded.errorName
            expect(got, what).toBe(expected)
            // The custom errors of a guard name the refused account.
            if (/Unauthorized|OnlyExecutor|NotSlasher/.test(decoded.errorName))
              expect(isAddressEqual(decoded.args![0] as Address, caller), what).toBe(true)
            checked++
          }
      }
    }
    // 68 guarded entries (7 per SystemConfig, 4 per oracle, 1 per inbox on two shards; 4 vault,
    // 10 governor, 8 timelock, 8 staking, 7 quorum, 7 pool) by 11 callers, minus the batcher's own
    // on 2 shards.
    expect(checked).toBe(((7 + 4 + 1) * 2 + 4 + 10 + 8 + 8 + 7 + 7) * 11 - 2)
  })

  test('behavior: assertNoAdminKeys passes on the deployment and names every admin power an EOA gets', async () => {
    const { deployment, dac, chain, testClient } = devnet
    await assertNoAdminKeys(devnet.deployer, deployment, 0n)
    const snapshot = await testClient.snapshot()
    try {
      const timelock = await timelockWallet(chain, dac.timelock)
      const proposerRole = await timelock.readContract({
        address: dac.timelock,
        abi: dacTimelockAbi,
        functionName: 'PROPOSER_ROLE',
      })
      const eoa = devAccount(5).address
      await timelock.writeContract({
        address: dac.timelock,
        abi: dacTimelockAbi,
        functionName: 'grantRole',
        args: [proposerRole, eoa],
      })
      await timelock.writeContract({
        address: deployment.shards[1].systemConfig,
        abi: systemConfigAbi,
        functionName: 'transferOwnership',
        args: [eoa],
      })
      await timelock.writeContract({
        address: deployment.shards[0].systemConfig,
        abi: systemConfigAbi,
        functionName: 'setChallenger',
        args: [eoa],
      })
      await timelock.writeContract({
        address: deployment.shards[1].systemConfig,
        abi: systemConfigAbi,
        functionName: 'setProposer',
        args: [eoa],
      })
      await timelock.writeContract({
        address: deployment.verifiers.staking,
        abi: verifierStakingAbi,
        functionName: 'transferOwnership',
        args: [eoa],
      })
      await timelock.writeContract({
        address: dac.miningVault,
        abi: miningVaultAbi,
        functionName: 'setRecipient',
        args: [eoa],
      })
      const err = await assertNoAdminKeys(devnet.deployer, deployment, 0n).catch((e) => e)
      expect(err).toBeInstanceOf(AdminKeyError)
      const message = String(err.message)
      expect(message).toContain(`${eoa} holds the timelock's PROPOSER_ROLE`)
      expect(message).toContain(`externally owned account ${eoa} holds a timelock role`)
      expect(message).toContain(
        `SystemConfig ${deployment.shards[1].systemConfig}.pendingOwner() is ${eoa}, not ${zeroAddress}`,
      )
      expect(message).toContain(
        `SystemConfig ${deployment.shards[0].systemConfig}.challenger() is ${eoa}, not ${deployment.verifiers.quorum}`,
      )
      expect(message).toContain(
        `SystemConfig ${deployment.shards[1].systemConfig}.proposer() is ${eoa}, not ${deployment.verifiers.quorum}`,
      )
      expect(message).toContain(`VerifierStaking.pendingOwner() is ${eoa}, not ${zeroAddress}`)
      expect(message).toContain(
        `MiningVault.recipient() is ${eoa}, not ${deployment.verifiers.staking}`,
      )
    } finally {
      await testClient.revert({ id: snapshot })
    }
  })
})
