import { env } from 'cloudflare:test'
import { getAddress, keccak256, pad, slice, toHex, type Hex, type RpcLog } from 'viem'
import { beforeAll, describe, expect, test } from 'vitest'
import { getIndexedHead, indexBlocks, type IndexedBlock } from '../../shared/db/indexBlocks.js'
import { queryBlockHashesSince, queryLogs, type LogFilter } from '../../shared/db/queryLogs.js'
import { LimitExceededError } from '../../shared/errors.js'
import { matchLog } from '../../shared/rpc/logFilter.js'

// Each test indexes under its own chain ids, so tests never see each other's rows.
let lastChainId = 70_000
const newChainId = () => ++lastChainId

const h = (label: string) => keccak256(toHex(label))
/** A checksummed (mixed-case) address, as wallets and receipts from other tools may carry. */
const addr = (label: string) => getAddress(slice(h(label), 12))
/** An address as an indexed event argument: a 32-byte topic (lowercase, as nodes return topics). */
const word = (a: Hex) => pad(a.toLowerCase() as Hex)

const TOKEN_A = addr('token A')
const TOKEN_B = addr('token B')
const TOKEN_C = addr('token C')
const ALICE = addr('alice')
const BOB = addr('bob')
const TRANSFER = h('Transfer(address,address,uint256)')
const APPROVAL = h('Approval(address,address,uint256)')
const PING = h('Ping()')

type LogSpec = { address: Hex; topics: Hex[] }

/** A realistic block of `txs` transactions (each a list of the logs it emits); `variant` forks it. */
function block(chainId: number, number: number, txs: LogSpec[][], variant = 'main'): IndexedBlock {
  const hash = h(`block ${chainId} ${number} ${variant}`)
  const txHashes = txs.map((_, i) => h(`tx ${chainId} ${number} ${i} ${variant}`))
  const logs: IndexedBlock['logs'] = []
  const transactions = txs.map((specs, index) => {
    const rpcLogs = specs.map((s) => {
      const log = {
        logIndex: logs.length,
        transactionIndex: index,
        transactionHash: txHashes[index],
        address: s.address,
        topics: s.topics,
        data: toHex(BigInt(number) * 1000n + BigInt(logs.length), { size: 32 }),
      }
      logs.push(log)
      return { ...log, logIndex: toHex(log.logIndex), transactionIndex: toHex(index) }
    })
    const to = specs[0]?.address ?? null
    const rpc = JSON.stringify({
      hash: txHashes[index],
      from: ALICE,
      to,
      blockHash: hash,
      blockNumber: toHex(number),
      transactionIndex: toHex(index),
    })
    const receipt = JSON.stringify({
      transactionHash: txHashes[index],
      from: ALICE,
      to,
      status: '0x1',
      logs: rpcLogs,
    })
    return { hash: txHashes[index], index, from: ALICE, to, rpc, receipt }
  })
  const parentHash = h(`block ${chainId} ${number - 1} ${variant}`)
  const timestamp = 1_700_000_000n + 2n * BigInt(number)
  const rpc = JSON.stringify({
    number: toHex(number),
    hash,
    parentHash,
    timestamp: toHex(timestamp),
    transactions: txHashes,
  })
  return { number: BigInt(number), hash, parentHash, timestamp, rpc, transactions, logs }
}

/** The logs eth_getLogs should return for `blocks`, built from the fixture without the database. */
function rpcLogsOf(blocks: IndexedBlock[]): RpcLog[] {
  return blocks
    .flatMap((b) =>
      b.logs.map((l) => ({
        address: l.address.toLowerCase() as Hex,
        topics: l.topics.map((t) => t.toLowerCase()) as RpcLog['topics'],
        data: l.data,
        blockNumber: toHex(b.number),
        blockHash: b.hash,
        blockTimestamp: toHex(b.timestamp),
        transactionHash: l.transactionHash,
        transactionIndex: toHex(l.transactionIndex),
        logIndex: toHex(l.logIndex),
        removed: false,
      })),
    )
    .sort(
      (x, y) =>
        Number(BigInt(x.blockNumber!) - BigInt(y.blockNumber!)) ||
        Number(BigInt(x.logIndex!) - BigInt(y.logIndex!)),
    )
}

