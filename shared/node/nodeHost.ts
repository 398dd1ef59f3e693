/**
 * What a node's behaviour (shared/node/) needs of the runtime around it, and nothing of Cloudflare:
 * calls to other nodes, the clock, waiting, the log. The Durable Object passes workerd's `fetch`,
 * `Date.now` and `setTimeout`; unit tests pass a manual clock and a fetch that routes to fake nodes.
 * Storage and the alarm come in through the parts that need them (the outbox, `Scheduler`).
 */
export type NodeHost = {
  /** HTTP to other nodes (JSON-RPC and the live feed). */
  fetch: typeof fetch
  /** Milliseconds since the epoch. */
  now(): number
  /** Resolves after `ms` (a retry's pause). */
  sleep(ms: number): Promise<void>
  /** One line of the node's log. */
  log(line: string): void
}
