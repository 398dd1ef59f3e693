import { RLP, type NestedUint8Array } from '@ethereumjs/rlp'
import { bytesToHex, hexToBytes, type Hex } from 'viem'
import { BaseError } from '../errors.js'

/** One L2 block as carried in a batch: everything a peer needs, with deposits re-derived from L1. */
export type BatchBlock = {
  number: bigint
  timestamp: bigint
  /** The L1 block this L2 block takes its deposits and L1 info from (its "L1 origin"). */
  l1OriginNumber: bigint
  /** 32 bytes. */
  l1OriginHash: Hex
  /** Raw signed EIP-2718 transactions of the block other than deposits (type 0x7e never appears here), in block order. */
  txs: Hex[]
  /**
   * The block's fee recipient (its header's coinbase), 20 bytes; absent: the shard's default, the
   * genesis coinbase. A pool-sequenced shard's sequencers name themselves, so each earns the fees of
   * the blocks it sealed, whoever batches them.
   */
  coinbase?: Hex
}

/**
 * Consecutive L2 blocks of one chain, posted to L1 together; `parentHash` is the hash of the block
 * before the first one, which links the batch to the previous batch's last block.
 */
export type Batch = { chainId: number; parentHash: Hex; blocks: BatchBlock[] }

/** The first byte of every batch, naming the format of what follows (docs/batches.md). */
export const BATCH_VERSION = 0

/** A batch is invalid when its RLP payload is larger than this: the same limit on every peer. */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
/** Compressed bytes fed per write: deflate expands at most ~1032x, so one slice inflates to ≤ ~4 MiB. */
const INFLATE_SLICE_BYTES = 4 * 1024
/** Uncompressed bytes fed per write when compressing (no expansion to bound, fewer round trips). */
const DEFLATE_SLICE_BYTES = 64 * 1024
const MAX_UINT64 = 2n ** 64n - 1n

/** A batch's bytes are not a valid batch; the message names the field or layer that is wrong. */
export class BatchDecodeError extends BaseError {
  override name = 'BatchDecodeError'
}

/**
 * Encodes sealed L2 blocks as BatchInbox calldata: the version byte 0x00 followed by zlib (RFC 1950,
 * `CompressionStream('deflate')`) of the RLP payload `[chainId, parentHash, firstNumber, [[time,
 * l1OriginNumber, l1OriginHash, [tx, ...], coinbase?], ...]]`, where `time` is block 0's timestamp and
 * every later block's increase over its predecessor, and the 20-byte `coinbase` is there only for a
 * block that names its own fee recipient. Rejects what `decodeBatch` would, so no bad batch is
 * ever posted.
 */
export async function encodeBatch(batch: Batch): Promise<Uint8Array> {
  const problem = checkBatch(batch)
  if (problem) throw new BaseError(`invalid batch: ${problem}`)
  const { blocks } = batch
  const payload = RLP.encode([
    batch.chainId,
    hexToBytes(batch.parentHash),
    blocks[0].number,
    blocks.map((b, i) => [
      i === 0 ? b.timestamp : b.timestamp - blocks[i - 1].timestamp,
      b.l1OriginNumber,
      hexToBytes(b.l1OriginHash),
      b.txs.map((tx) => hexToBytes(tx)),
      ...(b.coinbase === undefined ? [] : [hexToBytes(b.coinbase)]),
    ]),
  ])
  if (payload.length > MAX_PAYLOAD_BYTES)
    throw new BaseError(
      `invalid batch: its payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`,
    )
  // No cap on the output, so never undefined.
  const compressed = (await pump(payload, new CompressionStream('deflate'), DEFLATE_SLICE_BYTES))!
  const out = new Uint8Array(1 + compressed.length)
  out[0] = BATCH_VERSION
  out.set(compressed, 1)
  return out
}

/**
 * Decodes and validates a batch read from BatchInbox calldata (the inverse of `encodeBatch`). Any
 * defect, from the version byte to a deposit among the transactions, throws `BatchDecodeError`.
 * Inflation stops once the payload passes `maxDecompressedBytes` (default and consensus limit 16 MiB),
 * so a decompression bomb costs bounded memory.
 */