const all = { fromBlock: 0n, toBlock: 1_000n }
const LIMIT = { limit: 10_000 }
const logIndexes = (logs: RpcLog[]) => logs.map((l) => Number(l.logIndex))
const count = async (sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(`select count(*) as n from ${sql}`)
    .bind(...params)
    .first<{ n: number }>('n'))!

const X = word(ALICE)
const Y = word(BOB)
const Z = h('z')
/** Four transactions whose five logs carry 0 to 4 topics: the base of the hand-checked matrix. */
const MATRIX: LogSpec[][] = [
  [{ address: TOKEN_A, topics: [] }],
  [
    { address: TOKEN_A, topics: [TRANSFER] },
    { address: TOKEN_B, topics: [TRANSFER, X] },
  ],
  [{ address: TOKEN_C, topics: [APPROVAL, X, Y] }],
  [{ address: TOKEN_B, topics: [TRANSFER, Y, X, Z] }],
]

describe('indexBlocks', () => {
  test('default', async () => {
    const chainId = newChainId()
    const b = block(chainId, 1, MATRIX)
    expect(await getIndexedHead(env.DB, chainId)).toBe(null)
    await indexBlocks(env.DB, chainId, [b])

    expect(await getIndexedHead(env.DB, chainId)).toBe(1n)
    const row = await env.DB.prepare('select * from blocks where chain_id = ? and hash = ?')
      .bind(chainId, b.hash)
      .first()
    expect(row).toEqual({
      chain_id: chainId,
      number: 1,
      hash: b.hash,
      parent_hash: b.parentHash,
      timestamp: 1_700_000_002,
      rpc: b.rpc,
    })
    const tx = await env.DB.prepare('select * from transactions where chain_id = ? and hash = ?')
      .bind(chainId, b.transactions[1].hash)
      .first()
    expect(tx).toEqual({
      chain_id: chainId,
      hash: b.transactions[1].hash,
      block_number: 1,
      tx_index: 1,
      from: ALICE.toLowerCase(),
      to: TOKEN_A.toLowerCase(),
      rpc: b.transactions[1].rpc,
      receipt: b.transactions[1].receipt,
    })
    const log = await env.DB.prepare(
      'select * from logs where chain_id = ? and block_number = 1 and log_index = 2',
    )
      .bind(chainId)
      .first()
    expect(log).toEqual({
      chain_id: chainId,
      block_number: 1,
      log_index: 2,
      tx_index: 1,
      tx_hash: b.transactions[1].hash,
      block_hash: b.hash,
      address: TOKEN_B.toLowerCase(),
      topic0: TRANSFER,
      topic1: X,
      topic2: null,
      topic3: null,
      data: b.logs[2].data,
    })
    expect(await queryLogs(env.DB, chainId, all, LIMIT)).toEqual(rpcLogsOf([b]))
  })

  test('behavior: indexing the same blocks twice leaves one copy', async () => {
    const chainId = newChainId()
    const blocks = [1, 2, 3].map((n) => block(chainId, n, MATRIX))
    await indexBlocks(env.DB, chainId, blocks)
    await indexBlocks(env.DB, chainId, blocks)
    await indexBlocks(env.DB, chainId, [blocks[1]])
    await indexBlocks(env.DB, chainId, blocks)

    expect(await count('blocks where chain_id = ?', chainId)).toBe(3)
    expect(await count('transactions where chain_id = ?', chainId)).toBe(12)
    expect(await count('logs where chain_id = ?', chainId)).toBe(15)
    expect(await queryLogs(env.DB, chainId, all, LIMIT)).toEqual(rpcLogsOf(blocks))
  })

  test('behavior: re-indexing a number with a different block replaces its rows', async () => {
    const chainId = newChainId()
    const old = [1, 2, 3].map((n) => block(chainId, n, MATRIX))
    await indexBlocks(env.DB, chainId, old)
    const replacement = block(chainId, 2, [[{ address: TOKEN_C, topics: [PING] }]], 'fork')
    await indexBlocks(env.DB, chainId, [replacement, old[2]])

    expect(await count('blocks where chain_id = ? and hash = ?', chainId, old[1].hash)).toBe(0)
    expect(
      await env.DB.prepare('select hash from blocks where chain_id = ? and number = 2')
        .bind(chainId)
        .first('hash'),
    ).toBe(replacement.hash)
    for (const t of old[1].transactions)
      expect(await count('transactions where chain_id = ? and hash = ?', chainId, t.hash)).toBe(0)
    expect(await count('transactions where chain_id = ? and block_number = 2', chainId)).toBe(1)
    expect(await count('logs where chain_id = ? and block_number = 2', chainId)).toBe(1)
    expect(await queryLogs(env.DB, chainId, { ...all, blockHash: old[1].hash }, LIMIT)).toEqual([])
    expect(await queryLogs(env.DB, chainId, all, LIMIT)).toEqual(
      rpcLogsOf([old[0], replacement, old[2]]),
    )
    expect(await queryBlockHashesSince(env.DB, chainId, 0n)).toEqual([
      old[0].hash,
      replacement.hash,
      old[2].hash,
    ])
  })

  test('behavior: a transaction re-included at another number moves there', async () => {
    const chainId = newChainId()
    const b1 = block(chainId, 1, [[{ address: TOKEN_A, topics: [PING] }]])
    const b2 = block(chainId, 2, [[{ address: TOKEN_B, topics: [PING] }]])
    await indexBlocks(env.DB, chainId, [b1, b2])
    // The reorged chain holds block 2's transaction in block 1, as its second transaction.
    const moved = block(chainId, 1, [[], []], 'fork')
    moved.transactions[1] = { ...b2.transactions[0], index: 1 }
    await indexBlocks(env.DB, chainId, [moved])

    const row = await env.DB.prepare(
      'select block_number, tx_index from transactions where chain_id = ? and hash = ?',
    )
      .bind(chainId, b2.transactions[0].hash)
      .first()
    expect(row).toEqual({ block_number: 1, tx_index: 1 })
    expect(await count('transactions where chain_id = ?', chainId)).toBe(2)
  })

  test('behavior: chains sharing one database are isolated', async () => {
    const [one, two] = [newChainId(), newChainId()]
    // Identical contents on both chains: keys (hashes included) are per chain.
    await indexBlocks(env.DB, one, [block(0, 1, MATRIX)])
    await indexBlocks(env.DB, two, [
      block(0, 1, MATRIX),
      block(two, 2, [[{ address: TOKEN_C, topics: [PING] }]]),
    ])
    expect(await getIndexedHead(env.DB, one)).toBe(1n)
    expect(await getIndexedHead(env.DB, two)).toBe(2n)
    expect(await queryLogs(env.DB, one, all, LIMIT)).toHaveLength(5)
    expect(await queryLogs(env.DB, two, all, LIMIT)).toHaveLength(6)

    // Re-indexing block 1 of chain `one` with another block leaves chain `two` as it was.
    const fork = block(one, 1, [[{ address: TOKEN_A, topics: [] }]], 'fork')
    await indexBlocks(env.DB, one, [fork])
    expect(await queryLogs(env.DB, one, all, LIMIT)).toEqual(rpcLogsOf([fork]))
    expect(await queryLogs(env.DB, two, { ...all, toBlock: 1n }, LIMIT)).toEqual(
      rpcLogsOf([block(0, 1, MATRIX)]),
    )
    expect(await queryBlockHashesSince(env.DB, two, 0n)).toHaveLength(2)
    expect(await count('transactions where chain_id = ?', two)).toBe(5)
  })

  test('behavior: the cursor is the highest number of the last batch, and reads stop there', async () => {
    const chainId = newChainId()
    const blocks = [1, 2, 3, 4].map((n) => block(chainId, n, MATRIX))
    expect(await getIndexedHead(env.DB, chainId)).toBe(null)
    expect(await queryLogs(env.DB, chainId, all, LIMIT)).toEqual([])
    await indexBlocks(env.DB, chainId, [blocks[2], blocks[0], blocks[1]])
    expect(await getIndexedHead(env.DB, chainId)).toBe(3n)
    await indexBlocks(env.DB, chainId, [blocks[3]])
    expect(await getIndexedHead(env.DB, chainId)).toBe(4n)
    await indexBlocks(env.DB, chainId, [])
    expect(await getIndexedHead(env.DB, chainId)).toBe(4n)

    // Re-indexing from block 2 (a replaced chain being rebuilt) hides blocks 3 and 4 until they are re-indexed.
    const fork = block(chainId, 2, [[{ address: TOKEN_A, topics: [PING] }]], 'fork')
    await indexBlocks(env.DB, chainId, [fork])
    expect(await getIndexedHead(env.DB, chainId)).toBe(2n)
    expect(await queryLogs(env.DB, chainId, all, LIMIT)).toEqual(rpcLogsOf([blocks[0], fork]))
    expect(await queryBlockHashesSince(env.DB, chainId, 0n)).toEqual([blocks[0].hash, fork.hash])
    await indexBlocks(env.DB, chainId, [blocks[2], blocks[3]])
    expect(await getIndexedHead(env.DB, chainId)).toBe(4n)
    expect(await queryLogs(env.DB, chainId, all, LIMIT)).toEqual(
      rpcLogsOf([blocks[0], fork, blocks[2], blocks[3]]),
    )
  })

  test('behavior: every statement binds at most 100 parameters', async () => {
    const chainId = newChainId()
    const { db, statements } = recording(env.DB)
    const specs = Array.from({ length: 40 }, (_, i) => [
      { address: TOKEN_A, topics: [TRANSFER, X, Y, word(toHex(i))] },
    ])
    await indexBlocks(
      db,
      chainId,
      Array.from({ length: 40 }, (_, n) => block(chainId, n + 1, specs)),
    )
    const longList = Array.from({ length: 300 }, (_, i) => addr(`contract ${i}`)).concat(TOKEN_A)
    const topicList = Array.from({ length: 300 }, (_, i) => h(`event ${i}`)).concat(TRANSFER)
    const logs = await queryLogs(
      db,
      chainId,
      { ...all, address: longList, topics: [topicList, topicList.concat(X), topicList.concat(Y)] },
      LIMIT,
    )

    expect(logs).toHaveLength(1600)
    expect(statements.length).toBeGreaterThan(100)
    expect(Math.max(...statements.map((s) => s.values.length))).toBeLessThanOrEqual(100)
    expect(Math.max(...statements.map((s) => s.sql.length))).toBeLessThan(100_000)
  })
})

