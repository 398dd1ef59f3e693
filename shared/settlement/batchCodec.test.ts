import { deflateRawSync, deflateSync, inflateSync } from 'node:zlib'
import { RLP, type Input } from '@ethereumjs/rlp'
import { describe, expect, test } from 'vitest'
import {
  bytesToHex,
  concat,
  encodeFunctionData,
  erc20Abi,
  hexToBytes,
  keccak256,
  parseGwei,
  toHex,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { BatchDecodeError, decodeBatch, encodeBatch, type Batch } from './batchCodec.js'

const alice = privateKeyToAccount(
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
)
const bob = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const parentHash = keccak256(toHex('parent'))
const originHash = (n: bigint) => keccak256(toHex(n))
const fees = { maxFeePerGas: parseGwei('2'), maxPriorityFeePerGas: 1n }

const legacy = await alice.signTransaction({
  chainId: 901,
  type: 'legacy',
  nonce: 0,
  gas: 21000n,
  gasPrice: parseGwei('1'),
  to: bob,
  value: 1n,
})
const eip1559 = await alice.signTransaction({
  chainId: 901,
  type: 'eip1559',
  nonce: 1,
  gas: 21000n,
  ...fees,
  to: bob,
  value: 2n,
})
const creation = await alice.signTransaction({
  chainId: 901,
  type: 'eip1559',
  nonce: 2,
  gas: 100000n,
  ...fees,
  data: '0x600a600c600039600a6000f3602a60005260206000f3',
})

/** Three blocks at 7, 8, 9: two share an L1 origin, the middle one is empty. */
const batch: Batch = {
  chainId: 901,
  parentHash,
  blocks: [
    {
      number: 7n,
      timestamp: 1_700_000_000n,
      l1OriginNumber: 100n,
      l1OriginHash: originHash(100n),
      txs: [legacy, eip1559],
    },
    {
      number: 8n,
      timestamp: 1_700_000_001n,
      l1OriginNumber: 100n,
      l1OriginHash: originHash(100n),
      txs: [],
    },
    {
      number: 9n,
      timestamp: 1_700_000_003n,
      l1OriginNumber: 102n,
      l1OriginHash: originHash(102n),
      txs: [creation],
    },
  ],
}

/** The RLP of `batch` as docs/batches.md lays it out, written independently of the codec. */
const batchRlp = RLP.encode([
  901,
  parentHash,
  7,
  [
    [1_700_000_000, 100, originHash(100n), [legacy, eip1559]],
    [1, 100, originHash(100n), []],
    [2, 102, originHash(102n), [creation]],
  ],
])

/** A version-0 batch around RLP bytes, compressed by Node's zlib rather than the codec. */
const zlibBatch = (rlp: Uint8Array) => concat([new Uint8Array([0]), deflateSync(rlp)])
/** A version-0 batch around any RLP item. */
const wrap = (item: Input) => zlibBatch(RLP.encode(item))

const hash32 = originHash(1n)
/** A one-block payload with `block` spliced into the block item. */
const oneBlock = (block: Input[]) => [901, parentHash, 1, [block]]
/** A deposit (type 0x7e) by hand: a batch must never carry one. */
const deposit = concat([
  '0x7e',
  bytesToHex(RLP.encode([hash32, alice.address, bob, 0, 1, 100000, 0, '0x'])),
])

describe('encodeBatch', () => {
  test('default', async () => {
    const bytes = await encodeBatch(batch)
    expect(bytes[0]).toBe(0)
    expect(bytesToHex(inflateSync(bytes.subarray(1)))).toBe(bytesToHex(batchRlp))
  })

  test('behavior: the documented example encodes to the documented RLP', async () => {
    const bytes = await encodeBatch({
      chainId: 901,
      parentHash: `0x${'11'.repeat(32)}`,
      blocks: [
        {
          number: 5n,
          timestamp: 1000n,
          l1OriginNumber: 2n,
          l1OriginHash: `0x${'aa'.repeat(32)}`,
          txs: ['0x02c0ffee'],
        },
        {
          number: 6n,
          timestamp: 1002n,
          l1OriginNumber: 2n,
          l1OriginHash: `0x${'aa'.repeat(32)}`,
          txs: [],
        },
      ],
    })
    expect(bytesToHex(inflateSync(bytes.subarray(1)))).toMatchInlineSnapshot(
      `"0xf878820385a0111111111111111111111111111111111111111111111111111111111111111105f851eb8203e802a0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac58402c0ffeee40202a0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac0"`,
    )
  })

  test('behavior: compression shrinks a batch of similar ERC20 transfers', async () => {
    const token = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
    const txs = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        alice.signTransaction({
          chainId: 901,
          type: 'eip1559',
          nonce: i,
          gas: 60000n,
          ...fees,
          to: token,
          data: encodeFunctionData({
            abi: erc20Abi,
            functionName: 'transfer',
            args: [bob, BigInt(i + 1) * 10n ** 18n],
          }),
        }),
      ),
    )
    const blocks = Array.from({ length: 10 }, (_, i) => ({
      number: 1n + BigInt(i),
      timestamp: 1000n + BigInt(i),
      l1OriginNumber: 5n,
      l1OriginHash: hash32,
      txs: txs.slice(i * 10, i * 10 + 10),
    }))
    const bytes = await encodeBatch({ chainId: 901, parentHash, blocks })
    const raw = inflateSync(bytes.subarray(1))
    expect(raw.length).toBeGreaterThan(100 * 100)
    expect(bytes.length).toBeLessThan(raw.length)
    expect((await decodeBatch(bytes)).blocks).toEqual(blocks)
  })

  test('behavior: rejects a payload over the 16 MiB every peer accepts', async () => {
    const mib = `0x02${'ab'.repeat(1024 * 1024 - 1)}` as Hex
    const blocks = [{ ...batch.blocks[0], txs: Array.from({ length: 16 }, () => mib) }]
    await expect(encodeBatch({ ...batch, blocks })).rejects.toThrow(/exceeds 16777216/)
    // CPU-bound (16 MiB compressed): the 5 s default fails on a loaded machine.
  }, 60_000)

  const block0 = batch.blocks[0]
  test.each<[string, Batch, RegExp]>([
    ['no blocks', { ...batch, blocks: [] }, /at least one block/],
    [
      'non-consecutive numbers',
      { ...batch, blocks: [block0, { ...batch.blocks[1], number: 9n }] },
      /block 1: number 9 does not follow 7/,
    ],
    [
      'equal timestamps',
      { ...batch, blocks: [block0, { ...batch.blocks[1], timestamp: block0.timestamp }] },
      /block 1: timestamp 1700000000 is not after the previous block's 1700000000/,
    ],
    [
      'decreasing timestamps',
      { ...batch, blocks: [block0, { ...batch.blocks[1], timestamp: 1n }] },
      /block 1: timestamp 1 is not after/,
    ],
    [
      'a deposit transaction',
      { ...batch, blocks: [{ ...block0, txs: [legacy, deposit] }] },
      /block 0 tx 1: a deposit transaction \(type 0x7e\)/,
    ],
    [
      'an empty transaction',
      { ...batch, blocks: [{ ...block0, txs: ['0x'] }] },
      /empty transaction/,
    ],
    [
      'a non-hex transaction',
      { ...batch, blocks: [{ ...block0, txs: ['0x0g'] }] },
      /not hex bytes/,
    ],
    ['a short parentHash', { ...batch, parentHash: '0x1234' }, /parentHash 0x1234 is not 32 bytes/],
    [
      'a short l1OriginHash',
      { ...batch, blocks: [{ ...block0, l1OriginHash: parentHash.slice(0, 64) as Hex }] },
      /block 0: l1OriginHash .* is not 32 bytes/,
    ],
    [
      'a negative timestamp',
      { ...batch, blocks: [{ ...block0, timestamp: -1n }] },
      /timestamp -1 is not a uint64/,
    ],
    ['chain id 0', { ...batch, chainId: 0 }, /chainId 0 is not a positive integer/],
    [
      'a short coinbase',
      { ...batch, blocks: [{ ...block0, coinbase: '0x1234' }] },
      /block 0: coinbase 0x1234 is not 20 bytes/,
    ],
  ])('behavior: rejects %s', async (_, bad, message) => {
    await expect(encodeBatch(bad)).rejects.toThrow(message)
  })
})

