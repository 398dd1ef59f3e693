import { keccak256, parseEther, type Hex } from 'viem'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import { getL2TransactionHashes } from 'viem/op-stack'
import { describe, expect, test } from 'vitest'
import { bridgeClients, readBatches, useBridgeDevnet } from './bridge.fixtures.js'
import { expectRevert, revertOf } from './l1.fixtures.js'
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'

/**
 * The bridge end to end: anvil as L1 (a block a second), the L1 contracts, and the node deriving
 * deposits, posting batches and proposing outputs on its own. viem's op-stack actions drive it
 * unchanged, as a dApp would.
 */

const d = useBridgeDevnet()

describe('deposits', () => {
  test('default: depositTransaction on L1 is mined on L2 under the hash viem computes', async () => {
    const { account, l1, l2Public } = bridgeClients(d, 3)
    const before = await l2Public.getBalance({ address: account.address })
    const hash = await l1.depositTransaction({
      request: { gas: 100_000n, mint: parseEther('1'), to: account.address },
      targetChain: d.l2Chain,
    })
    const l1Receipt = await l1.waitForTransactionReceipt({ hash })
    const [l2Hash] = getL2TransactionHashes(l1Receipt)
    const receipt = await l2Public.waitForTransactionReceipt({ hash: l2Hash, timeout: 30_000 })
    expect(receipt.status).toBe('success')
    // viem formats receipt types it knows; an OP node's deposit receipts come through as '0x7e' too.
    expect(receipt.type).toBe('0x7e')
    expect(await l2Public.getBalance({ address: account.address })).toBe(before + parseEther('1'))
    const tx = await l2Public.getTransaction({ hash: l2Hash })
    expect(tx.type).toBe('deposit')
    expect(tx.mint).toBe(parseEther('1'))
    // The block opens with the L1-info deposit, then the user deposit.
    const block = await l2Public.getBlock({ blockNumber: receipt.blockNumber })
    expect(block.transactions[1]).toBe(l2Hash)
    const info = await l2Public.getTransaction({ hash: block.transactions[0] })
    expect(info.from).toBe('0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001')
    expect(info.to).toBe('0x4200000000000000000000000000000000000015')
  }, 60_000)

  test('behavior: L1Block holds the L1 origin of the latest block', async () => {
    const { l2Public, l1Public } = bridgeClients(d, 3)
    const abi = [
      {
        type: 'function',
        name: 'number',
        inputs: [],
        outputs: [{ type: 'uint64' }],
        stateMutability: 'view',
      },
      {
        type: 'function',
        name: 'hash',
        inputs: [],
        outputs: [{ type: 'bytes32' }],
        stateMutability: 'view',
      },
    ] as const
    const head = await l2Public.getBlockNumber()
    const address = '0x4200000000000000000000000000000000000015'
    const [n, h] = await Promise.all([
      l2Public.readContract({ address, abi, functionName: 'number', blockNumber: head }),
      l2Public.readContract({ address, abi, functionName: 'hash', blockNumber: head }),
    ])
    expect(n).toBeGreaterThan(0n)
    expect((await l1Public.getBlock({ blockNumber: n })).hash).toBe(h)
  })
})

