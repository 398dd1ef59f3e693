import { env, runInDurableObject } from 'cloudflare:test'
import { keccak256, parseEther, parseGwei, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import genesis from '../../genesis.json'
import { encodeDeposit, type DepositTx } from '../../shared/chain/depositTx.js'
import type { GenesisSpec } from '../../shared/chain/genesis.js'
import { MAX_SEQUENCER_DRIFT, type WatchedL1Block } from '../../shared/chain/l1Origins.js'
import { ChainCore } from '../../shared/chain/chainCore.js'
import { Sequencing } from '../../shared/sequencing/sequencing.js'
import { decodeBatch, encodeBatch, type Batch } from '../../shared/settlement/batchCodec.js'
import { batchBlocks } from '../../shared/derivation/batchBlocks.js'
import { deriveBlock } from '../../shared/derivation/deriveBlock.js'
import { forceDeposits, type ForcedReport } from '../../shared/derivation/forcedBlocks.js'
import { decodeRawTransaction } from '../../shared/txpool/decodeRawTransaction.js'
import { KEYS } from './helpers.js'

// Invariant 3: derivation is deterministic. A sequencer seals blocks with deposits from (stand-in)
// L1 blocks; a second chain re-creates every block from the decoded batches and the same L1 blocks
// alone and gets the same block hashes. L1 blocks are given directly: the watcher that reads them
// from a real L1 is exercised end to end in test/e2e/bridge.*.

const COINBASE = '0x4200000000000000000000000000000000000011'
const BATCHER = '0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f'
const alice = privateKeyToAccount(KEYS[0])
const bob = privateKeyToAccount(KEYS[1]).address.toLowerCase() as Hex
const L1_START = 100n

const deposit = (n: number, d: Partial<DepositTx>): DepositTx => ({
  sourceHash: keccak256(toHex(`deposit ${n}`)),
  from: bob,
  to: alice.address.toLowerCase() as Hex,
  mint: parseEther('1'),
  value: 0n,
  gas: 100_000n,
  isSystemTx: false,
  data: '0x',
  ...d,
})

/** L1 blocks 100.. linked by parent hash, ten minutes old (before any L2 block), with deposits. */
function l1Blocks(deposits: DepositTx[][]): WatchedL1Block[] {
  let parentHash = keccak256('0x99')
  return deposits.map((ds, i) => {
    const hash = keccak256(toHex(`l1 block ${i}`))
    const b = {
      number: L1_START + BigInt(i),
      hash,
      parentHash,
      timestamp: BigInt(Math.floor(Date.now() / 1000)) - 600n + BigInt(i),
      baseFee: 7n,
      deposits: ds.map(encodeDeposit),
    }
    parentHash = hash
    return b
  })
}

const open = (sql: SqlStorage, storage: DurableObjectStorage) =>
  ChainCore.open({
    sql,
    transact: (fn) => storage.transactionSync(fn),
    chainId: 901,
    genesis: genesis as GenesisSpec,
    blockGasLimit: 30_000_000n,
    l1: { startBlock: L1_START, batcher: BATCHER },
  }).then((core) => Sequencing.open(core))

const transfer = (nonce: number) =>
  alice.signTransaction({
    chainId: 901,
    type: 'eip1559',
    nonce,
    gas: 21_000n,
    maxFeePerGas: parseGwei('10'),
    maxPriorityFeePerGas: BigInt(nonce + 1),
    to: bob,
    value: 1000n + BigInt(nonce),
  })

// Returns 42 from a contract created by a deposit.
const INIT_CODE = '0x600a600c600039600a6000f3602a60005260206000f3'

describe('derivation from batches', () => {
  test('default: blocks re-created from decoded batches and L1 blocks have the sequencer hashes', async () => {
    const [first, second] = l1Blocks([
      [],
      [deposit(1, {}), deposit(2, { to: undefined, data: INIT_CODE, gas: 200_000n })],
    ])
    const [, , third] = l1Blocks([[], [], [deposit(3, { gas: 1_000n }), deposit(4, { value: 5n })]])
    const sequencer = env.SEQUENCER.get(env.SEQUENCER.idFromName('derive-sequencer'))
    const { hashes, batch } = await runInDurableObject(sequencer, async (_i, state) => {
      const chain = await open(state.storage.sql, state.storage)
      const now = BigInt(Math.floor(Date.now() / 1000))
      chain.core.recordL1Blocks([first, second])
      await chain.submit(decodeRawTransaction(await transfer(0), 901))
      await chain.seal(now, COINBASE) // block 1: origin 101 with its two deposits
      for (const nonce of [1, 2])
        await chain.submit(decodeRawTransaction(await transfer(nonce), 901))
      await chain.seal(now + 1n, COINBASE) // block 2: same origin, sequence number 1
      chain.core.recordL1Blocks([third])
      expect(await chain.seal(now + 2n, COINBASE)).toBeDefined() // block 3: a new origin alone
      await chain.submit(decodeRawTransaction(await transfer(3), 901))
      await chain.seal(now + 3n, COINBASE)
      expect(chain.core.headHeader.number).toBe(4n)

      // The deposits as OP executes them: the creation deployed code, the one below its intrinsic
      // gas failed but used its sender's nonce, the L1-info deposit opens every block.
      const receipts = chain.core.store.txsOfBlock(1n).map((t) => JSON.parse(t.receipt))
      expect(receipts.map((r) => r.type)).toEqual(['0x7e', '0x7e', '0x7e', '0x2'])
      expect(receipts.map((r) => r.status)).toEqual(['0x1', '0x1', '0x1', '0x1'])
      expect(receipts[2].contractAddress).toMatch(/^0x[0-9a-f]{40}$/)
      const failed = chain.core.store.txsOfBlock(3n).map((t) => JSON.parse(t.receipt))
      expect(failed.map((r) => r.status)).toEqual(['0x1', '0x0', '0x1'])
      // bob's failed deposit used nonce n; his next deposit got n + 1.
      expect(BigInt(failed[2].depositNonce)).toBe(BigInt(failed[1].depositNonce) + 1n)

      const data = await encodeBatch({
        chainId: 901,
        parentHash: chain.core.store.blockHash(0n)!,
        blocks: batchBlocks(chain.core, 1n, 4n),
      })
      const hashes = [1n, 2n, 3n, 4n].map((n) => chain.core.store.blockHash(n)!)
      return { hashes, batch: data }
    })

    const decoded: Batch = await decodeBatch(batch)
    const peer = env.SEQUENCER.get(env.SEQUENCER.idFromName('derive-peer'))
    const derived = await runInDurableObject(peer, async (_i, state) => {
      const chain = await open(state.storage.sql, state.storage)
      chain.core.recordL1Blocks([first, second, third])
      const out: Hex[] = []
      for (const b of decoded.blocks)
        out.push((await deriveBlock(chain.core, b, COINBASE)).indexed.hash)
      return out
    })
    expect(derived).toEqual(hashes)

    // A batch whose transactions are out of nonce order, or whose origin is not the L1 block it
    // names, cannot be derived, and the peer's head stays where it was.
    const bad = env.SEQUENCER.get(env.SEQUENCER.idFromName('derive-bad'))
    await runInDurableObject(bad, async (_i, state) => {
      const chain = await open(state.storage.sql, state.storage)
      chain.core.recordL1Blocks([first, second, third])
      await deriveBlock(chain.core, decoded.blocks[0], COINBASE)
      const swapped = { ...decoded.blocks[1], txs: [...decoded.blocks[1].txs].reverse() }
      await expect(deriveBlock(chain.core, swapped, COINBASE)).rejects.toThrow(/nonce/)
      const forged = { ...decoded.blocks[1], l1OriginHash: keccak256('0xbad') as Hex }
      await expect(deriveBlock(chain.core, forged, COINBASE)).rejects.toThrow(/L1 origin/)
      // Nor one timed before its L1 origin, or more than MAX_SEQUENCER_DRIFT after it (a time-warp).
      const origin = [first, second, third].find(
        (b) => b.number === decoded.blocks[1].l1OriginNumber,
      )!
      for (const timestamp of [origin.timestamp - 1n, origin.timestamp + MAX_SEQUENCER_DRIFT + 1n])
        await expect(
          deriveBlock(chain.core, { ...decoded.blocks[1], timestamp }, COINBASE),
        ).rejects.toThrow(/not within 1800 s/)
      expect(chain.core.headHeader.number).toBe(1n)
      // A block that names its fee recipient is derived with that coinbase (another block), in
      // place of the default given.
      const elsewhere = '0x00000000000000000000000000000000000000e1'
      const named = { ...decoded.blocks[1], coinbase: elsewhere } as const
      expect((await deriveBlock(chain.core, named, COINBASE)).indexed.hash).not.toBe(hashes[1])
      expect(chain.core.headHeader.coinbase.toString()).toBe(elsewhere)
      await chain.core.unwindTo(1n)
      expect((await deriveBlock(chain.core, decoded.blocks[1], COINBASE)).indexed.hash).toBe(
        hashes[1],
      )
    })
  })
})

describe('sequencer drift', () => {
  test('behavior: a sequencer whose newest L1 origin is older than MAX_SEQUENCER_DRIFT seals nothing until it reads a newer one', async () => {
    const now = BigInt(Math.floor(Date.now() / 1000))
    const [stale, fresh] = l1Blocks([[], []]).map((b, i) => ({
      ...b,
      timestamp: i === 0 ? now - MAX_SEQUENCER_DRIFT - 60n : now - 5n,
    }))
    await runInDurableObject(
      env.SEQUENCER.get(env.SEQUENCER.idFromName('drift')),
      async (_i, state) => {
        const chain = await open(state.storage.sql, state.storage)
        chain.core.recordL1Blocks([stale])
        await chain.submit(decodeRawTransaction(await transfer(0), 901))
        expect(await chain.seal(now, COINBASE)).toBeUndefined()
        expect(chain.core.headHeader.number).toBe(0n)
        chain.core.recordL1Blocks([fresh])
        expect(await chain.seal(now, COINBASE)).toBeDefined()
        expect(chain.core.origins.originOf(1n)?.l1Number).toBe(fresh.number)
      },
    )
  })
})

describe('forced inclusion (a pool-sequenced shard)', () => {
  // L1 blocks 100..110, a deposit in 102; a window of 3 L1 blocks.
  const blocks = l1Blocks([[], [], [deposit(7, {})], [], [], [], [], [], [], [], []])
  const windowAt = async () => 3n
  const force = (core: ChainCore, through: bigint, report: ForcedReport, maxBlocks = 64) =>
    forceDeposits(
      core,
      { windowAt, l1StartBlock: L1_START, coinbase: COINBASE, through, maxBlocks },
      report,
    )
  const fresh = (): ForcedReport => ({ derived: [], forced: 0, unwoundTxs: [] })

  test('behavior: once the next L1 origin’s window has passed, one deposit-only block moves the safe head a whole window on and replaces the unsafe ones, the same on every node', async () => {
    const run = (name: string, sealFirst: boolean) =>
      runInDurableObject(env.SEQUENCER.get(env.SEQUENCER.idFromName(name)), async (_i, state) => {
        const chain = await open(state.storage.sql, state.storage)
        chain.core.recordL1Blocks(blocks)
        const raw = await transfer(0)
        if (sealFirst) {
          await chain.submit(decodeRawTransaction(raw, 901))
          await chain.seal(BigInt(Math.floor(Date.now() / 1000)), COINBASE) // unsafe block 1
        }
        // Origin 100 (the first) is due by L1 block 103: nothing is forced through 102.
        expect(await force(chain.core, 102n, fresh())).toBe(true)
        expect(chain.core.safeHead()).toBe(0n)
        expect(chain.core.headHeader.number).toBe(sealFirst ? 1n : 0n)
        // Through 104: one block, origin 103, carrying the deposits of 100..103 (the one in 102,
        // after the L1-info deposit); the sealed block is unwound and its transaction reported.
        const report = fresh()
        expect(await force(chain.core, 104n, report)).toBe(true)
        expect(report.forced).toBe(1)
        expect(chain.core.safeHead()).toBe(1n)
        expect(chain.core.headHeader.number).toBe(1n)
        expect(report.unwoundTxs).toEqual(sealFirst ? [raw] : [])
        expect(report.unwoundTo).toBe(sealFirst ? 0n : undefined)
        const txs = chain.core.store.txsOfBlock(1n).map((t) => JSON.parse(t.receipt))
        expect(txs.map((r) => r.type)).toEqual(['0x7e', '0x7e'])
        expect(txs[1].from).toBe(bob)
        expect(chain.core.origins.originOf(1n)?.l1Number).toBe(103n)
        expect(chain.core.headHeader.coinbase.toString()).toBe(COINBASE)
        // The next origin, 104, is due by 107: nothing more until then; then origin 107.
        expect(await force(chain.core, 106n, fresh())).toBe(true)
        expect(chain.core.headHeader.number).toBe(1n)
        expect(await force(chain.core, 107n, fresh())).toBe(true)
        expect(chain.core.origins.originOf(2n)?.l1Number).toBe(107n)
        expect(chain.core.store.txsOfBlock(2n).length).toBe(1) // the L1-info deposit only
        return [1n, 2n].map((n) => chain.core.store.blockHash(n))
      })
    expect(await run('forced-a', true)).toEqual(await run('forced-b', false))
  })

  test('behavior: a round stops at its block budget and says so; the next goes on', async () => {
    await runInDurableObject(
      env.SEQUENCER.get(env.SEQUENCER.idFromName('forced-c')),
      async (_i, state) => {
        const chain = await open(state.storage.sql, state.storage)
        chain.core.recordL1Blocks(blocks)
        // Through 110: origins 103 and 107 are forced, two blocks; a budget of one stops after one.
        const report = fresh()
        expect(await force(chain.core, 110n, report, 1)).toBe(false)
        expect(report.forced).toBe(1)
        expect(await force(chain.core, 110n, fresh())).toBe(true)
        expect(chain.core.safeHead()).toBe(2n)
        expect(chain.core.origins.originOf(2n)?.l1Number).toBe(107n)
      },
    )
  })
})