export async function decodeBatch(
  data: Uint8Array,
  opts: { maxDecompressedBytes?: number } = {},
): Promise<Batch> {
  if (data.length === 0) throw new BatchDecodeError('empty batch: no version byte')
  if (data[0] !== BATCH_VERSION)
    throw new BatchDecodeError(
      `unknown batch version 0x${data[0].toString(16).padStart(2, '0')} (expected 0x00)`,
    )
  const payload = await inflateExact(
    data.subarray(1),
    opts.maxDecompressedBytes ?? MAX_PAYLOAD_BYTES,
  )
  const batch = parsePayload(payload)
  const problem = checkBatch(batch)
  if (problem) throw new BatchDecodeError(problem)
  return batch
}

/** The batch rules both directions enforce, as a message naming the first broken one, or undefined. */
function checkBatch(batch: Batch): string | undefined {
  if (!Number.isSafeInteger(batch.chainId) || batch.chainId < 1)
    return `chainId ${batch.chainId} is not a positive integer`
  if (!isBytes32(batch.parentHash)) return `parentHash ${batch.parentHash} is not 32 bytes`
  if (batch.blocks.length === 0) return 'a batch needs at least one block'
  for (const [i, b] of batch.blocks.entries()) {
    const at = `block ${i}`
    const prev = batch.blocks[i - 1]
    if (!isUint64(b.number)) return `${at}: number ${b.number} is not a uint64`
    if (prev && b.number !== prev.number + 1n)
      return `${at}: number ${b.number} does not follow ${prev.number} (blocks must be consecutive)`
    if (!isUint64(b.timestamp)) return `${at}: timestamp ${b.timestamp} is not a uint64`
    if (prev && b.timestamp <= prev.timestamp)
      return `${at}: timestamp ${b.timestamp} is not after the previous block's ${prev.timestamp}`
    if (!isUint64(b.l1OriginNumber))
      return `${at}: l1OriginNumber ${b.l1OriginNumber} is not a uint64`
    if (!isBytes32(b.l1OriginHash)) return `${at}: l1OriginHash ${b.l1OriginHash} is not 32 bytes`
    if (b.coinbase !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(b.coinbase))
      return `${at}: coinbase ${b.coinbase} is not 20 bytes`
    for (const [j, tx] of b.txs.entries()) {
      if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(tx)) return `${at} tx ${j}: not hex bytes`
      if (tx.length === 2) return `${at} tx ${j}: empty transaction`
      if (tx.slice(2, 4).toLowerCase() === '7e')
        return `${at} tx ${j}: a deposit transaction (type 0x7e); deposits come from L1, never from batches`
    }
  }
  return undefined
}

/** Reads the RLP payload into a `Batch`, checking every item's shape; `checkBatch` does the rest. */
function parsePayload(payload: Uint8Array): Batch {
  if (payload.length === 0) throw new BatchDecodeError('empty RLP payload')
  let decoded: { data: Rlp; remainder: Uint8Array }
  try {
    decoded = RLP.decode(payload, true)
  } catch (err) {
    throw new BatchDecodeError(`malformed RLP: ${messageOf(err)}`, { cause: err })
  }
  if (decoded.remainder.length > 0)
    throw new BatchDecodeError(`trailing bytes after the RLP payload: ${decoded.remainder.length}`)
  const [chainId, parentHash, firstNumber, blockItems] = list(decoded.data, 'batch', 4)
  const chain = uint(chainId, 'chainId')
  if (chain > BigInt(Number.MAX_SAFE_INTEGER))
    throw new BatchDecodeError(`chainId ${chain} is too large`)
  const first = uint(firstNumber, 'firstNumber')
  let timestamp = 0n
  const blocks = list(blockItems, 'blocks').map((item, i): BatchBlock => {
    const fields = list(item, `block ${i}`)
    if (fields.length !== 4 && fields.length !== 5)
      throw new BatchDecodeError(
        `block ${i}: expected a list of 4 or 5 items, got ${fields.length}`,
      )
    const [time, originNumber, originHash, txs, coinbase] = fields
    timestamp += uint(time, `block ${i} time`)
    return {
      number: first + BigInt(i),
      timestamp,
      l1OriginNumber: uint(originNumber, `block ${i} l1OriginNumber`),
      l1OriginHash: bytesToHex(bytes(originHash, `block ${i} l1OriginHash`, 32)),
      txs: list(txs, `block ${i} txs`).map((tx, j) => bytesToHex(bytes(tx, `block ${i} tx ${j}`))),
      ...(coinbase !== undefined && {
        coinbase: bytesToHex(bytes(coinbase, `block ${i} coinbase`, 20)),
      }),
    }
  })
  return {
    chainId: Number(chain),
    parentHash: bytesToHex(bytes(parentHash, 'parentHash', 32)),
    blocks,
  }
}

