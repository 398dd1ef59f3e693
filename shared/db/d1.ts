import { drizzle } from 'drizzle-orm/d1'
/**
 * The slice of a D1 database that shared/ uses, declared here so that shared/ needs no Workers
 * types; the Workers' `D1Database` fits it, and drizzle's D1 driver takes it.
 */
export interface D1 {
  prepare(query: string): D1Statement
  batch(statements: D1Statement[]): Promise<unknown[]>
}

/** A prepared D1 statement. */
export interface D1Statement {
  bind(...values: unknown[]): D1Statement
  run(): Promise<unknown>
}

/** drizzle's query builder over `db` (its D1 driver wants the Workers' type; `D1` is its slice). */
export function drizzleD1(db: D1) {
  return drizzle(db as unknown as Parameters<typeof drizzle>[0])
}
