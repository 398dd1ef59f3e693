// The README's first command on the clean checkout, as a newcomer runs it: `npm start` in a process
// group of its own, a bounded wait until every L2 node answers JSON-RPC (eth_chainId) and
// `GET /chains`, then a stop by process id: the group gets SIGTERM (npm start stops anvil and the
// nodes, each in a group of its own), and every process that descended from it (wrangler, workerd,
// anvil, esbuild, watchdogs) must be gone within the grace period; survivors are killed by pid and
// fail the check. The start log is printed when anything fails. Node builtins only (runs before any
// build). It also waits until the last node's `finalized` block is past genesis: an output root
// attested by the verifiers' 2/3 quorum, in the oracle and final, so the verifier nodes work from a
// fresh clone. Usage: `node .ci/start-check.mjs` (START_CHECK_PORTS=9545,9546,9547
// START_CHECK_TIMEOUT_S=600).
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

// The sequencer node and the two peers `npm start` runs beside it (the three verifier operators).
const ports = (process.env.START_CHECK_PORTS ?? '9545,9546,9547')
  .split(',')
  .map((p) => Number(p.trim()))
const timeoutMs = Number(process.env.START_CHECK_TIMEOUT_S ?? 600) * 1000
const graceMs = 30_000
const host = '127.0.0.1'

// A server already on one of these ports would pass the wait without npm start: refuse to begin.
for (const port of [8545, ...ports]) {
  const free = await new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
  if (!free) {
    console.error(`start-check FAILED: port ${port} on ${host} is in use before npm start`)
    process.exit(1)
  }
}

const log = []
const child = spawn('npm', ['start'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
for (const stream of [child.stdout, child.stderr]) {
  stream.setEncoding('utf8')
  stream.on('data', (chunk) => log.push(chunk))
}
let exit
child.on('exit', (code, signal) => (exit = signal ? `signal ${signal}` : `code ${code}`))
const leader = child.pid
console.log(`start-check: npm start (pid ${leader}), waiting for ports ${ports.join(', ')} …`)

/** Every live process descending from `leader` (itself included), from /proc, with its group. */
function descendants() {
  const procs = new Map()
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    let stat
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    } catch {
      continue
    }
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (state === 'Z' || state === 'X') continue
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    procs.set(Number(pid), { ppid: Number(ppid), pgrp: Number(pgrp), comm })
  }
  const found = new Map()
  const visit = (pid) => {
    const p = procs.get(pid)
    if (!p || found.has(pid)) return
    found.set(pid, p)
    for (const [other, q] of procs) if (q.ppid === pid) visit(other)
  }
  visit(leader)
  return found
}

// Processes seen descending from npm start; orphans are reparented to init, so keep every one seen.
const seen = new Map()
const track = () => {
  for (const [pid, p] of descendants()) seen.set(pid, p)
}
const alive = (pid) => {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if (err.code !== 'EPERM') return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

async function ready(port) {
  const url = `http://${host}:${port}`
  const rpc = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(5_000),
  })
  const chainId = rpc.ok ? (await rpc.json()).result : undefined
  if (typeof chainId !== 'string') return undefined
  const res = await fetch(`${url}/chains`, { signal: AbortSignal.timeout(5_000) })
  const chains = res.ok ? await res.json() : undefined
  if (!Array.isArray(chains) || chains.length === 0) return undefined
  return `${url}: eth_chainId ${Number(chainId)}, GET /chains ${chains.map((c) => c.chainId).join(', ')}`
}

async function stop() {
  track()
  try {
    process.kill(-leader, 'SIGTERM')
  } catch {}
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    track()
    if (exit !== undefined && ![...seen.keys()].some(alive)) return []
    await sleep(200)
  }
  const left = [...seen].filter(([pid]) => alive(pid))
  for (const [pid, p] of left) {
    try {
      process.kill(-p.pgrp, 'SIGKILL')
    } catch {}
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  return left.map(([pid, p]) => `${pid} (${p.comm}, group ${p.pgrp})`)
}

const fail = async (why) => {
  const left = await stop()
  console.error(`start-check FAILED: ${why}`)
  if (left.length) console.error(`still running after stop (killed): ${left.join(', ')}`)
  console.error(`── npm start's output ──\n${log.join('')}\n── end of npm start's output ──`)
  process.exit(1)
}

const started = Date.now()
const answers = new Map()
while (answers.size < ports.length) {
  track()
  if (exit !== undefined) await fail(`npm start exited (${exit}) before the L2 answered`)
  if (Date.now() - started > timeoutMs)
    await fail(
      `the L2 did not answer eth_chainId and GET /chains on port(s) ${ports
        .filter((p) => !answers.has(p))
        .join(', ')} within ${timeoutMs / 1000} s`,
    )
  for (const port of ports)
    if (!answers.has(port)) {
      const answer = await ready(port).catch(() => undefined)
      if (answer) answers.set(port, answer)
    }
  if (answers.size < ports.length) await sleep(1_000)
}
for (const answer of answers.values()) console.log(`start-check: ${answer}`)

/** The `finalized` block number of the node on `port` (0 until an attested output is final). */
async function finalized(port) {
  const res = await fetch(`http://${host}:${port}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_getBlockByNumber',
      params: ['finalized', false],
    }),
    signal: AbortSignal.timeout(5_000),
  })
  const block = res.ok ? (await res.json()).result : undefined
  return block ? Number(block.number) : 0
}
const last = ports[ports.length - 1]
for (;;) {
  track()
  if (exit !== undefined) await fail(`npm start exited (${exit}) before an output was final`)
  if (Date.now() - started > timeoutMs)
    await fail(
      `no output attested by the verifiers was final on port ${last} within ${timeoutMs / 1000} s`,
    )
  const n = await finalized(last).catch(() => 0)
  if (n > 0) {
    console.log(
      `start-check: port ${last} finalized L2 block ${n} (an output attested by the verifiers)`,
    )
    break
  }
  await sleep(1_000)
}
console.log(`start-check: up after ${Math.round((Date.now() - started) / 1000)} s; stopping …`)
const left = await stop()
if (left.length) {
  console.error(
    `start-check FAILED: still running ${graceMs / 1000} s after SIGTERM (killed): ${left.join(', ')}`,
  )
  console.error(`── npm start's output ──\n${log.join('')}\n── end of npm start's output ──`)
  process.exit(1)
}
console.log(`start-check: stopped; none of its ${seen.size} processes is left`)
