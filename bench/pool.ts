import { pathToFileURL } from 'node:url'
import type { Address } from 'viem'
import { startAnvil } from '../test/e2e/processes.js'
import { countAlarmChanges } from './alarms.js'
import { cpuPercent, startBenchDevnet, workerdMemoryMiB } from './poolDevnet.js'
import {
  benchSenders,
  fundSenders,
  p50p99,
  readCalls,
  readLoop,
  transferLanes,
  watchHeads,
  type Sample,
} from './poolLoad.js'
import { createTarget, peakMemoryMiB, type Target } from './workloads.js'

/**
 * The pool devnet part of `npm run bench` (issue 24): what a user of `npm start` gets. The devnet as
 * `npm start` runs it (bench/poolDevnet.ts: three operators taking turns, 1 s blocks), measured
 * through each node's port, through the node sequencing at each send ("sequencer") and through one
 * that is not ("another node"): send→receipt at 1 and 8 senders (eth_sendRawTransactionSync),
 * sustained ERC20 transfers/s with 32 and 256 in flight and the other nodes' newHeads lag behind
 * the sealer's meanwhile, reads on every node idle and under that load, each node's workerd memory,
 * the devnet's CPU while idle and each node's alarm wake-ups. Then the same workloads on an anvil
 * mining a block a second. Figures, not assertions. Alone: `npm run bench -- pool`.
 * BENCH_POOL_SECONDS (default 10) is each sustained run's length.
 */
const SECONDS = Number(process.env.BENCH_POOL_SECONDS ?? 10)
const T0 = performance.now()
const say = (line: string) =>
  console.error(`[pool +${((performance.now() - T0) / 1000).toFixed(0)} s] ${line}`)
const IDLE_MS = 20_000
const CHAIN_ID = 901
type Via = 'sequencer' | 'other'
type Latency = { p50: number; p99: number; n: number }
type Sustained = { tps: number; latency: Latency; refused: number; handover: number }

export type PoolReport = {
  oneSender: Record<Via | 'anvil', Latency>
  eightSenders: Record<Via | 'anvil', Latency>
  sustained: Record<32 | 256, Record<Via | 'anvil', Sustained>>
  lag: Record<32 | 256, Latency & { missing: number }>
  reads: { name: string; idle: Record<string, Latency>; load: Record<string, Latency> }[]
  memory: { name: string; rss: number; peak: number }[]
  idleCpu: { name: string; percent: number }[]
  alarmsPerMinute?: number[]
  refusals: string[]
}

/** Runs the workloads on `targets` (one endpoint: anvil; three: the devnet) and returns the figures. */
async function workloads(
  targets: Target[],
  holder: () => number,
  onIdle?: () => Promise<void>,
  operators?: Address[],
) {
  const senders = benchSenders(256)
  const nonces = new Map(senders.map((s) => [s.address, 0]))
  say(`${targets[0].name}: funding 256 senders`)
  const token = await fundSenders(targets[Math.max(0, holder())], senders)
  await onIdle?.()
  const calls = readCalls(token, senders[1].address)
  say(`${targets[0].name}: reads while idle`)
  const idle: Map<string, number[]>[] = []
  for (const t of targets) {
    const r = readLoop(t, calls, 60)
    await r.done
    idle.push(r.lat)
  }
  const picks: Record<Via, () => number> = {
    sequencer: () => Math.max(0, holder()),
    other: () => (Math.max(0, holder()) + 1) % targets.length,
  }
  const vias: Via[] = targets.length > 1 ? ['sequencer', 'other'] : ['sequencer']
  const refusals: string[] = []
  const latencyOf = (samples: Sample[], via: Via) =>
    p50p99(
      samples
        .filter(
          (s) => !s.handover && s.toSequencer === (via === 'sequencer' || targets.length === 1),
        )
        .map((s) => s.ms),
    )
  const lanes = async (via: Via, n: number, durationMs: number, perLane?: number) => {
    const r = await transferLanes({
      targets,
      pick: picks[via],
      holder,
      token,
      senders: senders.slice(0, n),
      nonces,
      durationMs,
      perLane,
    })
    refusals.push(...r.refused)
    return {
      ...r,
      latency: latencyOf(r.samples, via),
      handover: r.samples.filter((s) => s.handover).length,
    }
  }
  const oneSender: Partial<Record<Via, Latency>> = {}
  const eightSenders: Partial<Record<Via, Latency>> = {}
  for (const via of vias) {
    say(`${targets[0].name}: 1 and 8 senders through the ${via}`)
    oneSender[via] = (await lanes(via, 1, 15_000, 6)).latency
    eightSenders[via] = (await lanes(via, 8, 15_000, 3)).latency
  }
  const sustained: Partial<Record<32 | 256, Partial<Record<Via, Sustained>>>> = {}
  const lag: Partial<Record<32 | 256, Latency & { missing: number }>> = {}
  const load = targets.map(() => new Map<string, number[]>())
  for (const inFlight of [32, 256] as const) {
    sustained[inFlight] = {}
    const heads = operators
      ? await watchHeads(
          targets.map((t) => t.url.replace(/\/chain\/\d+$/, '')),
          CHAIN_ID,
        )
      : undefined
    for (const via of vias) {
      say(`${targets[0].name}: ${inFlight} in flight through the ${via} for ${SECONDS} s`)
      const readers = targets.map((t) => readLoop(t, calls))
      const r = await lanes(via, inFlight, SECONDS * 1000)
      for (const [i, reader] of readers.entries())
        for (const [m, v] of await reader.stop()) load[i].set(m, [...(load[i].get(m) ?? []), ...v])
      sustained[inFlight]![via] = {
        tps: r.tps,
        latency: r.latency,
        refused: r.refused.length,
        handover: r.handover,
      }
    }
    if (heads && operators) {
      heads.close()
      const l = heads.lags(operators)
      lag[inFlight] = { ...p50p99(l.lags), missing: l.missing }
    }
  }
  const stats = (m: Map<string, number[]>) =>
    Object.fromEntries([...m].map(([k, v]) => [k, p50p99(v)]))
  return {
    oneSender,
    eightSenders,
    sustained,
    lag,
    reads: targets.map((t, i) => ({ name: t.name, idle: stats(idle[i]), load: stats(load[i]) })),
    refusals,
  }
}

