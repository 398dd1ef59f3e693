import { and, asc, between, eq, gt, isNotNull, lte, sql, type SQL } from 'drizzle-orm'
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core'
import { drizzle } from 'drizzle-orm/d1'
import { toHex, type Hex, type RpcLog } from 'viem'
import { LimitExceededError } from '../errors.js'
import { blocks, indexCursor, logs } from './schema.js'

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

/**
 * The indexed logs of one chain that match `filter`, ordered by block number then log index, as
 * JSON-RPC logs (with `blockTimestamp`, like recent geth). Matching follows geth's `filterLogs`: an
 * empty or absent address list, a null position and an empty OR-list are wildcards; a filter with
 * more topic positions than a log has topics never matches it, even where those positions are null.
 * Only blocks up to the index cursor are seen. More than `limit` matches throws LimitExceededError
 * ("query returned more than N results"), so a caller never gets a silently truncated answer.
 */
export async function queryLogs(
  db: D1Database,
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
    eq(logs.chainId, chainId),
    between(logs.blockNumber, from, to),
    lte(logs.blockNumber, cursorOf(chainId)),
    filter.blockHash && eq(logs.blockHash, filter.blockHash.toLowerCase()),
    filter.address?.length ? oneOf(logs.address, filter.address) : undefined,
    topics.length ? isNotNull(TOPIC_COLUMNS[topics.length - 1]) : undefined,
    ...topics.map((want, i) =>
      want === null || want.length === 0
        ? undefined
        : oneOf(TOPIC_COLUMNS[i], typeof want === 'string' ? [want] : want),
    ),
  ]
  const rows = await drizzle(db)
    .select({
      blockNumber: logs.blockNumber,
      logIndex: logs.logIndex,
      txIndex: logs.txIndex,
      txHash: logs.txHash,
      blockHash: logs.blockHash,
      address: logs.address,
      topic0: logs.topic0,
      topic1: logs.topic1,
      topic2: logs.topic2,
      topic3: logs.topic3,
      data: logs.data,
      timestamp: blocks.timestamp,
    })
    .from(logs)
    .innerJoin(blocks, and(eq(blocks.chainId, logs.chainId), eq(blocks.number, logs.blockNumber)))
    .where(and(...where))
    .orderBy(asc(logs.blockNumber), asc(logs.logIndex))
    .limit(limit + 1)
    .all()

  if (rows.length > limit) {
    const last = BigInt(rows[limit].blockNumber) - 1n
    throw new LimitExceededError(`query returned more than ${limit} results`, {
      details:
        last >= filter.fromBlock
          ? `Try with this block range [${toHex(filter.fromBlock)}, ${toHex(last)}].`
          : undefined,
    })
  }
  return rows.map((r) => ({
    address: r.address as Hex,
    topics: [r.topic0, r.topic1, r.topic2, r.topic3].filter((t) => t !== null) as RpcLog['topics'],
    data: r.data as Hex,
    blockNumber: toHex(r.blockNumber),
    blockHash: r.blockHash as Hex,
    blockTimestamp: toHex(r.timestamp),
    transactionHash: r.txHash as Hex,
    transactionIndex: toHex(r.txIndex),
    logIndex: toHex(r.logIndex),
    removed: false,
  }))
}

/**
 * The hashes of the indexed blocks of one chain numbered above `afterNumber`, in ascending order
 * (eth_newBlockFilter / eth_getFilterChanges). Only blocks up to the index cursor are seen.
 */
export async function queryBlockHashesSince(
  db: D1Database,
  chainId: number,
  afterNumber: bigint,
): Promise<Hex[]> {
  const after = afterNumber < 0n ? -1 : clampToInteger(afterNumber)
  const rows = await drizzle(db)
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
