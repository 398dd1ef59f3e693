import {
  create1559FeeMarketTxFromBytesArray,
  createAccessList2930TxFromBytesArray,
  createEOACode7702TxFromBytesArray,
  createLegacyTxFromBytesArray,
  createTxFromRLP,
  type TypedTransaction,
} from '@ethereumjs/tx'
import { RLP } from '@ethereumjs/rlp'
import {
  Address,
  bigIntToBytes,
  bytesToHex,
  concatBytes,
  hexToBytes,
  isHexString,
  setLengthLeft,
} from '@ethereumjs/util'
import type { Hex } from 'viem'
import { InvalidParamsError, TransactionRejectedError } from '../errors.js'
import { createChainCommon } from '../chain/chainCommon.js'
import { keccak256 } from '../chain/keccak.js'

/** The largest raw transaction accepted (geth's txMaxSize, 4 slots of 32 KiB). */
export const MAX_TX_BYTES = 128 * 1024

/** Transaction types a user may send: legacy, EIP-2930, EIP-1559, EIP-7702. */
export const SUPPORTED_TX_TYPES = [0, 1, 2, 4] as const

/**
 * Recovers an uncompressed public key (64 bytes, no prefix) from a 32-byte hash, a 64-byte r‖s
 * signature and a recovery id; the host may pass a faster one than ethereumjs's pure-JS default.
 */
export type RecoverPublicKey = (
  hash: Uint8Array,
  signature: Uint8Array,
  recoveryId: number,
) => Uint8Array | undefined

const SECP256K1_N_DIV_2 = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/** A raw transaction decoded and with its sender recovered: what the sequencer admits. */
export type DecodedTx = {
  raw: Uint8Array
  hash: Hex
  sender: Hex
  pubkey: Uint8Array
  tx: TypedTransaction
}

/**
 * Decodes `eth_sendRawTransaction`'s parameter and recovers the sender (the costly part, ~2 ms,
 * done in the stateless Worker where it scales out). Rejections use geth's wording.
 */
export function decodeRawTransaction(
  rawHex: unknown,
  chainId: number,
  recover?: RecoverPublicKey,
): DecodedTx {
  if (typeof rawHex !== 'string' || !isHexString(rawHex) || rawHex.length % 2 !== 0)
    throw new InvalidParamsError('invalid argument 0: expected hex-encoded transaction bytes')
  const raw = hexToBytes(rawHex as Hex)
  if (raw.length === 0) throw new InvalidParamsError('invalid argument 0: empty transaction')
  if (raw.length > MAX_TX_BYTES)
    throw new TransactionRejectedError(
      `oversized data: transaction size ${raw.length}, limit ${MAX_TX_BYTES}`,
    )
  const type = raw[0] >= 0xc0 ? 0 : raw[0]
  if (!(SUPPORTED_TX_TYPES as readonly number[]).includes(type))
    throw new TransactionRejectedError('transaction type not supported')
  const fields = decodeFields(raw, type)
  const txChainId = chainIdOf(fields, type)
  // Shards share keys and genesis, so an unprotected signature would replay on every one (geth refuses them too).
  if (txChainId === undefined)
    throw new TransactionRejectedError(
      'only replay-protected (EIP-155) transactions allowed over RPC',
    )
  if (txChainId !== BigInt(chainId))
    throw new TransactionRejectedError(
      `invalid chain id for signer: have ${txChainId} want ${chainId}`,
    )
  let tx: TypedTransaction
  try {
    tx = FROM_FIELDS[type as SupportedType](fields as never, { common: createChainCommon(chainId) })
  } catch (err) {
    throw gethRejection(err instanceof Error ? err.message : String(err))
  }
  let pubkey: Uint8Array | undefined
  try {
    if (!tx.isSigned()) throw new Error('unsigned')
    pubkey = recover ? recoverWith(recover, tx, fields, chainId) : tx.getSenderPublicKey()
    if (!pubkey) throw new Error('no key')
  } catch {
    throw new TransactionRejectedError('invalid sender')
  }
  // The RLP decoder refuses non-canonical encodings and the constructors integers with leading
  // zeros, so the bytes are the transaction's serialisation and their hash is its hash.
  return {
    raw,
    hash: bytesToHex(keccak256(raw)) as Hex,
    sender: bytesToHex(keccak256(pubkey).subarray(12)) as Hex,
    pubkey,
    tx,
  }
}

type SupportedType = (typeof SUPPORTED_TX_TYPES)[number]

/** ethereumjs's constructor per type, from the decoded RLP fields (decoded once, here). */
const FROM_FIELDS = {
  0: createLegacyTxFromBytesArray,
  1: createAccessList2930TxFromBytesArray,
  2: create1559FeeMarketTxFromBytesArray,
  4: createEOACode7702TxFromBytesArray,
} satisfies Record<SupportedType, unknown>