describe('queryLogs', () => {
  const chainId = 69_999 // fixed: the inline snapshot holds hashes derived from it
  const blocks = [1, 2, 3, 4, 5, 6].map((n) =>
    block(
      chainId,
      n,
      MATRIX.map((tx, i) =>
        tx.map((l) =>
          n % 3 === i % 3 ? { ...l, address: [TOKEN_A, TOKEN_B, TOKEN_C][n % 3] } : l,
        ),
      ),
    ),
  )
  beforeAll(() => indexBlocks(env.DB, chainId, blocks))
  const get = (filter: Partial<LogFilter>, limit = 10_000) =>
    queryLogs(env.DB, chainId, { ...all, ...filter }, { limit })
  const inBlock1 = async (filter: Partial<LogFilter>) =>
    logIndexes(await get({ ...filter, fromBlock: 1n, toBlock: 1n }))

  test('default', async () => {
    const logs = await get({ fromBlock: 2n, toBlock: 2n, topics: [TRANSFER, null, X] })
    expect(logs).toMatchInlineSnapshot(`
      [
        {
          "address": "0xb9e5f0be3596d6145e89d87c6dee64263c173f73",
          "blockHash": "0x0044ec4c104017b92db03489a4a468b22475cb8b6c4f58cc87345f6e089a2d36",
          "blockNumber": "0x2",
          "blockTimestamp": "0x6553f104",
          "data": "0x00000000000000000000000000000000000000000000000000000000000007d4",
          "logIndex": "0x4",
          "removed": false,
          "topics": [
            "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
            "0x0000000000000000000000003440326f551b8a7ee198cee35cb5d517f2d296a2",
            "0x0000000000000000000000005dad7600c5d89fe3824ffa99ec1c3eb8bf3b0501",
            "0x41e406698d040bb44cf693b3dc50c37cf3c854c422d2645b1101662741fbaa88",
          ],
          "transactionHash": "0x94776a96a9e04434332e9294490ffbc3584a705e48bfe221dbe2a47adbf448a6",
          "transactionIndex": "0x3",
        },
      ]
    `)
  })

  test('behavior: address is an OR-list; an empty list is a wildcard; case does not matter', async () => {
    expect(await inBlock1({})).toEqual([0, 1, 2, 3, 4])
    expect(await inBlock1({ address: [] })).toEqual([0, 1, 2, 3, 4])
    expect(await inBlock1({ address: [TOKEN_B] })).toEqual([1, 2, 4])
    expect(await inBlock1({ address: [TOKEN_C, TOKEN_A] })).toEqual([0, 3])
    expect(await inBlock1({ address: [TOKEN_B.toUpperCase().replace('0X', '0x') as Hex] })).toEqual(
      [1, 2, 4],
    )
    expect(await inBlock1({ address: [addr('nobody')] })).toEqual([])
  })

  test('behavior: topics are positional; null and an empty list are wildcards', async () => {
    expect(await inBlock1({ topics: [] })).toEqual([0, 1, 2, 3, 4])
    expect(await inBlock1({ topics: [null] })).toEqual([1, 2, 3, 4])
    expect(await inBlock1({ topics: [[]] })).toEqual([1, 2, 3, 4])
    expect(await inBlock1({ topics: [TRANSFER] })).toEqual([1, 2, 4])
    expect(await inBlock1({ topics: [[TRANSFER]] })).toEqual([1, 2, 4])
    expect(await inBlock1({ topics: [[APPROVAL, TRANSFER]] })).toEqual([1, 2, 3, 4])
    expect(await inBlock1({ topics: [null, X] })).toEqual([2, 3])
    expect(await inBlock1({ topics: [null, [X, Y]] })).toEqual([2, 3, 4])
    expect(
      await inBlock1({
        topics: [
          [TRANSFER, APPROVAL],
          [X, Y],
        ],
      }),
    ).toEqual([2, 3, 4])
    expect(await inBlock1({ topics: [TRANSFER, [Z, Y], X] })).toEqual([4])
    expect(await inBlock1({ topics: [null, null, null, Z] })).toEqual([4])
    expect(await inBlock1({ topics: [TRANSFER.toUpperCase().replace('0X', '0x') as Hex] })).toEqual(
      [1, 2, 4],
    )
    expect(await inBlock1({ topics: [PING] })).toEqual([])
    expect(await inBlock1({ topics: [TRANSFER], address: [TOKEN_A] })).toEqual([])
    expect(await inBlock1({ topics: [TRANSFER], address: [TOKEN_B, TOKEN_C] })).toEqual([1, 2, 4])
  })

  test('behavior: more topic positions than a log has never match it, even when null', async () => {
    expect(await inBlock1({ topics: [TRANSFER, null] })).toEqual([2, 4])
    expect(await inBlock1({ topics: [null, null, null] })).toEqual([3, 4])
    expect(await inBlock1({ topics: [null, null, null, null] })).toEqual([4])
    expect(await inBlock1({ topics: [[], [], [], []] })).toEqual([4])
    expect(await inBlock1({ topics: [null, null, null, null, null] })).toEqual([])
  })

  test('behavior: the block range is inclusive and blockHash selects one block', async () => {
    const numbers = async (f: Partial<LogFilter>) => [
      ...new Set((await get(f)).map((l) => Number(l.blockNumber))),
    ]
    expect(await numbers({})).toEqual([1, 2, 3, 4, 5, 6])
    expect(await numbers({ fromBlock: 2n, toBlock: 4n })).toEqual([2, 3, 4])
    expect(await numbers({ fromBlock: 6n, toBlock: 6n })).toEqual([6])
    expect(await numbers({ fromBlock: 7n, toBlock: 9n })).toEqual([])
    expect(await numbers({ fromBlock: 4n, toBlock: 3n })).toEqual([])
    expect(await numbers({ fromBlock: 5n, toBlock: 5n, blockHash: blocks[4].hash })).toEqual([5])
    expect(
      await numbers({
        fromBlock: 5n,
        toBlock: 5n,
        blockHash: blocks[4].hash.toUpperCase().replace('0X', '0x') as Hex,
      }),
    ).toEqual([5])
    expect(await numbers({ blockHash: blocks[2].hash, topics: [TRANSFER] })).toEqual([3])
    expect(await numbers({ blockHash: h('unknown block') })).toEqual([])
  })

  test('behavior: matches the sequencer-side matcher over the whole filter matrix', async () => {
    const addresses = [undefined, [], [TOKEN_A], [TOKEN_B, TOKEN_C], [addr('nobody'), TOKEN_C]]
    const topicSets: LogFilter['topics'][] = [
      undefined,
      [],
      [null],
      [[]],
      [TRANSFER],
      [[TRANSFER, APPROVAL]],
      [null, X],
      [TRANSFER, null],
      [TRANSFER, [X, Y]],
      [null, null, X],
      [[TRANSFER, PING], Y, X, Z],
      [null, null, null, null],
      [null, null, null, null, null],
    ]
    const ranges = [all, { fromBlock: 2n, toBlock: 4n }, { fromBlock: 3n, toBlock: 3n }]
    const everything = rpcLogsOf(blocks)
    let checked = 0
    for (const address of addresses)
      for (const topics of topicSets)
        for (const range of ranges) {
          const want = everything.filter(
            (l) =>
              BigInt(l.blockNumber!) >= range.fromBlock &&
              BigInt(l.blockNumber!) <= range.toBlock &&
              matchLog(l, { address: address?.map((a) => a.toLowerCase() as Hex), topics }),
          )
          const got = await get({ ...range, address, topics })
          expect(
            got,
            JSON.stringify({ address, topics, range }, (_, v) =>
              typeof v === 'bigint' ? String(v) : v,
            ),
          ).toEqual(want)
          checked += got.length
        }
    expect(checked).toBeGreaterThan(100)
  })

  test('behavior: each filter walks one index, bounded by the block range', async () => {
    const cases: [Partial<LogFilter>, string][] = [
      [{}, 'sqlite_autoindex_logs_1'],
      [{ address: [TOKEN_A] }, 'logs_chain_address_block'],
      [{ address: [TOKEN_A, TOKEN_B] }, 'logs_chain_address_block'],
      [{ topics: [TRANSFER] }, 'logs_chain_topic0_block'],
      [{ topics: [[TRANSFER, APPROVAL]] }, 'logs_chain_topic0_block'],
      [{ address: [TOKEN_B], topics: [TRANSFER] }, 'logs_chain_address_block'],
      [{ address: [TOKEN_B], topics: [TRANSFER, X] }, 'logs_chain_topic1_block'],
      [{ topics: [null, null, [X, Y]] }, 'logs_chain_topic2_block'],
      [{ topics: [TRANSFER, null, X, Z] }, 'logs_chain_topic3_block'],
    ]
    for (const [filter, index] of cases) {
      const { db, statements } = recording(env.DB)
      await queryLogs(db, chainId, { fromBlock: 2n, toBlock: 4n, ...filter }, LIMIT)
      const walk = await planOf(statements[0])
      expect(walk, JSON.stringify(filter)).toMatch(
        new RegExp(
          `^SEARCH logs USING (COVERING )?INDEX ${index} \\(chain_id=\\? AND (\\w+=\\? AND )?block_number>\\? AND block_number<\\?\\)$`,
        ),
      )
    }
    const { db, statements } = recording(env.DB)
    await queryLogs(
      db,
      chainId,
      { fromBlock: 2n, toBlock: 2n, blockHash: blocks[1].hash, address: [TOKEN_A] },
      LIMIT,
    )
    expect(await planOf(statements[0])).toBe(
      'SEARCH logs USING INDEX logs_chain_block_hash (chain_id=? AND block_hash=?)',
    )
  })

  test('behavior: ordered by block number, then log index', async () => {
    const chainId = newChainId()
    const [b1, b2, b3] = [1, 2, 3].map((n) => block(chainId, n, MATRIX))
    b2.logs.reverse()
    await indexBlocks(env.DB, chainId, [b3, b1])
    await indexBlocks(env.DB, chainId, [b2, b3])
    const logs = await queryLogs(env.DB, chainId, all, LIMIT)
    expect(logs.map((l) => [Number(l.blockNumber), Number(l.logIndex)])).toEqual(
      [1, 2, 3].flatMap((n) => [0, 1, 2, 3, 4].map((i) => [n, i])),
    )
  })

  test('behavior: more than `limit` results is an error, `limit` results is not', async () => {
    expect(await get({}, 30)).toHaveLength(30)
    expect(await get({ topics: [TRANSFER] }, 18)).toHaveLength(18)
    const err = await get({}, 29).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LimitExceededError)
    expect(err).toMatchObject({
      code: -32005,
      message: 'query returned more than 29 results',
      details: 'Try with this block range [0x0, 0x5].',
    })
    await expect(get({ fromBlock: 3n, toBlock: 3n }, 4)).rejects.toThrow(
      'query returned more than 4 results',
    )
  })
})

