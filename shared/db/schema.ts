import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

/**
 * The D1 history index: derived data rebuilt from the sequencer's storage (the source of truth).
 * One database serves several L2 chains, so `chain_id` leads every key and index. Hex values
 * (hashes, addresses, topics, data) are stored as lowercase `0x…` text so that `=` and `IN` compare
 * them exactly; block numbers, timestamps and indexes are integers. Migrations are generated from
 * this file by `npm run db:generate` and are append-only.
 */

/** One row per indexed block; `rpc` is the JSON-RPC block object with transaction hashes. */
export const blocks = sqliteTable(
  'blocks',
  {
    chainId: integer('chain_id').notNull(),
    number: integer('number').notNull(),
    hash: text('hash').notNull(),
    parentHash: text('parent_hash').notNull(),
    timestamp: integer('timestamp').notNull(),
    rpc: text('rpc').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.chainId, t.number] }),
    uniqueIndex('blocks_chain_hash').on(t.chainId, t.hash),
  ],
)

/** One row per transaction, keyed by hash; `rpc` is the JSON-RPC transaction, `receipt` its receipt. */
export const transactions = sqliteTable(
  'transactions',
  {
    chainId: integer('chain_id').notNull(),
    hash: text('hash').notNull(),
    blockNumber: integer('block_number').notNull(),
    txIndex: integer('tx_index').notNull(),
    from: text('from').notNull(),
    to: text('to'),
    rpc: text('rpc').notNull(),
    receipt: text('receipt').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.chainId, t.hash] }),
    uniqueIndex('transactions_chain_block_index').on(t.chainId, t.blockNumber, t.txIndex),
  ],
)

/**
 * The secondary indexes of `logs`, by name: eth_getLogs picks one with `INDEXED BY` (queryLogs.ts),
 * since without statistics SQLite would rather walk the primary key in block order. Each ends in
 * (block_number, log_index): a range bounds the walk and rows come out in eth_getLogs order.
 */
export const LOG_INDEXES = {
  address: 'logs_chain_address_block',
  topic0: 'logs_chain_topic0_block',
  topic1: 'logs_chain_topic1_block',
  topic2: 'logs_chain_topic2_block',
  topic3: 'logs_chain_topic3_block',
  blockHash: 'logs_chain_block_hash',
} as const

/**
 * One row per log, keyed by its position in the chain. `topic0..topic3` hold the topics in order
 * and are null past the log's last topic (topics are contiguous). The indexes serve eth_getLogs by
 * address or by any topic position within a block range, and by block hash.
 */
export const logs = sqliteTable(
  'logs',
  {
    chainId: integer('chain_id').notNull(),
    blockNumber: integer('block_number').notNull(),
    logIndex: integer('log_index').notNull(),
    txIndex: integer('tx_index').notNull(),
    txHash: text('tx_hash').notNull(),
    blockHash: text('block_hash').notNull(),
    address: text('address').notNull(),
    topic0: text('topic0'),
    topic1: text('topic1'),
    topic2: text('topic2'),
    topic3: text('topic3'),
    data: text('data').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.chainId, t.blockNumber, t.logIndex] }),
    index(LOG_INDEXES.address).on(t.chainId, t.address, t.blockNumber, t.logIndex),
    index(LOG_INDEXES.topic0).on(t.chainId, t.topic0, t.blockNumber, t.logIndex),
    index(LOG_INDEXES.topic1).on(t.chainId, t.topic1, t.blockNumber, t.logIndex),
    index(LOG_INDEXES.topic2).on(t.chainId, t.topic2, t.blockNumber, t.logIndex),
    index(LOG_INDEXES.topic3).on(t.chainId, t.topic3, t.blockNumber, t.logIndex),
    index(LOG_INDEXES.blockHash).on(t.chainId, t.blockHash),
  ],
)

/** The highest block number of each chain's last indexed batch: readers see blocks up to it. */
export const indexCursor = sqliteTable('index_cursor', {
  chainId: integer('chain_id').primaryKey(),
  head: integer('head').notNull(),
})

/** Which L1 transaction carries which L2 blocks (`first_block..last_block`) of a chain. */
export const batches = sqliteTable(
  'batches',
  {
    chainId: integer('chain_id').notNull(),
    firstBlock: integer('first_block').notNull(),
    lastBlock: integer('last_block').notNull(),
    l1Tx: text('l1_tx').notNull(),
    l1Block: integer('l1_block').notNull(),
    bytes: integer('bytes').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.chainId, t.firstBlock] }),
    index('batches_chain_last').on(t.chainId, t.lastBlock),
  ],
)
