import { afterAll, beforeAll } from 'vitest'

/**
 * Something a test file starts once (a devnet): started before its tests, stopped after them. The
 * returned handle reads through to the running value, so fields a test replaces (a restarted node)
 * stay current.
 */
export function perFile<T extends { stop(): Promise<void> }>(
  what: string,
  start: () => Promise<T>,
  timeoutMs: number,
): T {
  let value: T | undefined
  beforeAll(async () => {
    value = await start()
  }, timeoutMs)
  afterAll(async () => {
    await value?.stop()
  })
  return new Proxy({} as T, {
    get: (_, key) => {
      if (!value) throw new Error(`the ${what} is not started yet`)
      return value[key as keyof T]
    },
  })
}
