import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { hexToBytes } from '@ethereumjs/util'
import type { Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { createChainCommon } from '../chain/chainCommon.js'
import { DEFAULT_POOL_LIMITS, TxPool, type PoolEntry } from './txPool.js'
import { validateTransaction, type AdmissionContext } from './validateTransaction.js'

const common = createChainCommon(901)
const key = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
let seq = 0

function entry(sender: Hex, nonce: bigint, tip: bigint, maxFee = 100n): PoolEntry {
  const tx = createFeeMarket1559Tx(
    { nonce, gasLimit: 21000n, maxFeePerGas: maxFee, maxPriorityFeePerGas: tip, to: sender },
    { common },
  ).sign(key)
  return {
    hash: `0x${(++seq).toString(16).padStart(64, '0')}`,
    sender,
    tx,
    nonce,
    raw: new Uint8Array(),
    pubkey: new Uint8Array(),
    seq,
  }
}

const A = '0x00000000000000000000000000000000000000aa' as Hex
const B = '0x00000000000000000000000000000000000000bb' as Hex

function drain(pool: TxPool, nonces: Map<Hex, bigint>, baseFee: bigint) {
  const c = pool.candidates(nonces, baseFee)
  const out: string[] = []
  for (let t = c.peek(); t; t = c.peek()) {
    out.push(`${t.sender === A ? 'A' : 'B'}${(t as PoolEntry).nonce}`)
    c.shift()
  }
  return out
}

describe('TxPool', () => {
  test('orders by tip across senders and by nonce within one', () => {
    const pool = new TxPool()
    pool.add(entry(A, 0n, 5n))
    pool.add(entry(A, 1n, 50n))
    pool.add(entry(B, 0n, 10n))
    pool.add(entry(B, 1n, 1n))
    expect(
      drain(
        pool,
        new Map([
          [A, 0n],
          [B, 0n],
        ]),
        10n,
      ),
    ).toEqual(['B0', 'A0', 'A1', 'B1'])
  })

  test('behavior: a nonce gap is queued, not executable', () => {
    const pool = new TxPool()
    pool.add(entry(A, 0n, 5n))
    pool.add(entry(A, 2n, 5n))
    const nonces = new Map([[A, 0n]])
    expect(drain(pool, nonces, 1n)).toEqual(['A0'])
    expect(pool.split(nonces).queued.map((e) => e.nonce)).toEqual([2n])
    expect(pool.nextNonce(A, 0n)).toBe(1n)
  })

  test('behavior: effective tip is capped by fee cap minus base fee', () => {
    const pool = new TxPool()
    pool.add(entry(A, 0n, 50n, 60n)) // effective tip at base fee 50: 10
    pool.add(entry(B, 0n, 20n, 100n)) // effective tip 20
    expect(
      drain(
        pool,
        new Map([
          [A, 0n],
          [B, 0n],
        ]),
        50n,
      ),
    ).toEqual(['B0', 'A0'])
  })

  test('behavior: replacing keeps one entry per nonce', () => {
    const pool = new TxPool()
    const first = entry(A, 0n, 5n)
    pool.add(first)
    expect(pool.add(entry(A, 0n, 6n))).toBe(first)
    expect(pool.size).toBe(1)
    expect(pool.get(first.hash)).toBeUndefined()
  })
})

describe('validateTransaction', () => {
  const base = (over: Partial<AdmissionContext> = {}): AdmissionContext => ({
    hash: '0x01',
    sender: A,
    account: { nonce: 3n, balance: 10n ** 18n },
    baseFee: 10n,
    blockGasLimit: 30_000_000n,
    alreadyKnown: false,
    pooledCost: 0n,
    senderCount: 0,
    poolSize: 0,
    limits: DEFAULT_POOL_LIMITS,
    ...over,
  })
  const tx = (over: Record<string, bigint> = {}) =>
    createFeeMarket1559Tx(
      { nonce: 3n, gasLimit: 21000n, maxFeePerGas: 100n, maxPriorityFeePerGas: 1n, to: A, ...over },
      { common },
    ).sign(key)

  test('default: a good transaction is admitted', () => {
    expect(validateTransaction(tx(), base())).toEqual({ ok: true })
  })

  test.each([
    [{ nonce: 1n }, {}, 'nonce too low: next nonce 3, tx nonce 1'],
    [{ nonce: 100n }, {}, 'nonce too high: next nonce 3, tx nonce 100'],
    [{ gasLimit: 20000n }, {}, 'intrinsic gas too low: gas 20000, minimum needed 21000'],
    [{}, { blockGasLimit: 20_000n }, 'exceeds block gas limit'],
    [{ maxFeePerGas: 5n }, {}, 'max fee per gas less than block base fee'],
    [{}, { account: { nonce: 3n, balance: 5n } }, 'insufficient funds for gas * price + value'],
    [{}, { alreadyKnown: true }, 'already known'],
    [
      {},
      { account: { nonce: 3n, balance: 3_000_000n }, pooledCost: 1_000_000n },
      'insufficient funds for gas * price + value: balance 3000000, queued cost 1000000',
    ],
    [{}, { senderCount: 64 }, 'account limit exceeded'],
    [{}, { poolSize: 8192 }, 'txpool is full'],
  ])('behavior: rejects %o %o with geth wording', (over, ctx, message) => {
    const v = validateTransaction(tx(over), base(ctx as Partial<AdmissionContext>))
    expect(v.ok).toBe(false)
    expect(!v.ok && v.error).toContain(message)
  })

  test('behavior: replacement needs a 10% bump of both fee caps', () => {
    const existing = { tx: tx({ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }) } as PoolEntry
    expect(
      validateTransaction(
        tx({ maxFeePerGas: 109n, maxPriorityFeePerGas: 11n }),
        base({ existing }),
      ),
    ).toEqual({ ok: false, error: 'replacement transaction underpriced' })
    expect(
      validateTransaction(
        tx({ maxFeePerGas: 110n, maxPriorityFeePerGas: 11n }),
        base({ existing }),
      ),
    ).toEqual({ ok: true })
  })
})
