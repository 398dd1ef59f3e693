import { defineChain, getAddress, keccak256, parseEventLogs, type Hex } from 'viem'
import { finalizeWithdrawal, getL2Output, proveWithdrawal } from 'viem/op-stack'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import genesis from '../../genesis.json' with { type: 'json' }
import type { GenesisSpec } from '../../shared/chain/genesis.js'
import { genesisOutput } from '../../shared/settlement/genesisOutput.js'
import {
  l2OutputOracleAbi,
  l2OutputOracleBytecode,
} from '../../generated/contracts/L2OutputOracle.js'
import { optimismPortalAbi } from '../../generated/contracts/OptimismPortal.js'
import {
  INTERVAL,
  PERIOD,
  ZERO32,
  buildL2State,
  devAccount,
  expectRevert,
  startL1Devnet,
  withHash,
  type L1Devnet,
  type L1Wallet,
} from './l1.fixtures.js'

/**
 * L2OutputOracle on anvil: output 0 is the shard's L2 genesis output from the deployment (final, never
 * deleted); proposals (proposer only, next block number, non-zero root, L1 block hash, not in the
 * future), lookups by index and by L2 block with Bedrock's revert strings, deletion by the
 * challenger of outputs that are not final, freezing by the challenger (an open challenge: the
 * frozen output alone is not final, later ones finalize) and invalidation of one output (its root
 * zeroed: never final, nothing proves or finalizes against it). The proposer is an EOA and the challenger the
 * Timelock here (startL1Devnet), in place of the OutputQuorum, to test the oracle alone.
 */

let devnet: L1Devnet
let deployment: L1Devnet['deployment']
let shard: L1Devnet['shard']
let deployer: L1Devnet['deployer']
let proposer: L1Devnet['proposer']
let challenger: L1Devnet['challenger']
let user: L1Devnet['user']
let mined: L1Devnet['mined']
let propose: L1Devnet['propose']
let advance: L1Devnet['advance']

beforeAll(async () => {
  devnet = await startL1Devnet()
  ;({ deployment, shard, deployer, proposer, challenger, user, mined, propose, advance } = devnet)
})

afterAll(async () => {
  await devnet?.stop()
})

