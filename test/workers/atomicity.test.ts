import { env, runInDurableObject } from 'cloudflare:test'
import { bytesToHex } from '@ethereumjs/util'
import { parseEther, parseGwei } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import genesis from '../../genesis.json'
import type { GenesisSpec } from '../../shared/chain/genesis.js'
import { ChainCore } from '../../shared/chain/chainCore.js'
import { MAX_FAULTS, Sequencing } from '../../shared/sequencing/sequencing.js'
import { BlockBuildFault } from '../../shared/execution/buildBlock.js'
import { decodeRawTransaction } from '../../shared/txpool/decodeRawTransaction.js'
import { KEYS } from './helpers.js'

const alice = privateKeyToAccount(KEYS[0])

/** The shard's chain core in a Durable Object's storage, with the storage transaction given. */
const openCore = (state: DurableObjectState, transact?: (fn: () => void) => void) =>
  ChainCore.open({
    sql: state.storage.sql,
    transact: transact ?? ((fn) => state.storage.transactionSync(fn)),
    chainId: 901,
    genesis: genesis as GenesisSpec,
    blockGasLimit: 30_000_000n,
  })

/** alice's signed transfer to KEYS_TO, decoded as the Worker hands it over. */
const transfer = async (nonce: number, value: bigint) =>
  decodeRawTransaction(
    await alice.signTransaction({
      chainId: 901,
      type: 'eip1559',
      nonce,
      gas: 21000n,
      maxFeePerGas: parseGwei('10'),
      maxPriorityFeePerGas: 1n,
      to: KEYS_TO,
      value,
    }),
    901,
  )

// Invariant 1: a block's writes (trie nodes, block, transactions, pool removals) commit together or not
// at all. A storage transaction that fails at its very end stands in for a crash mid-commit.
describe('sealing atomicity', () => {
  test('behavior: a failed commit leaves the previous head, state and pool intact', async () => {
    const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName('atomicity-test'))
    await runInDurableObject(stub, async (_instance, state) => {
      let failNext = false
      const core = await openCore(state, (fn) =>
        state.storage.transactionSync(() => {
          fn()
          if (failNext) throw new Error('simulated crash at commit')
        }),
      )
      const chain = Sequencing.open(core)
      const d = await transfer(0, parseEther('1'))
      await chain.submit(d)
      const head = core.store.head()!
      const nodesBefore = state.storage.sql.exec('SELECT COUNT(*) AS n FROM trie_nodes').one().n

      failNext = true
      await expect(
        chain.seal(
          BigInt(Math.floor(Date.now() / 1000)),
          '0x4200000000000000000000000000000000000011',
        ),
      ).rejects.toThrow('simulated crash')
      expect(core.store.head()!.hash).toBe(head.hash)
      expect(state.storage.sql.exec('SELECT COUNT(*) AS n FROM trie_nodes').one().n).toBe(
        nodesBefore,
      )
      expect(core.store.tx(d.hash)).toBeUndefined()
      expect(chain.pool.get(d.hash)).toBeDefined()
      expect((await core.headAccount(alice.address)).nonce).toBe(0n)

      failNext = false
      const sealed = await chain.seal(
        BigInt(Math.floor(Date.now() / 1000)),
        '0x4200000000000000000000000000000000000011',
      )
      expect(sealed?.indexed.number).toBe(head.number + 1n)
      expect(core.store.tx(d.hash)?.blockNumber).toBe(head.number + 1n)
      expect((await core.headAccount(alice.address)).nonce).toBe(1n)
      // A fresh reader of storage alone agrees with the in-memory head.
      const reopened = await openCore(state)
      expect(bytesToHex(reopened.headHeader.stateRoot)).toBe(bytesToHex(core.headHeader.stateRoot))
      expect((await reopened.headAccount(alice.address)).nonce).toBe(1n)
    })
  })
})

const KEYS_TO = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

// A node fault (an exception that is not the transaction's own invalidity) cannot be produced with
// real parts on demand, so here the core's `build` is made to throw BlockBuildFault for the first
// transaction, as buildBlock does when runTx fails for a reason of the node's. Everything else is real.
describe('node faults while sealing', () => {
  test('behavior: the transaction stays pooled and the block is retried; after MAX_FAULTS in a row it is dropped with the fault as its reason', async () => {
    const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName('fault-test'))
    await runInDurableObject(stub, async (_instance, state) => {
      const core = await openCore(state)
      const chain = Sequencing.open(core)
      const d = await transfer(0, 1n)
      await chain.submit(d)
      const realBuild = core.build.bind(core)
      let faults = 0
      core.build = async (...args) => {
        if (faults-- > 0) throw new BlockBuildFault(d.hash, new Error('disk on fire'))
        return realBuild(...args)
      }
      const seal = () => chain.seal(BigInt(Math.floor(Date.now() / 1000)), COINBASE)
      const head = core.headHeader.number

      // One fault, then the retry mines it.
      faults = 1
      await expect(seal()).rejects.toThrow(BlockBuildFault)
      expect(chain.pool.get(d.hash)).toBeDefined()
      expect(core.headHeader.number).toBe(head)
      expect((await seal())?.indexed.transactions.map((t) => t.hash)).toEqual([d.hash])

      // A transaction that faults every time is dropped after MAX_FAULTS, with the reason.
      const d2 = await transfer(1, 1n)
      await chain.submit(d2)
      core.build = async () => {
        throw new BlockBuildFault(d2.hash, new Error('disk on fire'))
      }
      for (let i = 0; i < MAX_FAULTS; i++) await expect(seal()).rejects.toThrow(BlockBuildFault)
      expect(chain.pool.get(d2.hash)).toBeUndefined()
      expect(chain.droppedReason(d2.hash)).toBe('node fault: disk on fire')
      expect((await core.headAccount(alice.address)).nonce).toBe(1n)
    })
  })
})

const COINBASE = '0x4200000000000000000000000000000000000011'