export async function measurePool(): Promise<PoolReport> {
  say('npm start (three operators, pool mode) on ports 8845, 9845–9847')
  const d = await startBenchDevnet()
  say(`devnet up: ${d.nodes.map((n) => n.url).join(', ')}`)
  let holderNow = -1
  let polling = true
  let stopped = false
  const poll = (async () => {
    while (!stopped) {
      if (polling)
        holderNow = await d.holder().then(
          (h) => h.index,
          () => holderNow,
        )
      await new Promise((r) => setTimeout(r, 500))
    }
  })()
  let idleCpu: PoolReport['idleCpu'] = []
  let alarmsPerMinute: number[] | undefined
  try {
    const targets = d.nodes.map((n, i) =>
      createTarget(`node ${i + 1}`, `${n.url}/chain/${CHAIN_ID}`, CHAIN_ID),
    )
    const onIdle = async () => {
      say(`idle for ${IDLE_MS / 1000} s: CPU of every process, alarm wake-ups`)
      await new Promise((r) => setTimeout(r, 5_000))
      polling = false
      const [cpu, alarms] = await Promise.all([
        cpuPercent(d.parts, IDLE_MS),
        countAlarmChanges(
          d.nodes.map((n) => n.stateDir),
          IDLE_MS,
        ),
      ])
      polling = true
      idleCpu = cpu
      alarmsPerMinute = alarms?.map((n) => (n * 60_000) / IDLE_MS)
    }
    const w = await workloads(
      targets,
      () => holderNow,
      onIdle,
      d.nodes.map((n) => n.operator),
    )
    const memory = d
      .parts()
      .filter((p) => p.name.startsWith('node'))
      .map((p) => ({ name: p.name, ...workerdMemoryMiB(p.pids) }))
    stopped = true
    await poll
    await d.stop()
    say('anvil, a block a second, the same workloads')
    const anvil = await startAnvil({
      chainId: CHAIN_ID,
      hardfork: 'osaka',
      blockTime: 1,
      extraArgs: ['--block-base-fee-per-gas', '1000000000', '--gas-limit', '30000000'],
    })
    try {
      const a = await workloads([createTarget('anvil', anvil.url, CHAIN_ID)], () => 0)
      memory.push({ name: 'anvil', rss: NaN, peak: peakMemoryMiB(anvil.pid) })
      const both = <T>(pool: Partial<Record<Via, T>>, anvilSide: Partial<Record<Via, T>>) =>
        ({ ...pool, anvil: anvilSide.sequencer }) as Record<Via | 'anvil', T>
      return {
        oneSender: both(w.oneSender, a.oneSender),
        eightSenders: both(w.eightSenders, a.eightSenders),
        sustained: {
          32: both(w.sustained[32]!, a.sustained[32]!),
          256: both(w.sustained[256]!, a.sustained[256]!),
        },
        lag: w.lag as PoolReport['lag'],
        reads: [...w.reads, ...a.reads],
        memory,
        idleCpu,
        alarmsPerMinute,
        refusals: [...w.refusals, ...a.refusals],
      }
    } finally {
      await anvil.stop()
    }
  } finally {
    stopped = true
    await poll
    await d.stop()
  }
}

