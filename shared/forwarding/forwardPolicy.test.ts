import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { SequencerUnavailableError, TransactionRejectedError } from '../errors.js'
import { toRpcError } from '../rpc/toRpcError.js'
import { decodeRawTransaction } from '../txpool/decodeRawTransaction.js'
import { DEFAULT_POOL_LIMITS } from '../txpool/txPool.js'
import {
  afterResend,
  checkForward,
  keptAfterFailure,
  pendingNonce,
  resendStep,
  retryableForward,
} from './forwardPolicy.js'
import { nonceOfRaw } from './outbox.js'
import { fromRpcError } from './remoteError.js'

const account = privateKeyToAccount(
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
)
const BUMP = DEFAULT_POOL_LIMITS.priceBumpPercent

/** A signed transfer of the dev account, decoded as a node decodes eth_sendRawTransaction's bytes. */
async function transfer(
  nonce: number,
  maxFeePerGas: bigint,
  maxPriorityFeePerGas: bigint,
  value = 1n,
) {
  const raw = await account.signTransaction({
    chainId: 901,
    type: 'eip1559',
    to: account.address,
    value,
    nonce,
    gas: 21_000n,
    maxFeePerGas,
    maxPriorityFeePerGas,
  })
  return decodeRawTransaction(raw, 901)
}

/** An error as it comes back from another node: through the wire format and `fromRpcError`. */
const overTheWire = (err: unknown) =>
  fromRpcError(JSON.parse(JSON.stringify(toRpcError(err))) as ReturnType<typeof toRpcError>)

describe('pendingNonce', () => {
  test('default: the state nonce when the node holds nothing', () => {
    expect(pendingNonce(7n, () => false)).toBe(7n)
  })

  test('behavior: counts forwarded nonces in a row from the state nonce, as a wallet needs', () => {
    // A wallet sent 7, 8, 9 through this node; none is mined yet here.
    const forwarded = new Set([7n, 8n, 9n])
    expect(pendingNonce(7n, (n) => forwarded.has(n))).toBe(10n)
    // 7 was mined (state nonce 8): the rest still count.
    expect(pendingNonce(8n, (n) => forwarded.has(n))).toBe(10n)
  })

  test('behavior: a gap stops the count (geth: queued transactions are not pending)', () => {
    const held = new Set([7n, 9n])
    expect(pendingNonce(7n, (n) => held.has(n))).toBe(8n)
  })
})

describe('checkForward', () => {
  test('default: a new nonce goes on to the sequencer', async () => {
    const held = await transfer(0, 100n, 10n)
    const next = await transfer(1, 100n, 10n)
    expect(checkForward(next.tx, next.hash, [held], BUMP)).toBeUndefined()
    expect(checkForward(next.tx, next.hash, [], BUMP)).toBeUndefined()
  })

  test('behavior: the same transaction again is "already known" (-32000)', async () => {
    const t = await transfer(0, 100n, 10n)
    const err = checkForward(t.tx, t.hash, [t], BUMP)
    expect(err).toBeInstanceOf(TransactionRejectedError)
    expect(toRpcError(err)).toEqual({ code: -32000, message: 'already known' })
  })

  test('behavior: a replacement must bump both fee caps by 10% (geth, -32000)', async () => {
    const first = await transfer(0, 100n, 10n)
    for (const [fee, tip] of [
      [100n, 10n],
      [109n, 11n],
      [110n, 10n],
    ] as const) {
      const r = await transfer(0, fee, tip, 2n)
      expect(toRpcError(checkForward(r.tx, r.hash, [first], BUMP))).toEqual({
        code: -32000,
        message: 'replacement transaction underpriced',
      })
    }
    const bumped = await transfer(0, 110n, 11n, 2n)
    expect(checkForward(bumped.tx, bumped.hash, [first], BUMP)).toBeUndefined()
  })
})

describe('forward outcomes', () => {
  test("default: a refusal comes back typed, with the sequencer's code and words", () => {
    const err = overTheWire(new TransactionRejectedError('nonce too low: next nonce 3, tx nonce 2'))
    expect(err).toBeInstanceOf(TransactionRejectedError)
    expect(toRpcError(err)).toEqual({
      code: -32000,
      message: 'nonce too low: next nonce 3, tx nonce 2',
    })
    expect(keptAfterFailure(err)).toBe(false)
    expect(retryableForward(err)).toBe(false)
  })

  test('behavior: pooled at the sequencer (EIP-7966 4 and 5) stays in the outbox', () => {
    for (const code of [4, 5]) {
      const err = fromRpcError({ code, message: 'x', data: '0x01' })
      expect(keptAfterFailure(err)).toBe(true)
      expect(toRpcError(err)).toEqual({ code, message: 'x', data: '0x01' })
    }
  })

  test('behavior: a node that is not the sequencer any more (-32002) is retried, not refused', () => {
    const err = overTheWire(new SequencerUnavailableError('this node is not the sequencer now'))
    expect(retryableForward(err)).toBe(true)
    expect(keptAfterFailure(err)).toBe(false)
    expect(afterResend(err)).toBe('later')
  })

  test('behavior: an unknown code passes through as it came', () => {
    const err = fromRpcError({ code: -32099, message: 'odd', data: { a: 1 } })
    expect(toRpcError(err)).toEqual({ code: -32099, message: 'odd', data: { a: 1 } })
    expect(afterResend(err)).toBe('later')
  })
})

describe('resend across a handover', () => {
  const opts = { resendMs: 10_000, expiryMs: 3_600_000 }
  const now = 1_000_000

  test('default: sent recently and not mined: waits', () => {
    expect(resendStep({ firstSent: now - 1, lastSent: now - 1 }, undefined, 5n, now, opts)).toBe(
      'wait',
    )
  })

  test('behavior: a new holder (every entry marked unsent) gets everything at once', () => {
    expect(resendStep({ firstSent: now - 1, lastSent: 0 }, undefined, 5n, now, opts)).toBe('send')
  })

  test('behavior: in an unsafe block it waits; that block replaced by the next holder, it goes again', () => {
    const f = { firstSent: now - 20_000, lastSent: now - 20_000 }
    expect(resendStep(f, 9n, 5n, now, opts)).toBe('wait')
    expect(resendStep(f, undefined, 5n, now, opts)).toBe('send')
    expect(resendStep(f, 5n, 5n, now, opts)).toBe('remove')
  })

  test('behavior: "already known" at the new holder keeps it; a refusal of one not there drops it', () => {
    const known = overTheWire(new TransactionRejectedError('already known'))
    expect(afterResend(known, 'pending')).toBe('sent')
    expect(afterResend(known, 'mined')).toBe('sent')
    const low = overTheWire(new TransactionRejectedError('nonce too low: next nonce 3, tx nonce 2'))
    expect(afterResend(low, 'unknown')).toBe('drop')
    expect(afterResend(undefined)).toBe('sent')
  })

  test('behavior: expired entries leave', () => {
    expect(resendStep({ firstSent: 0, lastSent: 0 }, undefined, 5n, opts.expiryMs + 1, opts)).toBe(
      'remove',
    )
  })
})

describe('nonceOfRaw', () => {
  test('default: typed and legacy transactions', async () => {
    expect(nonceOfRaw((await transfer(42, 100n, 1n)).raw)).toBe(42n)
    const legacy = await account.signTransaction({
      chainId: 901,
      type: 'legacy',
      to: account.address,
      nonce: 300,
      gas: 21_000n,
      gasPrice: 1n,
    })
    expect(nonceOfRaw(decodeRawTransaction(legacy, 901).raw)).toBe(300n)
  })
})
