import { readFileSync, writeFileSync } from 'node:fs'
import WebSocket from 'ws'
import { startNode } from '../test/e2e/processes.js'
import { directUrl, workerdPids } from './directUrl.js'
import {
  accounts,
  createTarget,
  erc20Throughput,
  setupToken,
  type ReceiptMode,
} from './workloads.js'

/**
 * `npm run bench:profile`: the ERC20 workload against the node while V8's CPU profiler runs inside
 * workerd (through wrangler's inspector port). Writes bench/workerd.cpuprofile (open it in Chrome
 * DevTools or speedscope) and prints the hottest functions by self time.
 */
const TOTAL = Number(process.env.BENCH_TRANSFERS ?? 640)
const node = await startNode({ vars: { BLOCK_TIME_MS: '0' } })
try {
  const base = (await directUrl(node)) ?? node.url
  const target = createTarget('node', `${base}/chain/901`, 901)
  const senders = accounts(32)
  const token = await setupToken(target, senders)
  // The JIT's warm-up (BENCH_WARMUP transfers, 512 by default) is left out of the figures.
  const warmup = Number(process.env.BENCH_WARMUP ?? 512)
  if (warmup > 0) await erc20Throughput(target, token, senders, warmup, 32, 'sync')
  // BENCH_CPUPROFILE=0 measures CPU per transfer without the profiler (an attached inspector slows V8).
  const inspector =
    process.env.BENCH_CPUPROFILE === '0' ? undefined : await attach(node.inspectorPort)
  await inspector?.send('Profiler.enable')
  await inspector?.send('Profiler.start')
  const cpu0 = workerdCpuMs(node.pid)
  const self0 = process.cpuUsage()
  const result = await erc20Throughput(
    target,
    token,
    senders,
    TOTAL,
    32,
    (process.env.BENCH_MODE ?? 'sync') as ReceiptMode,
  )
  const cpu1 = workerdCpuMs(node.pid)
  const self1 = process.cpuUsage(self0)
  const perTx = (ms: number) => (ms / result.count).toFixed(2)
  console.log(
    `CPU per transfer: workerd ${[...cpu1].map(([pid, ms]) => `${pid} ${perTx(ms - (cpu0.get(pid) ?? 0))} ms`).join(', ')}; ` +
      `bench client ${perTx((self1.user + self1.system) / 1000)} ms; p50 ${result.p50.toFixed(0)} ms`,
  )
  console.log(`${result.count} transfers at ${result.tps.toFixed(0)} tx/s`)
  if (inspector) {
    report(await inspector.send('Profiler.stop'), result.count)
    inspector.close()
  }
} finally {
  await node.stop()
}

/** A DevTools protocol session with workerd's first isolate, through wrangler's inspector port. */
async function attach(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
    webSocketDebuggerUrl: string
  }[]
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl)
  await new Promise((resolve) => ws.once('open', resolve))
  let id = 0
  const waiting = new Map<number, (result: any) => void>()
  ws.on('message', (m) => {
    const msg = JSON.parse(m.toString())
    waiting.get(msg.id)?.(msg.result)
    waiting.delete(msg.id)
  })
  return {
    send: (method: string) =>
      new Promise<any>((resolve) => {
        waiting.set(++id, resolve)
        ws.send(JSON.stringify({ id, method, params: {} }))
      }),
    close: () => ws.close(),
  }
}

/** Writes the profile and prints the hottest functions, by self and by inclusive samples. */
function report({ profile }: { profile: any }, transfers: number): void {
  writeFileSync('bench/workerd.cpuprofile', JSON.stringify(profile))
  console.log('profile in bench/workerd.cpuprofile')
  // Sample counts, not timeDeltas: one delta can span hundreds of ms and skew a function's share.
  const nodes = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keyOf = (n: any) =>
    `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  for (const sample of profile.samples as number[]) {
    self.set(keyOf(nodes.get(sample)), (self.get(keyOf(nodes.get(sample))) ?? 0) + 1)
    const seen = new Set<string>()
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const k = keyOf(nodes.get(id))
      if (seen.has(k)) continue
      seen.add(k)
      total.set(k, (total.get(k) ?? 0) + 1)
    }
  }
  const n = profile.samples.length
  const show = (title: string, m: Map<string, number>, count: number) => {
    console.log(`\n${title} (% of ${n} samples; ${transfers} transfers)`)
    for (const [key, c] of [...m].sort((a, b) => b[1] - a[1]).slice(0, count))
      console.log(`${((100 * c) / n).toFixed(1).padStart(6)}%  ${key}`)
  }
  show('self', self, 30)
  show('inclusive', total, 60)
}

/** CPU time (user + system, ms) of each workerd process in the node's process group. */
function workerdCpuMs(groupPid: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const pid of workerdPids(groupPid)) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100)
  }
  return out
}