const ms = (l?: Latency) => (l && l.n ? `${l.p50.toFixed(0)} / ${l.p99.toFixed(0)} ms` : '–')
const ms1 = (l?: Latency) => (l && l.n ? `${l.p50.toFixed(1)} / ${l.p99.toFixed(1)} ms` : '–')

/** Prints the report as markdown tables (stdout). */
export function printPool(r: PoolReport): void {
  const row = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`)
  console.log(
    '\n| pool devnet (npm start: 3 operators, 1 s blocks), p50 / p99 | through the sequencer | through another node | anvil (1 s blocks) |\n| --- | ---: | ---: | ---: |',
  )
  row([
    'send→receipt, 1 sender (eth_sendRawTransactionSync)',
    ms(r.oneSender.sequencer),
    ms(r.oneSender.other),
    ms(r.oneSender.anvil),
  ])
  row([
    'send→receipt, 8 senders',
    ms(r.eightSenders.sequencer),
    ms(r.eightSenders.other),
    ms(r.eightSenders.anvil),
  ])
  for (const n of [32, 256] as const) {
    const s = r.sustained[n]
    row([
      `ERC20 transfers/s, ${n} in flight (${SECONDS} s)`,
      ...(['sequencer', 'other', 'anvil'] as const).map((v) =>
        s[v] ? `${s[v].tps.toFixed(0)} tx/s` : '–',
      ),
    ])
    row([
      `… send→receipt (transfers across a handover left out: ${(['sequencer', 'other'] as const).map((v) => s[v]?.handover ?? 0).join(', ')})`,
      ...(['sequencer', 'other', 'anvil'] as const).map((v) => ms(s[v]?.latency)),
    ])
  }
  for (const n of [32, 256] as const)
    row([
      `followers' newHeads lag behind the sealer's, ${n} in flight (${r.lag[n]?.n ?? 0} samples, ${r.lag[n]?.missing ?? 0} not announced)`,
      ms(r.lag[n]),
      '',
      '',
    ])
  console.log(
    '\n| reads p50 / p99 (one at a time, through the port) | eth_getBalance idle | under load | eth_blockNumber idle | under load | eth_call idle | under load |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  )
  for (const x of r.reads)
    row([
      x.name,
      ...['eth_getBalance', 'eth_blockNumber', 'eth_call'].flatMap((m) => [
        ms1(x.idle[m]),
        ms1(x.load[m]),
      ]),
    ])
  console.log('\n| resources | figure |\n| --- | ---: |')
  for (const m of r.memory)
    row([
      `${m.name} ${m.name === 'anvil' ? 'peak RSS' : 'workerd RSS now / peak'}`,
      m.name === 'anvil'
        ? `${m.peak.toFixed(0)} MiB`
        : `${m.rss.toFixed(0)} / ${m.peak.toFixed(0)} MiB`,
    ])
  const total = r.idleCpu.reduce((a, p) => a + p.percent, 0)
  row([
    `devnet CPU while idle (${IDLE_MS / 1000} s, every process), % of one core`,
    `${total.toFixed(0)}%`,
  ])
  for (const p of r.idleCpu) row([`… ${p.name}`, `${p.percent.toFixed(1)}%`])
  if (r.alarmsPerMinute)
    r.alarmsPerMinute.forEach((n, i) =>
      row([
        `node ${i + 1} alarm wake-ups per minute while idle (both shards' objects)`,
        n.toFixed(0),
      ]),
    )
  else row(['alarm wake-ups per minute', 'not counted (no python3)'])
  const counts = new Map<string, number>()
  for (const x of r.refusals) counts.set(x, (counts.get(x) ?? 0) + 1)
  if (counts.size)
    console.log(`\nrefused sends: ${[...counts].map(([m, n]) => `${n}× ${m}`).join('; ')}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  printPool(await measurePool())