describe('decodeBatch', () => {
  test('default', async () => {
    expect(await decodeBatch(await encodeBatch(batch))).toEqual(batch)
  })

  test('behavior: a block names its fee recipient only when it has its own, in a fifth item', async () => {
    const named: Batch = {
      ...batch,
      blocks: batch.blocks.map((b, i) =>
        i === 1 ? { ...b, coinbase: bob.toLowerCase() as Hex } : b,
      ),
    }
    const bytes = await encodeBatch(named)
    expect(await decodeBatch(bytes)).toEqual(named)
    const items = RLP.decode(inflateSync(bytes.subarray(1))) as unknown as Uint8Array[][][]
    expect(items[3].map((block) => block.length)).toEqual([4, 5, 4])
    expect(bytesToHex(items[3][1][4] as unknown as Uint8Array)).toBe(bob.toLowerCase())
    // A batch without fee recipients is byte for byte what it was before they existed.
    expect(inflateSync((await encodeBatch(batch)).subarray(1))).toEqual(Buffer.from(batchRlp))
  })

  test('behavior: reads a batch compressed by another zlib', async () => {
    expect(await decodeBatch(zlibBatch(batchRlp))).toEqual(batch)
  })

  test('behavior: the size cap is inclusive', async () => {
    const bytes = await encodeBatch(batch)
    await expect(decodeBatch(bytes, { maxDecompressedBytes: batchRlp.length })).resolves.toEqual(
      batch,
    )
    await expect(decodeBatch(bytes, { maxDecompressedBytes: batchRlp.length - 1 })).rejects.toThrow(
      `decompressed batch exceeds ${batchRlp.length - 1} bytes`,
    )
  })

  test('behavior: a zlib bomb stops at the cap', async () => {
    const bomb = concat([new Uint8Array([0]), deflateSync(new Uint8Array(20 * 1024 * 1024))])
    expect(bomb.length).toBeLessThan(64 * 1024)
    await expect(decodeBatch(bomb, { maxDecompressedBytes: 1024 * 1024 })).rejects.toThrow(
      new BatchDecodeError('decompressed batch exceeds 1048576 bytes'),
    )
    await expect(decodeBatch(bomb)).rejects.toThrow('decompressed batch exceeds 16777216 bytes')
  })

  const good = zlibBatch(batchRlp)
  const flipped = good.slice()
  flipped[flipped.length - 1] ^= 1
  test.each<[string, Uint8Array, RegExp]>([
    ['empty data', new Uint8Array(), /empty batch: no version byte/],
    [
      'an unknown version',
      concat([new Uint8Array([1]), good.subarray(1)]),
      /unknown batch version 0x01/,
    ],
    ['a version byte alone', new Uint8Array([0]), /no zlib stream after the version byte/],
    ['bytes that are not zlib', new Uint8Array([0, 1, 2, 3, 4]), /corrupt zlib stream/],
    [
      'raw deflate without the zlib header',
      concat([new Uint8Array([0]), deflateRawSync(batchRlp)]),
      /corrupt zlib stream/,
    ],
    ['a truncated zlib stream', good.subarray(0, good.length - 1), /corrupt zlib stream/],
    ['a wrong Adler-32 checksum', flipped, /corrupt zlib stream/],
    [
      'bytes after the zlib stream',
      concat([good, new Uint8Array([0])]),
      /trailing bytes after the zlib stream/,
    ],
    ['an empty payload', zlibBatch(new Uint8Array()), /empty RLP payload/],
    ['malformed RLP', zlibBatch(new Uint8Array([0x81, 0x05])), /malformed RLP/],
    ['a truncated RLP list', zlibBatch(new Uint8Array([0xc5, 0x01])), /malformed RLP/],
    [
      'bytes after the RLP payload',
      zlibBatch(concat([batchRlp, new Uint8Array([0x80])])),
      /trailing bytes after the RLP payload: 1/,
    ],
    ['a payload that is not a list', wrap('0x01'), /batch: expected a list, got a byte string/],
    [
      'a batch of three items',
      wrap([901, parentHash, 1]),
      /batch: expected a list of 4 items, got 3/,
    ],
    [
      'a block that is not a list',
      wrap([901, parentHash, 1, ['0x01']]),
      /block 0: expected a list/,
    ],
    [
      'a block of six items',
      wrap(oneBlock([1000, 5, hash32, [], bob, 0])),
      /block 0: expected a list of 4 or 5 items, got 6/,
    ],
    [
      'a 19-byte coinbase',
      wrap(oneBlock([1000, 5, hash32, [], bob.slice(0, 40)])),
      /block 0 coinbase: expected 20 bytes, got 19/,
    ],
    [
      'a coinbase that is a list',
      wrap(oneBlock([1000, 5, hash32, [], [bob]])),
      /block 0 coinbase: expected a byte string/,
    ],
    [
      'txs that are not a list',
      wrap(oneBlock([1000, 5, hash32, '0x02'])),
      /block 0 txs: expected a list/,
    ],
    [
      'a transaction that is a list',
      wrap(oneBlock([1000, 5, hash32, [[legacy]]])),
      /block 0 tx 0: expected a byte string/,
    ],
    [
      'a 31-byte parentHash',
      wrap([901, parentHash.slice(0, 64), 1, [[1000, 5, hash32, []]]]),
      /parentHash: expected 32 bytes, got 31/,
    ],
    [
      'a 33-byte l1OriginHash',
      wrap(oneBlock([1000, 5, concat([hash32, '0x00']), []])),
      /block 0 l1OriginHash: expected 32 bytes, got 33/,
    ],
    [
      'a hash that is a list',
      wrap(oneBlock([1000, 5, [hash32], []])),
      /block 0 l1OriginHash: expected a byte string/,
    ],
    ['no blocks', wrap([901, parentHash, 1, []]), /a batch needs at least one block/],
    ['blocks that are not a list', wrap([901, parentHash, 1, '0x']), /blocks: expected a list/],
    [
      'a timestamp delta of 0',
      wrap([
        901,
        parentHash,
        1,
        [
          [1000, 5, hash32, []],
          [0, 5, hash32, []],
        ],
      ]),
      /block 1: timestamp 1000 is not after the previous block's 1000/,
    ],
    [
      'timestamps past uint64',
      wrap([
        901,
        parentHash,
        1,
        [
          [2n ** 64n - 1n, 5, hash32, []],
          [1, 5, hash32, []],
        ],
      ]),
      /block 1: timestamp 18446744073709551616 is not a uint64/,
    ],
    [
      'an empty transaction',
      wrap(oneBlock([1000, 5, hash32, [legacy, '0x']])),
      /block 0 tx 1: empty transaction/,
    ],
    [
      'a deposit transaction',
      wrap(oneBlock([1000, 5, hash32, [eip1559, deposit]])),
      /block 0 tx 1: a deposit transaction \(type 0x7e\)/,
    ],
    [
      'an integer with a leading zero',
      wrap([901, parentHash, '0x0001', [[1000, 5, hash32, []]]]),
      /firstNumber: integer has a leading zero byte/,
    ],
    [
      'zero written as 0x00',
      wrap(oneBlock([1000, '0x00', hash32, []])),
      /block 0 l1OriginNumber: integer has a leading zero byte/,
    ],
    [
      'a 9-byte integer',
      wrap(oneBlock([2n ** 64n, 5, hash32, []])),
      /block 0 time: 9-byte integer exceeds uint64/,
    ],
    [
      'chain id 0',
      wrap([0, parentHash, 1, [[1000, 5, hash32, []]]]),
      /chainId 0 is not a positive integer/,
    ],
    [
      'a chain id past 2^53',
      wrap([2n ** 60n, parentHash, 1, [[1000, 5, hash32, []]]]),
      /chainId 1152921504606846976 is too large/,
    ],
  ])('behavior: rejects %s', async (_, data, message) => {
    const err = await decodeBatch(data).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BatchDecodeError)
    expect((err as Error).message).toMatch(message)
  })

  test('behavior: decoding gives lowercase hex, byte for byte', async () => {
    const upper = { ...batch, parentHash: parentHash.toUpperCase().replace('0X', '0x') as Hex }
    const decoded = await decodeBatch(await encodeBatch(upper))
    expect(decoded.parentHash).toBe(parentHash)
    expect(hexToBytes(decoded.blocks[0].txs[0])).toEqual(hexToBytes(legacy))
  })
})