describe('withdrawals', () => {
  test('default: initiate on L2, prove and finalize on L1 with viem; the L1 balance grows by the amount', async () => {
    const { account, l1, l2 } = bridgeClients(d, 4)
    const recipient = privateKeyToAccount(generatePrivateKey()).address
    const amount = parseEther('0.25')
    const hash = await l2.initiateWithdrawal({
      request: { gas: 21_000n, to: recipient, value: amount },
    })
    const receipt = await l2.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    const status = () => l1.getWithdrawalStatus({ receipt, targetChain: d.l2Chain })
    expect(['waiting-to-prove', 'ready-to-prove']).toContain(await status())

    const { output, withdrawal } = await l1.waitToProve({
      receipt,
      targetChain: d.l2Chain,
    })
    expect(await status()).toBe('ready-to-prove')
    // The node's optimism_outputAtBlock gives the root the proposer put on L1.
    const atBlock = (await l2.request({
      method: 'optimism_outputAtBlock' as never,
      params: [`0x${output.l2BlockNumber.toString(16)}`] as never,
    })) as { outputRoot: Hex; blockRef: { number: number } }
    expect(atBlock.outputRoot).toBe(output.outputRoot)
    expect(BigInt(atBlock.blockRef.number)).toBe(output.l2BlockNumber)
    const args = await l2.buildProveWithdrawal({ output, withdrawal })
    // Against an output index not proposed yet: the oracle has no such output.
    const next = await l1.readContract({
      address: d.deployment.shards[0].l2OutputOracle,
      abi: l2OutputOracleAbi,
      functionName: 'nextOutputIndex',
    })
    const err = await l1.proveWithdrawal({ ...args, l2OutputIndex: next + 5n }).catch((e) => e)
    expect(revertOf(err).data).toMatchObject({ errorName: 'Panic', args: [0x32n] })
    // Finalizing before proving, and proving with a wrong proof or against an output that does
    // not commit to it, are refused; nothing moves.
    await expectRevert(
      l1.finalizeWithdrawal({ targetChain: d.l2Chain, withdrawal }),
      'OptimismPortal: withdrawal has not been proven yet',
    )
    const [first, ...rest] = args.withdrawalProof
    await expectRevert(
      l1.proveWithdrawal({ ...args, withdrawalProof: [keccak256(first), ...rest] }),
      'OptimismPortal: invalid withdrawal inclusion proof',
    )
    if (args.l2OutputIndex > 0n)
      await expectRevert(
        l1.proveWithdrawal({ ...args, l2OutputIndex: args.l2OutputIndex - 1n }),
        'OptimismPortal: invalid output root proof',
      )
    const proveHash = await l1.proveWithdrawal(args)
    expect((await l1.waitForTransactionReceipt({ hash: proveHash })).status).toBe('success')
    expect(['waiting-to-finalize', 'ready-to-finalize']).toContain(await status())
    // Finalizing inside the window is refused; so is a replayed proof.
    await expectRevert(
      l1.finalizeWithdrawal({ targetChain: d.l2Chain, withdrawal }),
      'OptimismPortal: proven withdrawal finalization period has not elapsed',
    )
    await expectRevert(
      l1.proveWithdrawal(args),
      'OptimismPortal: withdrawal hash has already been proven',
    )

    await l1.waitToFinalize({
      targetChain: d.l2Chain,
      withdrawalHash: withdrawal.withdrawalHash,
    })
    expect(await status()).toBe('ready-to-finalize')
    const finalizeHash = await l1.finalizeWithdrawal({ targetChain: d.l2Chain, withdrawal })
    expect((await l1.waitForTransactionReceipt({ hash: finalizeHash })).status).toBe('success')
    expect(await status()).toBe('finalized')
    expect(await l1.getBalance({ address: recipient })).toBe(amount)
    // A second finalize is refused and pays nothing more.
    await expectRevert(
      l1.finalizeWithdrawal({ targetChain: d.l2Chain, withdrawal }),
      'OptimismPortal: withdrawal has already been finalized',
    )
    expect(await l1.getBalance({ address: recipient })).toBe(amount)
    void account
  }, 120_000)
})

describe('batches', () => {
  test('coverage: the batches on L1 decode to the shard blocks, with no gap and no overlap', async () => {
    const { l2Public } = bridgeClients(d, 3)
    // Wait until the batches cover the chain as it is now.
    const head = await l2Public.getBlockNumber()
    let safe = 0n
    for (let i = 0; i < 120 && safe < head; i++) {
      safe = (await l2Public.getBlock({ blockTag: 'safe' })).number
      if (safe < head) await new Promise((r) => setTimeout(r, 250))
    }
    expect(safe).toBeGreaterThanOrEqual(head)
    const batches = await readBatches(d)
    let next = 1n
    for (const { batch, l1Tx } of batches) {
      expect(batch.chainId).toBe(901)
      // The node knows which L1 transaction carries each block.
      const record = (await l2Public.request({
        method: 'edge_getBatchByBlock' as never,
        params: [`0x${batch.blocks.at(-1)!.number.toString(16)}`] as never,
      })) as { l1TransactionHash: Hex; firstBlock: Hex }
      expect(record.l1TransactionHash).toBe(l1Tx)
      expect(BigInt(record.firstBlock)).toBe(batch.blocks[0].number)
      expect(batch.blocks[0].number).toBe(next)
      const parent = await l2Public.getBlock({ blockNumber: next - 1n })
      expect(batch.parentHash).toBe(parent.hash)
      for (const b of batch.blocks) {
        const block = await l2Public.getBlock({ blockNumber: b.number, includeTransactions: true })
        expect(b.timestamp).toBe(block.timestamp)
        const userTxs = block.transactions.filter((t) => t.type !== 'deposit').map((t) => t.hash)
        expect(b.txs.map((raw) => keccak256(raw as Hex))).toEqual(userTxs)
      }
      next = batch.blocks.at(-1)!.number + 1n
    }
    expect(next - 1n).toBeGreaterThanOrEqual(safe)
  }, 60_000)
})
