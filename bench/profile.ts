import { writeFileSync } from 'node:fs'
import WebSocket from 'ws'
import { startNode } from '../test/e2e/processes.js'
import { directUrl } from './directUrl.js'
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
  const targets = (await (await fetch(`http://127.0.0.1:${node.inspectorPort}/json`)).json()) as {
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
  const send = (method: string) =>
    new Promise<any>((resolve) => {
      waiting.set(++id, resolve)
      ws.send(JSON.stringify({ id, method, params: {} }))
    })
  const target = createTarget('node', `${base}/chain/901`, 901)
  const senders = accounts(32)
  const token = await setupToken(target, senders)
  await send('Profiler.enable')
  await send('Profiler.start')
  const result = await erc20Throughput(
    target,
    token,
    senders,
    TOTAL,
    32,
    (process.env.BENCH_MODE ?? 'sync') as ReceiptMode,
  )
  const { profile } = await send('Profiler.stop')
  ws.close()
  writeFileSync('bench/workerd.cpuprofile', JSON.stringify(profile))
  console.log(
    `${result.count} transfers at ${result.tps.toFixed(0)} tx/s; profile in bench/workerd.cpuprofile`,
  )
  const self = new Map<string, number>()
  const nodes = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]))
  profile.samples.forEach((sample: number, i: number) => {
    const f = nodes.get(sample).callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
} finally {
  await node.stop()
}
