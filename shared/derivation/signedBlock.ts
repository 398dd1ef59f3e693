import {
  encodePacked,
  isAddressEqual,
  isHex,
  recoverAddress,
  keccak256,
  numberToHex,
  type Address,
  type Hex,
} from 'viem'
import { sign, serializeSignature } from 'viem/accounts'
import type { BatchBlock } from '../settlement/batchCodec.js'

/**
 * A block as the sequencer publishes it on its live feed, ahead of L1: what a batch carries of it
 * (number, timestamp, L1 origin, non-deposit transactions), its hash and parent hash, and the
 * sequencer's signature over chain id and hash. A peer re-executes it and keeps it only if it comes
 * out with that hash; L1 later confirms or replaces it (op-node's "unsafe" blocks, signed the same way
 * by the sequencer's key).
 */
export type SignedBlock = {
  chainId: number
  hash: Hex
  parentHash: Hex
  block: BatchBlock
  signature: Hex
}

/** The wire form (JSON): quantities as hex, as JSON-RPC writes them. */
export type SignedBlockJson = {
  chainId: Hex
  number: Hex
  hash: Hex
  parentHash: Hex
  timestamp: Hex
  l1OriginNumber: Hex
  l1OriginHash: Hex
  transactions: Hex[]
  /** The fee recipient, only when the block names one (see `BatchBlock.coinbase`). */
  coinbase?: Hex
  signature: Hex
}

/** Most transactions a feed block may carry (a 30M gas block holds at most ~1,430 transfers). */
const MAX_FEED_TXS = 4096

/** What the sequencer signs for a block: keccak256("edge-l2 block" ‖ chain id ‖ block hash). */
export function blockSigningHash(chainId: number, hash: Hex): Hex {
  return keccak256(
    encodePacked(['string', 'uint256', 'bytes32'], ['edge-l2 block', BigInt(chainId), hash]),
  )
}

/** Signs a block for the live feed with the sequencer's key. */
export async function signBlock(
  privateKey: Hex,
  chainId: number,
  hash: Hex,
  parentHash: Hex,
  block: BatchBlock,
): Promise<SignedBlock> {
  const signature = serializeSignature(
    await sign({ hash: blockSigningHash(chainId, hash), privateKey }),
  )
  return { chainId, hash, parentHash, block, signature }
}

/** Whether `expected` signed the block (any malformed signature: false). */
export async function isSignedBy(b: SignedBlock, expected: Address): Promise<boolean> {
  try {
    const signer = await recoverAddress({
      hash: blockSigningHash(b.chainId, b.hash),
      signature: b.signature,
    })
    return isAddressEqual(signer, expected)
  } catch {
    return false
  }
}

export function toSignedBlockJson(b: SignedBlock): SignedBlockJson {
  return {
    chainId: numberToHex(b.chainId),
    number: numberToHex(b.block.number),
    hash: b.hash,
    parentHash: b.parentHash,
    timestamp: numberToHex(b.block.timestamp),
    l1OriginNumber: numberToHex(b.block.l1OriginNumber),
    l1OriginHash: b.block.l1OriginHash,
    transactions: b.block.txs,
    ...(b.block.coinbase && { coinbase: b.block.coinbase }),
    signature: b.signature,
  }
}

/**
 * Reads a feed block from untrusted JSON: every field checked for type and size, or undefined. Only
 * the shape is checked here; signature and execution are the follower's.
 */
export function parseSignedBlock(v: unknown): SignedBlock | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
  const o = v as Record<string, unknown>
  const quantity = (x: unknown) =>
    typeof x === 'string' && /^0x(0|[1-9a-f][0-9a-f]{0,15})$/.test(x) ? BigInt(x) : undefined
  const bytes32 = (x: unknown) =>
    typeof x === 'string' && /^0x[0-9a-f]{64}$/.test(x) ? (x as Hex) : undefined
  const chainId = quantity(o.chainId)
  const number = quantity(o.number)
  const timestamp = quantity(o.timestamp)
  const l1OriginNumber = quantity(o.l1OriginNumber)
  const hash = bytes32(o.hash)
  const parentHash = bytes32(o.parentHash)
  const l1OriginHash = bytes32(o.l1OriginHash)
  const signature =
    typeof o.signature === 'string' && /^0x[0-9a-f]{130}$/.test(o.signature)
      ? (o.signature as Hex)
      : undefined
  const txs = o.transactions
  const coinbase =
    typeof o.coinbase === 'string' && /^0x[0-9a-fA-F]{40}$/.test(o.coinbase)
      ? (o.coinbase as Hex)
      : undefined
  if (o.coinbase !== undefined && !coinbase) return undefined
  if (
    chainId === undefined ||
    number === undefined ||
    timestamp === undefined ||
    l1OriginNumber === undefined ||
    !hash ||
    !parentHash ||
    !l1OriginHash ||
    !signature ||
    !Array.isArray(txs) ||
    txs.length > MAX_FEED_TXS ||
    !txs.every((t) => typeof t === 'string' && t.length > 2 && isHex(t, { strict: true }))
  )
    return undefined
  return {
    chainId: Number(chainId),
    hash,
    parentHash,
    signature,
    block: {
      number,
      timestamp,
      l1OriginNumber,
      l1OriginHash,
      txs: (txs as Hex[]).slice(),
      ...(coinbase && { coinbase }),
    },
  }
}
