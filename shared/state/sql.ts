/** A value SQLite stores. */
export type SqlValue = string | number | null | ArrayBuffer | Uint8Array

/**
 * The slice of a Durable Object's `ctx.storage.sql` that shared/ code uses: a structural type, so that
 * shared/ never imports `cloudflare:*` and any synchronous SQLite with this shape can stand in.
 */
export type Sql = {
  exec<T extends Record<string, SqlValue> = Record<string, SqlValue>>(
    query: string,
    ...bindings: SqlValue[]
  ): { toArray(): T[]; one(): T }
}

/** Bytes read back from SQLite (workerd returns BLOBs as ArrayBuffer). */
export function blobToBytes(v: SqlValue | undefined): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  throw new Error(`expected a BLOB, got ${typeof v}`)
}