describe('L2OutputOracle', () => {
  // Shard 902's oracle: nothing else proposes there.
  const oracle = () =>
    ({ address: deployment.shards[1].l2OutputOracle, abi: l2OutputOracleAbi }) as const
  const root = (i: number) => keccak256(`0x${i.toString(16).padStart(2, '0')}`)
  /** A withdrawal of 1,000 wei to a fresh recipient, a made-up L2 state holding it, and shard 902's portal funded for it. */
  const withdrawalOf = async (nonce: bigint, tag: Hex) => {
    const recipient = getAddress(keccak256(`${tag}ee`).slice(0, 42))
    const w = withHash({
      nonce,
      sender: devAccount(5).address,
      target: recipient,
      value: 1000n,
      gasLimit: 21_000n,
      data: '0x',
    })
    const l2 = await buildL2State([w.withdrawalHash], { noise: 3, blockHash: keccak256(tag) })
    const portal = { address: deployment.shards[1].portal, abi: optimismPortalAbi } as const
    await mined(await user.writeContract({ ...portal, functionName: 'donateETH', value: w.value }))
    return { w, l2, recipient }
  }

  test('default', async () => {
    const read = oracle()
    // A fresh oracle holds output 0: the genesis output of shard 902, final from the start.
    const genesisRoot = (await genesisOutput(genesis as GenesisSpec, 902)).outputRoot
    expect(await user.readContract({ ...read, functionName: 'latestOutputIndex' })).toBe(0n)
    const zero = await user.readContract({ ...read, functionName: 'getL2Output', args: [0n] })
    expect(zero).toMatchObject({ outputRoot: genesisRoot, l2BlockNumber: 0n })
    expect(
      await user.readContract({ ...read, functionName: 'isOutputFinalized', args: [0n] }),
    ).toBe(true)
    expect(
      await user.readContract({ ...read, functionName: 'getL2OutputIndexAfter', args: [0n] }),
    ).toBe(0n)
    await expectRevert(
      user.readContract({ ...read, functionName: 'getL2OutputIndexAfter', args: [1n] }),
      'L2OutputOracle: cannot get output for a block that has not been proposed',
    )
    expect(await user.readContract({ ...read, functionName: 'nextBlockNumber' })).toBe(INTERVAL)
    expect(await user.readContract({ ...read, functionName: 'latestBlockNumber' })).toBe(0n)
    for (const i of [1, 2, 3]) expect(await propose(root(i), read.address)).toBe(BigInt(i))
    const now = (await user.getBlock()).timestamp
    expect(await user.readContract({ ...read, functionName: 'latestOutputIndex' })).toBe(3n)
    expect(await user.readContract({ ...read, functionName: 'latestBlockNumber' })).toBe(30n)
    expect(await user.readContract({ ...read, functionName: 'nextBlockNumber' })).toBe(40n)
    const output = await user.readContract({ ...read, functionName: 'getL2Output', args: [2n] })
    expect(output.outputRoot).toBe(root(2))
    expect(output.l2BlockNumber).toBe(20n)
    expect(output.timestamp).toBeGreaterThan(now - 10n)
    const after = async (n: bigint) =>
      user.readContract({ ...read, functionName: 'getL2OutputIndexAfter', args: [n] })
    expect(await Promise.all([0n, 1n, 10n, 11n, 20n, 29n, 30n].map(after))).toEqual([
      0n,
      1n,
      1n,
      2n,
      2n,
      3n,
      3n,
    ])
    await expectRevert(
      after(31n),
      'L2OutputOracle: cannot get output for a block that has not been proposed',
    )
    expect(
      (await user.readContract({ ...read, functionName: 'getL2OutputAfter', args: [15n] }))
        .outputRoot,
    ).toBe(root(2))
    expect(
      await user.readContract({ ...read, functionName: 'computeL2Timestamp', args: [30n] }),
    ).toBe(1735689630n)
  })

  test('behavior: only the proposer proposes, for the next block number, a non-zero root', async () => {
    const read = oracle()
    const next = await user.readContract({ ...read, functionName: 'nextBlockNumber' })
    const write = (wallet: L1Wallet, args: readonly [Hex, bigint, Hex, bigint]) =>
      wallet.writeContract({ ...read, functionName: 'proposeL2Output', args })
    await expectRevert(
      write(user, [root(9), next, ZERO32, 0n]),
      'L2OutputOracle: only the proposer address can propose new outputs',
    )
    for (const n of [next - 1n, next + 1n, next + INTERVAL])
      await expectRevert(
        write(proposer, [root(9), n, ZERO32, 0n]),
        'L2OutputOracle: block number must be equal to next expected block number',
      )
    await expectRevert(
      write(proposer, [ZERO32, next, ZERO32, 0n]),
      'L2OutputOracle: L2 output proposal cannot be the zero hash',
    )
    const l1 = await user.getBlock()
    await expectRevert(
      write(proposer, [root(9), next, keccak256('0x99'), l1.number]),
      'L2OutputOracle: block hash does not match the hash at the expected height',
    )
    await mined(await write(proposer, [root(9), next, l1.hash, l1.number]))
  })

  test('behavior: an output for an L2 block in the future is refused', async () => {
    const { timestamp } = await user.getBlock()
    const hash = await deployer.deployContract({
      abi: l2OutputOracleAbi,
      bytecode: l2OutputOracleBytecode,
      args: [shard.systemConfig, 1000n, 1n, 0n, timestamp, root(0), PERIOD],
    })
    const address = (await mined(hash)).contractAddress!
    await expectRevert(
      proposer.writeContract({
        address,
        abi: l2OutputOracleAbi,
        functionName: 'proposeL2Output',
        args: [root(1), 1000n, ZERO32, 0n],
      }),
      'L2OutputOracle: cannot propose L2 output in the future',
    )
  })

  test('behavior: only the challenger deletes, and only outputs not yet final', async () => {
    const read = oracle()
    const del = (wallet: L1Wallet, index: bigint) =>
      wallet.writeContract({ ...read, functionName: 'deleteL2Outputs', args: [index] })
    const latest = await user.readContract({ ...read, functionName: 'latestOutputIndex' })
    await expectRevert(
      del(proposer, latest),
      'L2OutputOracle: only the challenger address can delete outputs',
    )
    await expectRevert(
      del(challenger, latest + 1n),
      'L2OutputOracle: cannot delete outputs after the latest output index',
    )

    const receipt = await mined(await del(challenger, latest))
    const [log] = parseEventLogs({
      abi: l2OutputOracleAbi,
      logs: receipt.logs,
      eventName: 'OutputsDeleted',
    })
    expect(log.args).toEqual({ prevNextOutputIndex: latest + 1n, newNextOutputIndex: latest })
    expect(await user.readContract({ ...read, functionName: 'nextOutputIndex' })).toBe(latest)
    // Output i is at L2 block i * INTERVAL (output 0 at genesis).
    expect(await user.readContract({ ...read, functionName: 'nextBlockNumber' })).toBe(
      latest * INTERVAL,
    )

    expect(await propose(root(10), read.address)).toBe(latest)
    expect(
      await user.readContract({ ...read, functionName: 'isOutputFinalized', args: [latest] }),
    ).toBe(false)
    await advance(PERIOD + 1n)
    expect(
      await user.readContract({ ...read, functionName: 'isOutputFinalized', args: [latest] }),
    ).toBe(true)
    await expectRevert(
      del(challenger, latest),
      'L2OutputOracle: cannot delete outputs that have already been finalized',
    )
  })

  test('behavior: the genesis output is final and cannot be deleted; a zero genesis root is refused', async () => {
    const read = oracle()
    expect(
      await user.readContract({ ...read, functionName: 'isOutputFinalized', args: [0n] }),
    ).toBe(true)
    await expectRevert(
      challenger.writeContract({ ...read, functionName: 'deleteL2Outputs', args: [0n] }),
      'L2OutputOracle: cannot delete outputs that have already been finalized',
    )
    const { timestamp } = await user.getBlock()
    const err = await deployer
      .deployContract({
        abi: l2OutputOracleAbi,
        bytecode: l2OutputOracleBytecode,
        args: [shard.systemConfig, INTERVAL, 1n, 0n, timestamp, ZERO32, PERIOD],
      })
      .catch((e: unknown) => e)
    expect(String(err)).toContain('L2OutputOracle: starting output root cannot be the zero hash')
  })

  test('behavior: setFrozen: only the challenger; a frozen output alone is not final until unfrozen', async () => {
    const read = oracle()
    const portal = { address: deployment.shards[1].portal, abi: optimismPortalAbi } as const
    const finalized = (index: bigint) =>
      user.readContract({ ...read, functionName: 'isOutputFinalized', args: [index] })
    const frozen = (index: bigint) =>
      user.readContract({ ...read, functionName: 'frozen', args: [index] })
    const setFrozen = (wallet: L1Wallet, index: bigint, value = true) =>
      wallet.writeContract({ ...read, functionName: 'setFrozen', args: [index, value] })
    const frozenIn = (receipt: { logs: Parameters<typeof parseEventLogs>[0]['logs'] }) =>
      parseEventLogs({ abi: l2OutputOracleAbi, logs: receipt.logs, eventName: 'OutputFrozen' }).map(
        (l) => l.args,
      )
    const cannotFreeze = 'L2OutputOracle: cannot freeze a final or missing output'

    // A withdrawal proven against output `proven`, between `before` and `later`.
    const { w, l2, recipient } = await withdrawalOf(1n, '0xf4')
    const before = await propose(root(20), read.address)
    const proven = await propose(l2.outputRoot, read.address)
    const later = await propose(root(21), read.address)
    await mined(
      await user.writeContract({
        ...portal,
        functionName: 'proveWithdrawalTransaction',
        args: [w, proven, l2.outputRootProof, l2.proofs.get(w.withdrawalHash)!],
      }),
    )

    expect(await Promise.all([before, proven, later].map(frozen))).toEqual([false, false, false])
    for (const wallet of [user, proposer]) {
      await expectRevert(
        setFrozen(wallet, proven),
        'L2OutputOracle: only the challenger address can freeze outputs',
      )
      await expectRevert(
        setFrozen(wallet, proven, false),
        'L2OutputOracle: only the challenger address can freeze outputs',
      )
    }
    const receipt = await mined(await setFrozen(challenger, proven))
    expect(frozenIn(receipt)).toEqual([{ l2OutputIndex: proven, frozen: true }])
    // The challenged output alone: neither the one before nor the later one is frozen.
    expect(await Promise.all([before, proven, later].map(frozen))).toEqual([false, true, false])

    // Past the finalization period: the outputs before and after are final, the frozen one is not.
    await advance(PERIOD + 1n)
    expect(await Promise.all([before, proven, later].map(finalized))).toEqual([true, false, true])
    expect(
      await user.readContract({ ...portal, functionName: 'isOutputFinalized', args: [proven] }),
    ).toBe(false)
    const finalize = () =>
      user.writeContract({ ...portal, functionName: 'finalizeWithdrawalTransaction', args: [w] })
    await expectRevert(
      finalize(),
      'OptimismPortal: output proposal finalization period has not elapsed',
    )
    // Output 0, final outputs (before and later) and a missing one cannot be frozen; the freeze stays.
    const next = await user.readContract({ ...read, functionName: 'nextOutputIndex' })
    for (const index of [0n, before, later, next])
      await expectRevert(setFrozen(challenger, index), cannotFreeze)
    expect(await Promise.all([before, proven, later].map(frozen))).toEqual([false, true, false])

    // Unfrozen: final at once (nothing waits for a new period), and the withdrawal pays.
    const unfrozen = await mined(await setFrozen(challenger, proven, false))
    expect(frozenIn(unfrozen)).toEqual([{ l2OutputIndex: proven, frozen: false }])
    expect(await frozen(proven)).toBe(false)
    expect(await Promise.all([before, proven, later].map(finalized))).toEqual([true, true, true])
    const balance = await user.getBalance({ address: recipient })
    await mined(await finalize())
    expect((await user.getBalance({ address: recipient })) - balance).toBe(w.value)
    // Now final, it cannot be frozen again.
    await expectRevert(setFrozen(challenger, proven), cannotFreeze)

    // A frozen output stays deletable past its period (it is not final); an output proposed again
    // at that index starts unfrozen.
    const last = await propose(root(22), read.address)
    await mined(await setFrozen(challenger, last))
    await advance(PERIOD + 1n)
    expect(await finalized(last)).toBe(false)
    await mined(
      await challenger.writeContract({ ...read, functionName: 'deleteL2Outputs', args: [last] }),
    )
    expect(await user.readContract({ ...read, functionName: 'nextOutputIndex' })).toBe(last)
    expect(await propose(root(23), read.address)).toBe(last)
    expect(await frozen(last)).toBe(false)
    await advance(PERIOD + 1n)
    expect(await finalized(last)).toBe(true)
  })

  test('behavior: invalidateOutput: only the challenger; the output alone gets a zero root and is never final', async () => {
    const read = oracle()
    const portal = { address: deployment.shards[1].portal, abi: optimismPortalAbi } as const
    const finalized = (index: bigint) =>
      user.readContract({ ...read, functionName: 'isOutputFinalized', args: [index] })
    const invalidate = (wallet: L1Wallet, index: bigint) =>
      wallet.writeContract({ ...read, functionName: 'invalidateOutput', args: [index] })
    const cannot = 'L2OutputOracle: cannot delete outputs that have already been finalized'

    // A withdrawal proven against output `wrong`, with an output after it.
    const { w, l2, recipient } = await withdrawalOf(2n, '0xf5')
    const wrong = await propose(l2.outputRoot, read.address)
    const later = await propose(root(30), read.address)
    await mined(
      await user.writeContract({
        ...portal,
        functionName: 'proveWithdrawalTransaction',
        args: [w, wrong, l2.outputRootProof, l2.proofs.get(w.withdrawalHash)!],
      }),
    )
    const { l2BlockNumber, timestamp } = await user.readContract({
      ...read,
      functionName: 'getL2Output',
      args: [wrong],
    })

    for (const wallet of [user, proposer])
      await expectRevert(
        invalidate(wallet, wrong),
        'L2OutputOracle: only the challenger address can delete outputs',
      )
    const receipt = await mined(await invalidate(challenger, wrong))
    expect(
      parseEventLogs({
        abi: l2OutputOracleAbi,
        logs: receipt.logs,
        eventName: 'OutputInvalidated',
      }).map((l) => l.args),
    ).toEqual([{ l2OutputIndex: wrong, outputRoot: l2.outputRoot }])
    // Its root is zero, its block and time stay, the later output is untouched.
    expect(
      await user.readContract({ ...read, functionName: 'getL2Output', args: [wrong] }),
    ).toEqual({ outputRoot: ZERO32, l2BlockNumber, timestamp })
    expect(
      (await user.readContract({ ...read, functionName: 'getL2Output', args: [later] })).outputRoot,
    ).toBe(root(30))
    expect(await user.readContract({ ...read, functionName: 'nextOutputIndex' })).toBe(later + 1n)

    // Past the period: the later output is final, the invalidated one never is; the withdrawal
    // proven against it cannot finalize, nor be proven against it again.
    await advance(PERIOD + 1n)
    expect(await Promise.all([wrong, later].map(finalized))).toEqual([false, true])
    await expectRevert(
      user.writeContract({ ...portal, functionName: 'finalizeWithdrawalTransaction', args: [w] }),
      'OptimismPortal: output root proven is not the same as current output root',
    )
    await expectRevert(
      user.writeContract({
        ...portal,
        functionName: 'proveWithdrawalTransaction',
        args: [w, wrong, l2.outputRootProof, l2.proofs.get(w.withdrawalHash)!],
      }),
      'OptimismPortal: invalid output root proof',
    )
    // Output 0, a final output and a missing one cannot be invalidated.
    const next = await user.readContract({ ...read, functionName: 'nextOutputIndex' })
    for (const index of [0n, later]) await expectRevert(invalidate(challenger, index), cannot)
    await expectRevert(invalidate(challenger, next), cannot)
  })
  test('behavior: viem proves and finalizes a withdrawal of an invalidated range against the next valid output', async () => {
    // viem's op-stack actions unchanged (getL2Output, proveWithdrawal, finalizeWithdrawal); only
    // the proof comes from buildL2State's made-up L2 state instead of an L2 node's eth_getProof
    // (buildProveWithdrawal's part), as no L2 runs here.
    const read = oracle()
    const shard = deployment.shards[1]
    const targetChain = defineChain({
      id: 902,
      name: 'shard 902',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [] } },
      sourceId: devnet.chain.id,
      contracts: {
        portal: { [devnet.chain.id]: { address: shard.portal } },
        l2OutputOracle: { [devnet.chain.id]: { address: shard.l2OutputOracle } },
      },
    })
    const { w, l2, recipient } = await withdrawalOf(3n, '0xf6')
    // The output covering the withdrawal's block is wrong and invalidated (an upheld challenge);
    // the next output, valid, covers that block too.
    await advance(60n)
    const wrong = await propose(root(40), read.address)
    const valid = await propose(l2.outputRoot, read.address)
    await mined(
      await challenger.writeContract({ ...read, functionName: 'invalidateOutput', args: [wrong] }),
    )
    const { l2BlockNumber } = await user.readContract({
      ...read,
      functionName: 'getL2Output',
      args: [wrong],
    })
    // The oracle's lookup steps over the invalidated output; the one at the block itself stays readable.
    expect(
      await user.readContract({ ...read, functionName: 'getL2OutputIndexAfter', args: [l2BlockNumber] }),
    ).toBe(valid)
    expect(
      await user.readContract({ ...read, functionName: 'getL2OutputIndexAt', args: [l2BlockNumber] }),
    ).toBe(wrong)
    const output = await getL2Output(user, { targetChain, l2BlockNumber })
    expect(output).toMatchObject({ outputIndex: valid, outputRoot: l2.outputRoot })
    const proven = await proveWithdrawal(user, {
      account: user.account,
      targetChain,
      l2OutputIndex: output.outputIndex,
      outputRootProof: l2.outputRootProof,
      withdrawalProof: l2.proofs.get(w.withdrawalHash)!,
      withdrawal: w,
      chain: user.chain,
    })
    await mined(proven)
    await advance(PERIOD + 1n)
    const before = await user.getBalance({ address: recipient })
    await mined(
      await finalizeWithdrawal(user, { account: user.account, targetChain, withdrawal: w, chain: user.chain }),
    )
    expect((await user.getBalance({ address: recipient })) - before).toBe(w.value)

    // Only invalidated outputs at or after a block: none is proposed there yet, as viem reads it
    // ("waiting to prove"), until a valid one follows.
    await advance(30n)
    const last = await propose(root(41), read.address)
    await mined(
      await challenger.writeContract({ ...read, functionName: 'invalidateOutput', args: [last] }),
    )
    const lastBlock = (await user.readContract({ ...read, functionName: 'getL2Output', args: [last] }))
      .l2BlockNumber
    await expectRevert(
      user.readContract({ ...read, functionName: 'getL2OutputIndexAfter', args: [lastBlock] }),
      'L2OutputOracle: cannot get output for a block that has not been proposed',
    )
  })
})
