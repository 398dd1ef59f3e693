/**
 * The schedules of a node's Durable Object multiplexed onto its one storage alarm: each named job
 * (sealing, the L1 round, D1 indexing, reconnecting the live feed …) is due at a time or not at all;
 * the alarm is set for the earliest. Pure: the host reads `next()` to arm its alarm and calls `take`
 * when it fires.
 */
export class Scheduler<Job extends string> {
  private readonly due = new Map<Job, number>()
  private armed?: number

  /** Makes `job` due at `at` (ms since epoch); an earlier time already set stays unless `replace`. */
  at(job: Job, at: number, opts: { replace?: boolean } = {}): void {
    const current = this.due.get(job)
    if (current === undefined || opts.replace || at < current) this.due.set(job, at)
  }

  /** Whether `job` is scheduled. */
  has(job: Job): boolean {
    return this.due.has(job)
  }

  /** Unschedules `job`. */
  cancel(job: Job): void {
    this.due.delete(job)
  }

  /** The jobs due at `now`, unscheduled as they are returned (each runs once per time it was set). */
  take(now: number): Job[] {
    const out: Job[] = []
    for (const [job, at] of this.due)
      if (at <= now) {
        out.push(job)
        this.due.delete(job)
      }
    this.armed = undefined
    return out
  }

  /**
   * When the alarm must next fire, if that is earlier than the time it is already armed for (the
   * host then sets it and it counts as armed); undefined when the armed alarm already covers it.
   */
  toArm(): number | undefined {
    if (this.due.size === 0) return undefined
    const at = Math.min(...this.due.values())
    if (this.armed !== undefined && this.armed <= at) return undefined
    this.armed = at
    return at
  }
}
