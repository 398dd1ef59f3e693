import { createBlockHeader } from '@ethereumjs/block'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import {
  Address,
  bytesToHex,
  createAccount,
  createAddressFromPrivateKey,
  hexToBytes,
} from '@ethereumjs/util'
import { createVM } from '@ethereumjs/vm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { describe, expect, test } from 'vitest'
import { createChainCommon } from '../chain/chainCommon.js'
import { RetryableError } from '../errors.js'
import { BlockBuildFault, buildBlock, type ReadyTx, type TxCandidates } from './buildBlock.js'
import type { Execution } from './createExecution.js'

const key = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const sender = createAddressFromPrivateKey(key)
const recipient = new Address(hexToBytes('0x00000000000000000000000000000000000b0b00'))
const common = createChainCommon(901)
const opts = { timestamp: 2n, coinbase: '0x4200000000000000000000000000000000000011' as const }

/** A real VM over ethereumjs's in-memory state with the sender funded, and the parent header. */
async function setup() {
  const vm = await createVM({ common })
  const state = vm.stateManager as MerkleStateManager
  await state.putAccount(sender, createAccount({ balance: 10n ** 21n }))
  const parent = createBlockHeader(
    {
      number: 0n,
      gasLimit: 30_000_000n,
      baseFeePerGas: 1_000_000_000n,
      timestamp: 1n,
      stateRoot: await state.getStateRoot(),
    },
    { common },
  )
  // Only `discard` of the node store is reached here (the in-memory trie keeps its own nodes).
  const exec = { vm, state, common, nodes: { discard() {} } } as unknown as Execution
  return { exec, state, parent }
}

function transfer(nonce: bigint): ReadyTx {
  const tx = createFeeMarket1559Tx(
    {
      chainId: 901n,
      nonce,
      gasLimit: 21_000n,
      maxFeePerGas: 10_000_000_000n,
      maxPriorityFeePerGas: 1n,
      to: recipient,
      value: 1n,
    },
    { common },
  ).sign(key)
  return { hash: bytesToHex(tx.hash()), sender: sender.toString(), tx, raw: tx.serialize() }
}

/** The pool's view for one sender, in nonce order; records what buildBlock did with each. */
function candidates(txs: ReadyTx[]): TxCandidates & { taken: number; skipped: boolean } {
  const c = {
    taken: 0,
    skipped: false,
    peek: () => (c.skipped ? undefined : txs[c.taken]),
    shift: () => void c.taken++,
    pop: () => void (c.skipped = true),
  }
  return c
}

describe('buildBlock', () => {
  test('default: includes valid transactions, drops an invalid one with its reason', async () => {
    const { exec, parent } = await setup()
    const out = await buildBlock(exec, parent, candidates([transfer(0n), transfer(5n)]), {
      ...opts,
      gasLimit: 30_000_000n,
    })
    expect(out.included.map((i) => i.ready.tx.nonce)).toEqual([0n])
    expect(out.dropped.map((d) => d.reason)).toEqual(['nonce too low'])
  })

  test('behavior: a node fault stops the block, keeps the transaction, and a retry includes it', async () => {
    const { exec, state, parent } = await setup()
    const read = state.getAccount.bind(state)
    let faulty = true
    state.getAccount = async (address) => {
      if (faulty && address.equals(recipient)) throw new Error('SQLITE_IOERR: disk I/O error')
      return read(address)
    }
    const pool = candidates([transfer(0n)])
    const root = bytesToHex(await state.getStateRoot())
    const fault = await buildBlock(exec, parent, pool, { ...opts, gasLimit: 30_000_000n }).catch(
      (err: unknown) => err,
    )
    expect(fault).toBeInstanceOf(BlockBuildFault)
    expect(fault).toBeInstanceOf(RetryableError)
    expect((fault as BlockBuildFault).hash).toBe(pool.peek()!.hash)
    expect((fault as Error).cause).toMatchObject({ message: 'SQLITE_IOERR: disk I/O error' })
    // Not dropped, not taken: still the pool's next candidate; the state is the parent's.
    expect(pool.taken).toBe(0)
    expect(pool.skipped).toBe(false)
    expect(bytesToHex(await state.getStateRoot())).toBe(root)
    expect((await state.getAccount(sender))!.nonce).toBe(0n)

    faulty = false
    const out = await buildBlock(exec, parent, pool, { ...opts, gasLimit: 30_000_000n })
    expect(out.included).toHaveLength(1)
    expect(out.dropped).toEqual([])
    expect((await state.getAccount(recipient))!.balance).toBe(1n)
  })
})
