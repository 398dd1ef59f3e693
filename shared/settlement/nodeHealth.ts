import { failureKind, type FailureKind } from '../errors.js'

/** A step of the node's L1 round that is failing now: what, why, of which kind, since when. */
export type StepFailure = {
  step: string
  kind: FailureKind
  error: string
  /** ms since the epoch of the first failure in this run of failures. */
  since: number
  /** Failed attempts in a row. */
  attempts: number
  /** ms since the epoch before which the step is not tried again. */
  retryAt: number
}

/** What `GET /health` and `GET /chains` show of a shard: unhealthy while a deterministic failure lasts. */
export type HealthReport = { healthy: boolean; failures: StepFailure[] }

/** What a caught failure asks of its caller: a line to log (or none) and when to try again. */
export type FailureOutcome = { kind: FailureKind; log?: string; retryInMs: number }

/** Longest wait between two attempts of a failing step. */
const MAX_BACKOFF_MS = 30_000
/** The wait between two attempts of a step failing deterministically (the L1 may change under it). */
const DETERMINISTIC_RETRY_MS = 10_000

/**
 * The failures of a node's steps (the L1 round's parts: watch and batch, derive, pool, verify,
 * rollup events), kept so that their kind, not their text, decides what follows (invariant 10): a
 * deterministic failure is logged once with what failed and why and makes the node unhealthy until
 * the step succeeds again (retried every 10 s, in case the L1 changes under it); a retryable one (L1
 * unreachable, a timeout) backs off exponentially and is logged on its first attempt and then at
 * 8, 16, 32… attempts, so an outage never floods the log. A step that succeeds again logs its
 * recovery once.
 */
export class NodeHealth {
  private readonly failing = new Map<string, StepFailure>()

  /** Records that `step` failed with `err` at `now`; says what to log and when to retry. */
  fail(step: string, err: unknown, now: number, baseMs: number): FailureOutcome {
    const kind = failureKind(err)
    const error = describe(err)
    const prev = this.failing.get(step)
    const same = prev !== undefined && prev.kind === kind && prev.error === error
    const f: StepFailure = same
      ? { ...prev, attempts: prev.attempts + 1 }
      : { step, kind, error, since: now, attempts: 1, retryAt: now }
    const retryInMs =
      kind === 'deterministic'
        ? DETERMINISTIC_RETRY_MS
        : Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(f.attempts - 1, 10))
    f.retryAt = now + retryInMs
    this.failing.set(step, f)
    let log: string | undefined
    if (!same)
      log =
        kind === 'deterministic'
          ? `${step} failed (deterministic; the node is unhealthy until it succeeds, retried every ${DETERMINISTIC_RETRY_MS / 1000} s): ${error}`
          : `${step} failed (retryable; backing off): ${error}`
    else if (kind === 'retryable' && f.attempts >= 8 && (f.attempts & (f.attempts - 1)) === 0)
      log = `${step} still failing after ${f.attempts} attempts since ${new Date(f.since).toISOString()}: ${error}`
    return { kind, log, retryInMs }
  }

  /** Records that `step` succeeded; returns a line to log when it was failing. */
  ok(step: string): string | undefined {
    const prev = this.failing.get(step)
    if (!prev) return undefined
    this.failing.delete(step)
    return `${step} works again after ${prev.attempts} failed attempt(s)`
  }

  /** Whether `step` may run at `now` (it is not failing, or its back-off is over). */
  due(step: string, now: number): boolean {
    const f = this.failing.get(step)
    return !f || now >= f.retryAt
  }

  /**
   * Runs `step` unless it is backing off: its failure is recorded and logged (through `log`) as its
   * kind asks, never thrown; its recovery logged. Returns whether it ran and succeeded.
   */
  async run(
    step: string,
    fn: () => Promise<unknown>,
    opts: { now: () => number; baseMs: number; log: (line: string) => void },
  ): Promise<boolean> {
    if (!this.due(step, opts.now())) return false
    try {
      await fn()
    } catch (err) {
      const out = this.fail(step, err, opts.now(), opts.baseMs)
      if (out.log) opts.log(out.log)
      return false
    }
    const back = this.ok(step)
    if (back) opts.log(back)
    return true
  }

  /** Healthy unless a deterministic failure lasts; every current failure listed. */
  report(): HealthReport {
    const failures = [...this.failing.values()]
    return { healthy: !failures.some((f) => f.kind === 'deterministic'), failures }
  }
}

/** An error's first line: viem's short message and the details that say why. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const e = err as Error & { shortMessage?: string; details?: string }
  const head = (e.shortMessage ?? e.message).split('\n')[0]
  const details = e.details && !head.includes(e.details) ? `: ${e.details.split('\n')[0]}` : ''
  return `${head}${details}`
}