type Rlp = Uint8Array | NestedUint8Array

function list(item: Rlp, what: string, length?: number): Rlp[] {
  if (!Array.isArray(item))
    throw new BatchDecodeError(`${what}: expected a list, got a byte string`)
  if (length !== undefined && item.length !== length)
    throw new BatchDecodeError(`${what}: expected a list of ${length} items, got ${item.length}`)
  return item
}

function bytes(item: Rlp, what: string, length?: number): Uint8Array {
  if (Array.isArray(item)) throw new BatchDecodeError(`${what}: expected a byte string, got a list`)
  if (length !== undefined && item.length !== length)
    throw new BatchDecodeError(`${what}: expected ${length} bytes, got ${item.length}`)
  return item
}

/** A canonical RLP integer: big-endian, no leading zero (0 is the empty string), at most 8 bytes. */
function uint(item: Rlp, what: string): bigint {
  const b = bytes(item, what)
  if (b.length > 8) throw new BatchDecodeError(`${what}: ${b.length}-byte integer exceeds uint64`)
  if (b[0] === 0) throw new BatchDecodeError(`${what}: integer has a leading zero byte`)
  return b.length === 0 ? 0n : BigInt(bytesToHex(b))
}

/**
 * Inflates the zlib stream that must fill `zlib` exactly. Node's DecompressionStream stops at the end
 * of the stream and ignores what follows while workerd rejects it (as the Compression Streams spec
 * says), so trailing bytes are detected independently of the runtime: the stream must still be
 * incomplete without its last byte. That second pass costs one more inflation of the batch.
 */
async function inflateExact(zlib: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  if (zlib.length === 0) throw new BatchDecodeError('no zlib stream after the version byte')
  const payload = await inflate(zlib, maxBytes)
  if (!payload) throw new BatchDecodeError(`decompressed batch exceeds ${maxBytes} bytes`)
  const complete = await inflate(zlib.subarray(0, zlib.length - 1), maxBytes).then(
    () => true,
    () => false,
  )
  if (complete) throw new BatchDecodeError('trailing bytes after the zlib stream')
  return payload
}

async function inflate(zlib: Uint8Array, maxBytes: number): Promise<Uint8Array | undefined> {
  try {
    return await pump(zlib, new DecompressionStream('deflate'), INFLATE_SLICE_BYTES, maxBytes)
  } catch (err) {
    throw new BatchDecodeError(`corrupt zlib stream: ${messageOf(err)}`, { cause: err })
  }
}

/**
 * Runs `input` through a (de)compression stream in slices and collects the output, or returns
 * undefined as soon as the output passes `maxOutput` bytes. Each slice is written only once the
 * previous one was taken in, and the stream takes input only as its output is read (backpressure), so
 * memory stays within `maxOutput` plus one slice's expansion.
 */
async function pump(
  input: Uint8Array,
  stream: TransformStream<Uint8Array, Uint8Array>,
  sliceBytes: number,
  maxOutput = Infinity,
): Promise<Uint8Array | undefined> {
  const writer = stream.writable.getWriter()
  const reader = stream.readable.getReader()
  const writing = (async () => {
    for (let at = 0; at < input.length; at += sliceBytes)
      await writer.write(input.subarray(at, at + sliceBytes))
    await writer.close()
  })()
  // A failed write errors the readable side too, which is where the failure is reported.
  writing.catch(() => {})
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > maxOutput) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }
  await writing
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

function isBytes32(hex: unknown): boolean {
  return typeof hex === 'string' && /^0x[0-9a-fA-F]{64}$/.test(hex)
}

function isUint64(n: unknown): boolean {
  return typeof n === 'bigint' && n >= 0n && n <= MAX_UINT64
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
