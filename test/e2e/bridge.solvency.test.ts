import { parseEther, parseEventLogs, toHex, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import genesis from '../../genesis.json' with { type: 'json' }
import { l2OutputOracleAbi } from '../../generated/contracts/L2OutputOracle.js'
import { l2ToL1MessagePasserPredeployAbi } from '../../generated/contracts/L2ToL1MessagePasserPredeploy.js'
import { buildGenesisAlloc, type GenesisSpec } from '../../shared/chain/genesis.js'
import { genesisOutput } from '../../shared/settlement/genesisOutput.js'
import { MESSAGE_PASSER } from '../../shared/settlement/outputRoot.js'
import { GENESIS_LOCK, bridgeClients, useBridgeDevnet } from './bridge.fixtures.js'

/**
 * A fresh devnet as `npm start` makes it is solvent and ready for withdrawals from the first block:
 * the ETH the L2 genesis mints is locked in the portal at deploy time, and the oracle holds the
 * genesis output (output 0), so viem's `waitToProve` works before any output is proposed. Across
 * deposits and finalized withdrawals, L2's ETH supply (every balance but the message passer's, whose
 * ETH is burned) = genesis alloc + Σ deposit mints − Σ withdrawn − base fees burned, and never
 * exceeds what the portal holds on L1.
 */

// Outputs every 20 L2 blocks: the first proposal comes well after the first withdrawal's block.
const d = useBridgeDevnet({ submissionInterval: 20n })
const spec = genesis as GenesisSpec

/** The L2's ETH accounting at its latest block, read from the chain itself. */
async function l2Accounting() {
  const { l2Public } = bridgeClients(d, 0)
  const head = await l2Public.getBlockNumber()
  const holders = new Set<Address>()
  const hold = (address: Address) => holders.add(address.toLowerCase() as Address)
  for (const address of Object.keys(buildGenesisAlloc(spec))) hold(address as Address)
  let mints = 0n
  let withdrawn = 0n
  let feesBurned = 0n
  for (let n = 0n; n <= head; n++) {
    const block = await l2Public.getBlock({ blockNumber: n, includeTransactions: true })
    hold(block.miner)
    for (const tx of block.transactions) {
      hold(tx.from)
      if (tx.to) hold(tx.to)
      if (tx.type === 'deposit') {
        mints += tx.mint ?? 0n
        continue
      }
      const receipt = await l2Public.getTransactionReceipt({ hash: tx.hash })
      if (receipt.contractAddress) hold(receipt.contractAddress)
      feesBurned += block.baseFeePerGas! * receipt.gasUsed
      for (const log of parseEventLogs({
        abi: l2ToL1MessagePasserPredeployAbi,
        logs: receipt.logs,
        eventName: 'MessagePassed',
      }))
        withdrawn += log.args.value
    }
  }
  holders.delete(MESSAGE_PASSER.toLowerCase() as Address)
  const balances = await Promise.all(
    [...holders].map((address) => l2Public.getBalance({ address, blockNumber: head })),
  )
  const supply = balances.reduce((a, b) => a + b, 0n)
  const passer = await l2Public.getBalance({ address: MESSAGE_PASSER, blockNumber: head })
  return { head, supply, mints, withdrawn, feesBurned, passer }
}

/** Checks the accounting identity and that the portal holds at least the L2 supply; returns both. */
async function expectSolvent() {
  const { l1Public } = bridgeClients(d, 0)
  const a = await l2Accounting()
  const portal = await l1Public.getBalance({ address: d.deployment.shards[0].portal })
  expect(a.supply).toBe(GENESIS_LOCK + a.mints - a.withdrawn - a.feesBurned)
  expect(a.passer).toBe(a.withdrawn)
  expect(a.supply).toBeLessThanOrEqual(portal)
  return { ...a, portal }
}

/** Initiates a withdrawal of `value` from dev account `i` and takes it through viem to L1. */
async function withdraw(i: number, value: bigint, beforeProving?: () => Promise<void>) {
  const { l1, l2 } = bridgeClients(d, i)
  const recipient = privateKeyToAccount(generatePrivateKey()).address
  const hash = await l2.initiateWithdrawal({ request: { gas: 21_000n, to: recipient, value } })
  const receipt = await l2.waitForTransactionReceipt({ hash })
  expect(receipt.status).toBe('success')
  await beforeProving?.()
  const { output, withdrawal } = await l1.waitToProve({
    receipt,
    targetChain: d.l2Chain,
    pollingInterval: 250,
  })
  const args = await l2.buildProveWithdrawal({ output, withdrawal })
  const proven = await l1.proveWithdrawal(args)
  expect((await l1.waitForTransactionReceipt({ hash: proven })).status).toBe('success')
  await l1.waitToFinalize({ targetChain: d.l2Chain, withdrawalHash: withdrawal.withdrawalHash })
  const finalized = await l1.finalizeWithdrawal({ targetChain: d.l2Chain, withdrawal })
  expect((await l1.waitForTransactionReceipt({ hash: finalized })).status).toBe('success')
  expect(await l1.getBalance({ address: recipient })).toBe(value)
  return { receipt, output }
}

describe('genesis output', () => {
  test("default: the oracle's output 0 is the running node's genesis output", async () => {
    const { l1Public, l2Public } = bridgeClients(d, 0)
    const expected = await genesisOutput(spec, 901)
    const block = await l2Public.getBlock({ blockNumber: 0n })
    expect({ hash: block.hash, stateRoot: block.stateRoot }).toEqual({
      hash: expected.blockHash,
      stateRoot: expected.stateRoot,
    })
    const atBlock = (await l2Public.request({
      method: 'optimism_outputAtBlock' as never,
      params: [toHex(0)] as never,
    })) as { outputRoot: Hex; stateRoot: Hex; withdrawalStorageRoot: Hex }
    expect(atBlock).toMatchObject({
      outputRoot: expected.outputRoot,
      stateRoot: expected.stateRoot,
      withdrawalStorageRoot: expected.withdrawalStorageRoot,
    })
    const oracle = { address: d.deployment.shards[0].l2OutputOracle, abi: l2OutputOracleAbi }
    const output = await l1Public.readContract({
      ...oracle,
      functionName: 'getL2Output',
      args: [0n],
    })
    expect(output).toMatchObject({ outputRoot: expected.outputRoot, l2BlockNumber: 0n })
  })
})

describe('solvency', () => {
  test('default: the portal holds the genesis ETH from the start; a withdrawal of genesis ETH goes through viem at once, before any output is proposed', async () => {
    const { l1Public } = bridgeClients(d, 0)
    const portal = d.deployment.shards[0].portal
    expect(await l1Public.getBalance({ address: portal })).toBe(GENESIS_LOCK)
    const start = await expectSolvent()
    expect(start.supply).toBe(GENESIS_LOCK)

    // No deposit was ever made: only the genesis lock backs this withdrawal.
    const amount = parseEther('2')
    const oracle = { address: d.deployment.shards[0].l2OutputOracle, abi: l2OutputOracleAbi }
    const { output } = await withdraw(4, amount, async () => {
      // viem's waitToProve starts while the oracle holds nothing but the genesis output.
      expect(await l1Public.readContract({ ...oracle, functionName: 'nextOutputIndex' })).toBe(1n)
    })
    expect(output.outputIndex).toBeGreaterThanOrEqual(1n)
    const after = await expectSolvent()
    expect(after.portal).toBe(GENESIS_LOCK - amount)
    expect(after.withdrawn).toBe(amount)
  }, 180_000)

  test('behavior: across deposits, transfers and finalized withdrawals, supply = genesis + mints − withdrawn − fees burned ≤ portal', async () => {
    const { l1Public } = bridgeClients(d, 0)
    const portal = d.deployment.shards[0].portal
    const before = await l1Public.getBalance({ address: portal })
    const deposits = [
      { from: 3, to: 3, mint: parseEther('1') },
      { from: 5, to: 7, mint: parseEther('0.5') },
    ]
    for (const { from, to, mint } of deposits) {
      const { l1, l2Public } = bridgeClients(d, from)
      const target = bridgeClients(d, to).account.address
      const balance = await l2Public.getBalance({ address: target })
      const hash = await l1.depositTransaction({
        request: { gas: 50_000n, mint, to: target },
        targetChain: d.l2Chain,
      })
      expect((await l1.waitForTransactionReceipt({ hash })).status).toBe('success')
      // In flight (on L1, not yet on L2): the portal holds more than L2's supply.
      await expectSolvent()
      for (let until = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 250))) {
        if ((await l2Public.getBalance({ address: target })) >= balance + mint) break
        if (Date.now() > until) throw new Error(`deposit ${hash} not on L2 within 30 s`)
      }
    }
    const deposited = deposits.reduce((sum, x) => sum + x.mint, 0n)
    expect(await l1Public.getBalance({ address: portal })).toBe(before + deposited)

    // An L2 transfer that pays fees (the base fee is burned, the tip goes to the coinbase).
    const { l2 } = bridgeClients(d, 6)
    const transfer = await l2.sendTransaction({
      to: bridgeClients(d, 7).account.address,
      value: parseEther('0.1'),
    })
    expect((await l2.waitForTransactionReceipt({ hash: transfer })).status).toBe('success')
    const mid = await expectSolvent()
    expect(mid.feesBurned).toBeGreaterThan(0n)

    const amount = parseEther('0.3')
    await withdraw(7, amount)
    const end = await expectSolvent()
    expect(end.portal).toBe(before + deposited - amount)
    // Everything deposited is minted and everything withdrawn paid out: the portal holds exactly
    // L2's supply plus the ETH L2 burned as base fees.
    expect(end.mints).toBe(deposited)
    expect(end.portal).toBe(end.supply + end.feesBurned)
  }, 180_000)
})
