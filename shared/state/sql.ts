/** A value SQLite stores. */
export type SqlValue = string | number | null | ArrayBuffer | Uint8Array

/** A value as SQLite gives it back (BLOBs as ArrayBuffer). */
export type SqlRowValue = string | number | null | ArrayBuffer

/** The rows of one statement, as a Durable Object's SQL cursor gives them. */
export interface SqlCursor<T> {
  toArray(): T[]
  /** The only row; throws unless there is exactly one. */
  one(): T
}

/**
 * The slice of a Durable Object's `ctx.storage.sql` that shared/ code uses, declared here so that
 * shared/ needs no Workers types (`tsconfig.shared.json` checks it without them); workerd's
 * `SqlStorage` fits it.
 */
export interface Sql {
  exec<T extends Record<string, SqlRowValue>>(query: string, ...bindings: any[]): SqlCursor<T>
}

/** Bytes read back from SQLite (workerd returns BLOBs as ArrayBuffer). */
export function blobToBytes(v: SqlValue | undefined): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  throw new Error(`expected a BLOB, got ${typeof v}`)
}

/** Most parameters one statement binds (D1's limit); multi-row inserts are cut to stay under it. */
export const MAX_BOUND_PARAMETERS = 100

/**
 * A multi-row INSERT of rows `width` values wide: `head` (`INSERT INTO … VALUES `), a `(?, …)` per
 * row, then `tail`. One statement per row costs more in the crossing into SQLite than the insert.
 * Statement texts are memoised per row count (the text is the key of the statement's cached plan).
 */
export function multiRowInsert(head: string, width: number, tail = '') {
  const row = `(${Array(width).fill('?').join(', ')})`
  const texts: string[] = []
  const perStatement = Math.floor(MAX_BOUND_PARAMETERS / width)
  const text = (rows: number) => (texts[rows] ??= head + Array(rows).fill(row).join(', ') + tail)
  return {
    /** The rows cut into statements binding at most MAX_BOUND_PARAMETERS each. */
    statements<T extends SqlValue>(rows: T[][]): { text: string; params: T[] }[] {
      const out: { text: string; params: T[] }[] = []
      for (let i = 0; i < rows.length; i += perStatement) {
        const group = rows.slice(i, i + perStatement)
        out.push({ text: text(group.length), params: group.flat() })
      }
      return out
    },
  }
}
