/** A value SQLite stores. */
export type SqlValue = string | number | null | ArrayBuffer | Uint8Array

/**
 * The slice of a Durable Object's `ctx.storage.sql` that shared/ code uses. A type only (workerd's
 * global `SqlStorage`), so shared/ never imports `cloudflare:*` at run time.
 */
export type Sql = Pick<SqlStorage, 'exec'>

/** Bytes read back from SQLite (workerd returns BLOBs as ArrayBuffer). */
export function blobToBytes(v: SqlValue | undefined): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  throw new Error(`expected a BLOB, got ${typeof v}`)
}
