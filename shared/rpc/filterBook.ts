import type { Hex } from 'viem'
import { InvalidParamsError, LimitExceededError, MethodNotFoundError } from '../errors.js'
import type { Sql } from '../state/sql.js'
import { resolveLogQuery, unwrap, type EdgeContext } from './edgeMethods.js'
import { parseLogCriteria, type LogCriteria } from './logFilter.js'
import * as p from './params.js'

/** Filters unpolled this long are removed, as geth does (5 minutes). */
export const FILTER_TIMEOUT_MS = 5 * 60_000
const PENDING_KEEP = 10_000

type FilterRow = { id: string; kind: string; criteria: string; cursor: number; last_poll: number }

/**
 * Polling filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter) kept in SQLite:
 * each remembers the last block (or pending sequence) it reported.
 */
export class FilterBook {
  constructor(private readonly sql: Sql) {
    sql.exec(
      `CREATE TABLE IF NOT EXISTS filters (id TEXT PRIMARY KEY, kind TEXT NOT NULL, criteria TEXT NOT NULL, cursor INTEGER NOT NULL, last_poll INTEGER NOT NULL)`,
    )
    sql.exec(
      `CREATE TABLE IF NOT EXISTS pending_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL)`,
    )
  }

  /** Logs hashes that entered the pool, for pending filters; skipped while there are none. */
  recordPending(hashes: Hex[]): void {
    const anyFilter = this.sql
      .exec("SELECT 1 FROM filters WHERE kind = 'pending' LIMIT 1")
      .toArray().length
    if (!anyFilter) return
    const before = this.pendingSeq()
    for (const hash of hashes) this.sql.exec('INSERT INTO pending_log (hash) VALUES (?)', hash)
    const seq = this.pendingSeq()
    if (Math.floor(seq / 1000) !== Math.floor(before / 1000))
      this.sql.exec('DELETE FROM pending_log WHERE seq <= ?', seq - PENDING_KEEP)
  }

  async call(ctx: EdgeContext, method: string, params: unknown[]): Promise<unknown> {
    this.expire()
    const head = async () =>
      Number(BigInt(unwrap(await ctx.sequencer.rpc('eth_blockNumber', [])) as Hex))
    switch (method) {
      case 'eth_newFilter':
        p.arity(params, 1, 1)
        this.assertRoom(ctx.config.rpcMaxFilters)
        return this.create(
          'logs',
          JSON.stringify(parseLogCriteria(params[0], 0), bigintJson),
          await head(),
        )
      case 'eth_newBlockFilter':
        this.assertRoom(ctx.config.rpcMaxFilters)
        return this.create('blocks', '{}', await head())
      case 'eth_newPendingTransactionFilter':
        this.assertRoom(ctx.config.rpcMaxFilters)
        return this.create('pending', '{}', this.pendingSeq())
      case 'eth_uninstallFilter':
        p.arity(params, 1, 1)
        return (
          this.sql
            .exec('DELETE FROM filters WHERE id = ? RETURNING id', filterId(params[0]))
            .toArray().length > 0
        )
      case 'eth_getFilterChanges':
        p.arity(params, 1, 1)
        return this.changes(ctx, this.get(params[0]), await head())
      case 'eth_getFilterLogs': {
        p.arity(params, 1, 1)
        const f = this.get(params[0])
        if (f.kind !== 'logs') throw new InvalidParamsError('filter not found')
        return ctx.logs(await resolveLogQuery(ctx, reviveCriteria(f.criteria)))
      }
    }
    throw new MethodNotFoundError(method)
  }

  private async changes(ctx: EdgeContext, f: FilterRow, head: number): Promise<unknown[]> {
    const now = Date.now()
    if (f.kind === 'pending') {
      const rows = this.sql
        .exec<{ seq: number; hash: string }>(
          'SELECT seq, hash FROM pending_log WHERE seq > ? ORDER BY seq',
          f.cursor,
        )
        .toArray()
      this.sql.exec(
        'UPDATE filters SET cursor = ?, last_poll = ? WHERE id = ?',
        rows.at(-1)?.seq ?? f.cursor,
        now,
        f.id,
      )
      return rows.map((r) => r.hash)
    }
    this.sql.exec('UPDATE filters SET cursor = ?, last_poll = ? WHERE id = ?', head, now, f.id)
    if (head <= f.cursor) return []
    if (f.kind === 'blocks') return ctx.sequencer.blockHashes(BigInt(f.cursor + 1), BigInt(head))
    const c = reviveCriteria(f.criteria)
    const q = await resolveLogQuery(ctx, {
      ...c,
      blockHash: undefined,
      fromBlock: { number: BigInt(f.cursor + 1) },
      toBlock: { number: BigInt(head) },
    })
    return ctx.logs(q)
  }

  /** RPC_MAX_FILTERS installed at once per shard: unpolled ones expire after FILTER_TIMEOUT_MS. */
  private assertRoom(max: number): void {
    const n = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM filters').one().n
    if (n >= max)
      throw new LimitExceededError(
        `too many filters installed (limit ${max}); uninstall some or let them expire`,
      )
  }

  private create(kind: string, criteria: string, cursor: number): Hex {
    const id =
      `0x${[...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')}` as Hex
    this.sql.exec(
      'INSERT INTO filters (id, kind, criteria, cursor, last_poll) VALUES (?, ?, ?, ?, ?)',
      id,
      kind,
      criteria,
      cursor,
      Date.now(),
    )
    return id
  }

  private get(id: unknown): FilterRow {
    const rows = this.sql
      .exec<FilterRow>('SELECT * FROM filters WHERE id = ?', filterId(id))
      .toArray()
    if (!rows.length) throw new InvalidParamsError('filter not found')
    return rows[0]
  }

  private pendingSeq(): number {
    return this.sql.exec<{ s: number | null }>('SELECT MAX(seq) AS s FROM pending_log').one().s ?? 0
  }

  private expire(): void {
    this.sql.exec('DELETE FROM filters WHERE last_poll < ?', Date.now() - FILTER_TIMEOUT_MS)
  }
}

function filterId(v: unknown): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v))
    throw new InvalidParamsError('invalid argument 0: expected a filter id')
  return v.toLowerCase()
}

function bigintJson(_k: string, v: unknown) {
  return typeof v === 'bigint' ? { $bigint: v.toString() } : v
}

function reviveCriteria(json: string): LogCriteria {
  return JSON.parse(json, (_k, v) =>
    v && typeof v === 'object' && '$bigint' in v ? BigInt(v.$bigint) : v,
  ) as LogCriteria
}