/**
 * Re-creates a transaction from its raw bytes with the sender already known (its public key, or just
 * its address for re-execution), so the signature is not recovered a second time.
 */
export function restoreTransaction(
  raw: Uint8Array,
  sender: { pubkey: Uint8Array; hash?: Uint8Array } | { address: Hex },
  chainId: number,
): TypedTransaction {
  // Frozen transactions cache their hash (hashed again on every call otherwise); the address override
  // (re-execution) needs an unfrozen one.
  const byKey = 'pubkey' in sender
  const tx = createTxFromRLP(raw, { common: createChainCommon(chainId), freeze: byKey })
  if (byKey) {
    const cache = (tx as unknown as { cache: { senderPubKey?: Uint8Array; hash?: Uint8Array } })
      .cache
    cache.senderPubKey = sender.pubkey
    if (sender.hash) cache.hash = sender.hash
  } else {
    const address = new Address(hexToBytes(sender.address))
    tx.getSenderAddress = () => address
  }
  return tx
}

/** Recovers with the host's function, applying Ethereum's rules (EIP-2 low s) and caching the key on `tx`. */
function recoverWith(
  recover: RecoverPublicKey,
  tx: TypedTransaction,
  fields: FieldList,
  chainId: number,
): Uint8Array | undefined {
  const { r, s, v } = tx as { r: bigint; s: bigint; v: bigint }
  if (s > SECP256K1_N_DIV_2 || r === 0n || s === 0n) return undefined
  const recoveryId =
    tx.type !== 0 ? Number(v) : v >= 35n ? Number(v - BigInt(chainId) * 2n - 35n) : Number(v - 27n)
  if (recoveryId !== 0 && recoveryId !== 1) return undefined
  const sig = new Uint8Array(64)
  sig.set(setLengthLeft(bigIntToBytes(r), 32), 0)
  sig.set(setLengthLeft(bigIntToBytes(s), 32), 32)
  // A typed transaction signs its type and its fields but the signature (y, r, s): the decoded
  // fields re-encoded, instead of ethereumjs converting every field back to bytes first.
  const message =
    tx.type === 0
      ? tx.getMessageToVerifySignature()
      : keccak256(concatBytes(Uint8Array.of(tx.type), RLP.encode(fields.slice(0, -3))))
  const pubkey = recover(message, sig, recoveryId)
  if (pubkey)
    (tx as unknown as { cache: { senderPubKey?: Uint8Array } }).cache.senderPubKey = pubkey
  return pubkey
}

/** A transaction's RLP fields as decoded (byte strings, and lists for access and authorization lists). */
type FieldList = (Uint8Array | FieldList)[]

/** The RLP fields of a raw transaction of `type`, with their count checked (geth's rlp errors). */
function decodeFields(raw: Uint8Array, type: number): FieldList {
  let fields: FieldList
  try {
    const decoded = RLP.decode(type === 0 ? raw : raw.subarray(1))
    if (!Array.isArray(decoded)) throw new Error('not a list')
    fields = decoded as FieldList
  } catch (err) {
    throw new InvalidParamsError(`invalid argument 0: rlp: ${shortReason(err)}`)
  }
  const arity = ({ 0: 9, 1: 11, 2: 12, 4: 13 } as Record<number, number>)[type]
  if (fields.length !== arity)
    throw new InvalidParamsError(
      `invalid argument 0: rlp: expected ${arity} fields for a type ${type} transaction, got ${fields.length}`,
    )
  return fields
}

/** The chain id a transaction commits to, or undefined for a pre-EIP-155 legacy transaction. */
function chainIdOf(fields: FieldList, type: number): bigint | undefined {
  const asInt = (b: unknown) => (b instanceof Uint8Array && b.length ? BigInt(bytesToHex(b)) : 0n)
  if (type !== 0) return asInt(fields[0])
  const v = asInt(fields[6])
  return v >= 35n ? (v - 35n) / 2n : undefined
}

/** ethereumjs refuses some transactions while decoding; say it as geth would. */
function gethRejection(reason: string): Error {
  const cap = /gas limit (\d+) exceeds the maximum allowed by EIP-7825 \((\d+)\)/.exec(reason)
  if (cap)
    return new TransactionRejectedError(
      `transaction gas limit too high (cap: ${cap[2]}, tx: ${cap[1]})`,
    )
  if (reason.includes('maxFeePerGas cannot be less than maxPriorityFeePerGas'))
    return new TransactionRejectedError('max priority fee per gas higher than max fee per gas')
  if (/Invalid Signature|invalid signature|v value|s-values/i.test(reason))
    return new TransactionRejectedError('invalid sender')
  return new InvalidParamsError(`invalid argument 0: ${shortReason(reason)}`)
}

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return msg
    .split('\n')[0]
    .replace(/ \(.*\)$/, '')
    .slice(0, 200)
}
