import type { NetworkOutput } from '../../../shared/verifiers/network.js'
import type { Kit } from './kit.js'
import type { PageState } from './state.js'

/** What `createNetworkViews` returns. */
export type NetworkViews = ReturnType<typeof createNetworkViews>

/**
 * The L1 half of the page, from GET /network and edge_rollup: outputs with attestations against the
 * quorum, challenge state and time to finality; verifiers; the sequencer pool and its schedule; the
 * last rollup events. Self-contained (shipped with `toString`).
 */
export function createNetworkViews(k: Kit) {
  const { el, link, num, short, badge, table, units, duration, fields } = k

  /** GET /network's report, or a line saying why there is none. */
  function report(s: PageState) {
    const n = s.network
    if (!n) return { none: el('p', { class: 'muted' }, 'reading L1 …') }
    if ('error' in n) return { none: el('p', { class: 'muted' }, `GET /network: ${n.error}`) }
    const shard = n.shards.find((x) => x.chainId === s.chain?.chainId) ?? n.shards[0]
    return { n, shard }
  }

  /** Seconds from an output's L2 block to its finality on L1 (final outputs whose block time is known). */
  function finality(s: PageState, o: NetworkOutput, period: number): number | undefined {
    const l2Time = s.outputTimes.get(Number(o.l2BlockNumber))
    if (l2Time === undefined || o.index === '0') return undefined
    const seconds = Number(o.proposedAt) + period - l2Time
    // Negative only when the L1's clock lags the L2's (a fresh devnet): no honest figure then.
    return seconds >= 0 ? seconds : undefined
  }

  /** The shard's last outputs on L1. */
  function outputs(s: PageState) {
    const { n, shard, none } = report(s)
    if (!n || !shard) return none
    const period = Number(shard.finalizationPeriodSeconds)
    const quorumPct = Math.ceil((Number(n.quorumStake) * 100) / Math.max(1, Number(n.activeStake)))
    const rows = shard.outputs.map((o, i) => {
      const prev = shard.outputs[i + 1]
      const from = prev ? Number(prev.l2BlockNumber) + 1 : 0
      const left = Number(o.proposedAt) + period - Number(n.l1Timestamp)
      const active = BigInt(n.activeStake)
      const pct = active > 0n ? Number((BigInt(o.signedStake) * 100n) / active) : 0
      const state = o.challenge
        ? badge(`challenged #${o.challenge}`, 'bad')
        : o.frozen
          ? badge('frozen', 'bad')
          : o.final
            ? badge('final', 'ok')
            : badge(`final in ${duration(left)}`, 'warn')
      const ttf = finality(s, o, period)
      const tx = s.outputTxs.get(Number(o.l2BlockNumber))
      return [
        o.index,
        link(`#/block/${o.l2BlockNumber}`, `${num(from)}–${num(o.l2BlockNumber)}`),
        el(
          'span',
          { title: o.attestations.map((a) => a.verifier).join('\n') },
          `${o.attestations.length} signed · ${pct}% of stake `,
          o.index === '0'
            ? badge('genesis')
            : o.quorum
              ? badge('quorum', 'ok')
              : badge(`quorum needs ${quorumPct}%`),
        ),
        state,
        ttf === undefined ? '—' : duration(ttf),
        el('span', { class: 'mono' }, tx ? short(tx) : short(o.outputRoot)),
      ]
    })
    return table(
      ['#', 'L2 blocks', 'attestations', 'state', 'to finality', 'L1 tx / root'],
      rows,
      'no output yet',
    )
  }

  /** Time to finality of the last final outputs, as bars. */
  function finalityChart(s: PageState) {
    const { shard } = report(s)
    const period = Number(shard?.finalizationPeriodSeconds ?? 0)
    const done = (shard?.outputs ?? [])
      .map((o) => ({ o, t: finality(s, o, period) }))
      .filter((x): x is { o: NetworkOutput; t: number } => x.t !== undefined && x.o.final)
      .reverse()
    return k.bars(
      'time to finality per output',
      done.map((x) => x.t),
      's',
      done.map((x) => `output ${x.o.index} (L2 block ${x.o.l2BlockNumber}): ${duration(x.t)}`),
    )
  }

  /** Verifiers: stake, status, missed outputs, rewards; the stake a quorum needs. */
  function verifiers(s: PageState) {
    const { n, none } = report(s)
    if (!n) return none
    const tone = (st: string) => (st === 'active' ? 'ok' : st === 'jailed' ? 'bad' : 'plain')
    return [
      fields([
        ['active stake', units(n.activeStake, 'EDGE')],
        ['quorum (⅔)', units(n.quorumStake, 'EDGE')],
        ['finalization period', duration(Number(n.params.finalizationPeriodSeconds))],
        ['long window', duration(Number(n.params.longWindow))],
        ['dispute period', duration(Number(n.params.disputePeriod))],
        ['challenge bond', units(n.params.challengeBond, 'ETH')],
        ['quorum floor', units(n.params.minQuorumStake, 'EDGE')],
        ['reward per output', units(n.params.rewardPerOutput, 'EDGE')],
      ]),
      table(
        ['verifier', 'stake', 'status', 'missed', 'rewards owed'],
        n.verifiers.map((v) => [
          el('span', { class: 'mono', title: v.address }, short(v.address, 4)),
          units(v.stake, 'EDGE'),
          badge(v.status, tone(v.status)),
          v.missed,
          units(v.rewardsOwed, 'EDGE'),
        ]),
        'no verifier staked',
      ),
      challenges(s),
    ]
  }

  /**
   * The shard's challenges: who, the bond, the deadline and the outcome. Only a Governor proposal
   * (the Timelock) upholds, and only before the deadline; at or after it anyone resolves an open
   * challenge as expired. Upheld rejects the root; dismissed or expired, the root stands.
   */
  function challenges(s: PageState) {
    const { n, shard } = report(s)
    if (!n || !shard || shard.challenges.length === 0) return null
    const now = Number(n.l1Timestamp)
    const deadline = (c: (typeof shard.challenges)[number]) => {
      const left = Number(c.deadline) - now
      const at = `L1 time ${c.deadline}`
      if (c.outcome !== 'open') return el('span', { title: at }, 'closed')
      return left > 0
        ? el('span', { title: at }, `upholdable for ${duration(left)}`)
        : el('span', { title: at }, 'passed: expires on resolve')
    }
    const tone = { open: 'warn', upheld: 'bad', dismissed: 'plain', expired: 'plain' } as const
    const meaning = {
      open: 'the output is frozen until the challenge closes',
      upheld:
        'the Timelock upheld it: the root is rejected, its signers slashed, the bond returned',
      dismissed: 'the Timelock dismissed it: the root stands, the bond went to the Timelock',
      expired: 'no proposal upheld it in time: the root stands, the bond went to the Timelock',
    } as const
    return [
      el('h3', null, 'Challenges'),
      table(
        ['#', 'L2 block', 'challenger', 'bond', 'deadline', 'outcome'],
        shard.challenges.map((c) => [
          c.id,
          num(c.l2BlockNumber),
          el('span', { class: 'mono', title: c.challenger }, short(c.challenger, 4)),
          units(c.bond, 'ETH'),
          deadline(c),
          el(
            'span',
            { 'data-outcome': c.outcome, title: meaning[c.outcome] ?? '' },
            badge(c.outcome, tone[c.outcome] ?? 'plain'),
          ),
        ]),
      ),
    ]
  }

  /** The sequencer pool: epoch, current and next sequencer, the schedule. */
  function pool(s: PageState) {
    const { n, none } = report(s)
    if (!n) return none
    const p = n.sequencing
    if (!p) return el('p', { class: 'muted' }, 'this shard has a fixed sequencer (no pool on L1)')
    const mine = p.shards.find((x) => x.chainId === s.chain?.chainId) ?? p.shards[0]
    const who = (t: { sequencer: string; url: string }) =>
      /^0x0{40}$/.test(t.sequencer)
        ? el('span', { class: 'muted' }, 'nobody')
        : [
            el('span', { class: 'mono', title: t.sequencer }, short(t.sequencer, 4)),
            t.url ? [' ', link(t.url, t.url)] : null,
          ]
    const toNext = Number(p.nextEpochStart) - Number(n.l1Block)
    return [
      fields([
        ['epoch', `${p.epoch} (${p.epochLength} L1 blocks)`],
        ['L1 blocks', `${num(p.epochStart)} – ${num(p.nextEpochStart)}, next in ${toNext}`],
        ['current', mine ? who(mine.current) : '—'],
        ['skippable at L1', mine ? num(mine.current.skippableAt) : '—'],
        ['next', mine ? who(mine.next) : '—'],
      ]),
      table(
        ['epoch', 'sequencer'],
        (mine?.schedule ?? []).map((t) => [t.epoch, who(t)]),
        'no schedule',
      ),
    ]
  }

  /** The last rollup events from the websocket, newest first. */
  function events(s: PageState) {
    return table(
      ['event', 'L2 block', 'L1 tx'],
      s.events
        .slice(0, 10)
        .map((e) => [
          e.type,
          e.l2BlockNumber ? num(e.l2BlockNumber) : '—',
          el('span', { class: 'mono' }, e.l1Tx ? short(e.l1Tx) : 'this node'),
        ]),
      'waiting for the next rollup event …',
    )
  }

  return { outputs, finalityChart, verifiers, pool, events }
}