describe('queryBlockHashesSince', () => {
  test('default', async () => {
    const chainId = newChainId()
    const blocks = [0, 1, 2, 3].map((n) => block(chainId, n, []))
    await indexBlocks(env.DB, chainId, blocks)
    await indexBlocks(env.DB, newChainId(), [block(chainId, 4, [])])
    expect(await queryBlockHashesSince(env.DB, chainId, 1n)).toEqual([
      blocks[2].hash,
      blocks[3].hash,
    ])
    expect(await queryBlockHashesSince(env.DB, chainId, -1n)).toEqual(blocks.map((b) => b.hash))
    expect(await queryBlockHashesSince(env.DB, chainId, 3n)).toEqual([])
    expect(await queryBlockHashesSince(env.DB, newChainId(), 0n)).toEqual([])
  })
})

/** How SQLite reads the logs table for a recorded statement (its EXPLAIN QUERY PLAN line). */
async function planOf({
  sql,
  values,
}: {
  sql: string
  values: unknown[]
}): Promise<string | undefined> {
  const plan = await env.DB.prepare(`explain query plan ${sql}`)
    .bind(...values)
    .all<{ detail: string }>()
  return plan.results.map((r) => r.detail).find((d) => d.startsWith('SEARCH logs'))
}

/** The database with every statement's SQL and bound values recorded (D1 allows 100 values and 100 KB). */
function recording(db: D1Database) {
  const statements: { sql: string; values: unknown[] }[] = []
  const prepare = (sql: string) => {
    const stmt = db.prepare(sql)
    const bind = stmt.bind.bind(stmt)
    stmt.bind = (...values: unknown[]) => {
      statements.push({ sql, values })
      return bind(...values)
    }
    return stmt
  }
  const get = (target: D1Database, key: string | symbol) => {
    if (key === 'prepare') return prepare
    const value = Reflect.get(target, key)
    return typeof value === 'function' ? value.bind(target) : value
  }
  return { statements, db: new Proxy(db, { get }) }
}
