import { NodeHealth, type HealthReport } from '../settlement/nodeHealth.js'

/**
 * The parts of one L1 round of a shard's node, each one call, run in this order: L1 watch, batch and
 * finality first (what the others read), derivation (a peer, and every member of a pool: the
 * holder's safe head is what L1 says), the pool's turn, the verifier, the rollup events, the batch
 * index. A part left out does not run. `derive` says whether L1 has more to derive right now.
 */
export type L1RoundParts<R> = {
  settle: () => Promise<R>
  derive?: () => Promise<{ more: boolean }>
  pool?: () => Promise<void>
  verifier: () => Promise<void>
  rollup: () => Promise<void>
  batchIndex: () => Promise<void>
}

/** The names each part fails under (`GET /health`, the log). */
export const L1_ROUND_STEPS = {
  settle: 'L1 watch, batch and finality',
  derive: 'derivation from L1',
  pool: 'pool round',
  verifier: 'verifier round',
  rollup: 'rollup events',
  batchIndex: 'batch index',
} as const

/** What the L1 round needs of its node: the clock, the log, the poll interval, and its next alarm. */
export type L1RoundHost = {
  now(): number
  log(line: string): void
  /** Milliseconds between rounds (L1_POLL_MS): the base of a retryable failure's back-off too. */
  pollMs: number
  /** Schedules the next round `delayMs` from now (0 while derivation has a backlog). */
  next(delayMs: number): Promise<void>
}

/** A round that did not get to L1's report (its first part failed or is backing off). */
export type NotRun = { error: string }

/**
 * A node's round of L1 work, one at a time (a call while one runs gets that one's answer). Each part
 * fails alone and its failure's kind decides what follows (`NodeHealth`, invariant 10): a
 * deterministic one is logged once and makes the node unhealthy while the other parts, and reads,
 * go on; a retryable one backs off. The next round is due `pollMs` later whatever happened, at once
 * while derivation has more to do.
 */
export class L1Round<R> {
  readonly health = new NodeHealth()
  private running?: Promise<R | NotRun>
  private deriveMore = false

  constructor(private readonly host: L1RoundHost) {}

  /** Health of the round's parts (`GET /health`, `GET /chains`). */
  report(): HealthReport {
    return this.health.report()
  }

  /** Runs one round of `parts` (or joins the one running). */
  run(parts: L1RoundParts<R>): Promise<R | NotRun> {
    this.running ??= this.once(parts).finally(() => (this.running = undefined))
    return this.running
  }

  private async once(parts: L1RoundParts<R>): Promise<R | NotRun> {
    const host = this.host
    const run = (step: string, fn: () => Promise<unknown>) =>
      this.health.run(step, fn, { now: () => host.now(), baseMs: host.pollMs, log: host.log })
    let report: R | NotRun = { error: 'not run (backing off)' }
    try {
      await run(L1_ROUND_STEPS.settle, async () => (report = await parts.settle()))
      const derive = parts.derive
      if (derive) {
        // A derivation failing (or backing off) has no backlog to hurry through.
        const ok = await run(L1_ROUND_STEPS.derive, async () => {
          this.deriveMore = (await derive()).more
        })
        if (!ok) this.deriveMore = false
      } else this.deriveMore = false
      if (parts.pool) await run(L1_ROUND_STEPS.pool, parts.pool)
      await run(L1_ROUND_STEPS.verifier, parts.verifier)
      await run(L1_ROUND_STEPS.rollup, parts.rollup)
      await run(L1_ROUND_STEPS.batchIndex, parts.batchIndex)
      return report
    } finally {
      await host.next(this.deriveMore ? 0 : host.pollMs)
    }
  }
}
