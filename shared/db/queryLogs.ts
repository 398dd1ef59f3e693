import { drizzleD1, type D1 } from './d1.js'
import { and, asc, between, eq, gt, isNotNull, lte, sql, type SQL } from 'drizzle-orm'
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core'
import { toHex, type Hex, type RpcLog } from 'viem'
import { LimitExceededError } from '../errors.js'
import { blocks, indexCursor, LOG_INDEXES, logs } from './schema.js'

/**
 * eth_getLogs criteria with the block range resolved to numbers. `address` is an OR-list; `topics`
 * is positional, each position null (any), one topic, or an OR-list. `blockHash` narrows the range
 * to that block (callers pass its number as both bounds, as for a `blockHash` request).
 */
export type LogFilter = {
  fromBlock: bigint
  toBlock: bigint
  address?: Hex[]
  topics?: (Hex | Hex[] | null)[]
  blockHash?: Hex
}

const TOPIC_COLUMNS = [logs.topic0, logs.topic1, logs.topic2, logs.topic3]
const TOPIC_INDEXES = [
  LOG_INDEXES.topic0,
  LOG_INDEXES.topic1,
  LOG_INDEXES.topic2,
  LOG_INDEXES.topic3,
]

/** A row of the eth_getLogs query, as D1 returns it. */
type LogRow = {
  block_number: number
  log_index: number
  tx_index: number
  tx_hash: Hex
  block_hash: Hex
  address: Hex
  topic0: Hex | null
  topic1: Hex | null
  topic2: Hex | null
  topic3: Hex | null
  data: Hex
  timestamp: number
}

/**
 * The indexed logs of one chain that match `filter`, ordered by block number then log index, as
 * JSON-RPC logs (with `blockTimestamp`, like recent geth). Matching follows geth's `filterLogs`: an
 * empty or absent address list, a null position and an empty OR-list are wildcards; a filter with
 * more topic positions than a log has topics never matches it, even where those positions are null.
 * Only blocks up to the index cursor are seen. More than `limit` matches throws LimitExceededError
 * ("query returned more than N results"), so a caller never gets a silently truncated answer.
 */
export async function queryLogs(
  db: D1,
  chainId: number,
  filter: LogFilter,
  { limit }: { limit: number },
): Promise<RpcLog[]> {
  const topics = filter.topics ?? []
  if (
    topics.length > TOPIC_COLUMNS.length ||
    filter.fromBlock > filter.toBlock ||
    filter.toBlock < 0n
  )
    return []
  const from = filter.fromBlock < 0n ? 0 : clampToInteger(filter.fromBlock)
  const to = clampToInteger(filter.toBlock)

  const where: (SQL | undefined)[] = [
    eq(indexCursor.chainId, chainId),
    eq(logs.chainId, chainId),
    between(logs.blockNumber, from, to),
    lte(logs.blockNumber, indexCursor.head),
    filter.blockHash && eq(logs.blockHash, filter.blockHash.toLowerCase()),
    filter.address?.length ? oneOf(logs.address, filter.address) : undefined,
    topics.length ? isNotNull(TOPIC_COLUMNS[topics.length - 1]) : undefined,
    ...topics.map((want, i) =>
      want === null || want.length === 0
        ? undefined
        : oneOf(TOPIC_COLUMNS[i], typeof want === 'string' ? [want] : want),
    ),
  ]
  const index = chooseIndex(filter, topics)
  // The cursor row leads (CROSS JOIN keeps that order), so its head bounds the index walk; the
  // block timestamp is a per-row lookup, since a join on block_number would cost the walk its lower bound.
  const rows = await drizzleD1(db).all<LogRow>(sql`
    select ${logs.blockNumber}, ${logs.logIndex}, ${logs.txIndex}, ${logs.txHash}, ${logs.blockHash},
      ${logs.address}, ${logs.topic0}, ${logs.topic1}, ${logs.topic2}, ${logs.topic3}, ${logs.data},
      (select ${blocks.timestamp} from ${blocks}
        where ${blocks.chainId} = ${logs.chainId} and ${blocks.number} = ${logs.blockNumber}) as timestamp
    from ${indexCursor}
    cross join ${logs} ${index ? sql`indexed by ${sql.identifier(index)}` : sql``}
    where ${and(...where)}
    order by ${logs.blockNumber}, ${logs.logIndex}
    limit ${limit + 1}`)

  if (rows.length > limit) {
    const last = BigInt(rows[limit].block_number) - 1n
    throw new LimitExceededError(`query returned more than ${limit} results`, {
      details:
        last >= filter.fromBlock
          ? `Try with this block range [${toHex(filter.fromBlock)}, ${toHex(last)}].`
          : undefined,
    })
  }
  return rows.map((r) => ({
    address: r.address,
    topics: [r.topic0, r.topic1, r.topic2, r.topic3].filter((t) => t !== null) as RpcLog['topics'],
    data: r.data,
    blockNumber: toHex(r.block_number),
    blockHash: r.block_hash,
    blockTimestamp: toHex(r.timestamp),
    transactionHash: r.tx_hash,
    transactionIndex: toHex(r.tx_index),
    logIndex: toHex(r.log_index),
    removed: false,
  }))
}

/**
 * The hashes of the indexed blocks of one chain numbered above `afterNumber`, in ascending order
 * (eth_newBlockFilter / eth_getFilterChanges). Only blocks up to the index cursor are seen.
 */
export async function queryBlockHashesSince(
  db: D1,
  chainId: number,
  afterNumber: bigint,
): Promise<Hex[]> {
  const after = afterNumber < 0n ? -1 : clampToInteger(afterNumber)
  const rows = await drizzleD1(db)
    .select({ hash: blocks.hash })
    .from(blocks)
    .where(
      and(
        eq(blocks.chainId, chainId),
        gt(blocks.number, after),
        lte(blocks.number, cursorOf(chainId)),
      ),
    )
    .orderBy(asc(blocks.number))
    .all()
  return rows.map((r) => r.hash as Hex)
}

/**
 * The index the query walks (each ends in block number, so the range bounds the walk): the block
 * hash's, else the latest topic position given (indexed event arguments select more than event
 * signatures), else the address's, else topic0's; none (the primary key, in order) for a bare range.
 */
function chooseIndex(
  filter: LogFilter,
  topics: NonNullable<LogFilter['topics']>,
): string | undefined {
  if (filter.blockHash) return LOG_INDEXES.blockHash
  const given = (i: number) => topics[i] != null && topics[i]!.length > 0
  for (const i of [3, 2, 1]) if (given(i)) return TOPIC_INDEXES[i]
  if (filter.address?.length) return LOG_INDEXES.address
  if (given(0)) return LOG_INDEXES.topic0
  return undefined
}

/** The chain's index cursor as a scalar subquery (null, so matching nothing, before the first batch). */
function cursorOf(chainId: number): SQL {
  return sql`(select ${indexCursor.head} from ${indexCursor} where ${indexCursor.chainId} = ${chainId})`
}

/** `column = value`, or `column IN (…)` over a JSON array bound as one parameter (D1 binds at most 100). */
function oneOf(column: AnySQLiteColumn, values: Hex[]): SQL {
  const wanted = [...new Set(values.map((v) => v.toLowerCase()))]
  return wanted.length === 1
    ? eq(column, wanted[0])
    : sql`${column} in (select value from json_each(${JSON.stringify(wanted)}))`
}

function clampToInteger(n: bigint): number {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n)
}
