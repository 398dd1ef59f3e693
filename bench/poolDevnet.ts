import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPublicClient, http, type Address, type PublicClient } from 'viem'
import { sequencerPoolAbi } from '../generated/contracts/SequencerPool.js'

/**
 * The pool devnet exactly as `npm start` runs it (scripts/start.mjs: anvil a block a second, three
 * staked operators' nodes in pool mode, npm start's vars), on ports of its own (L1 8845, nodes
 * 9845–9847) in a temporary state directory, for `npm run bench -- pool`. Gives the nodes' URLs and
 * operators, the turn as the SequencerPool states it, and the processes behind each part (by
 * process group, from /proc) for their CPU time and memory. `stop()` sends SIGINT to start.mjs's
 * group (it stops its nodes and anvil) and kills any process of it still alive after 30 s.
 */
export type BenchDevnet = {
  nodes: { url: string; port: number; operator: Address; stateDir: string }[]
  l1: PublicClient
  /** The operator index holding shard 901's turn now (-1: none), and the L1 block of its epoch's end. */
  holder(): Promise<{ index: number; nextEpochStart: bigint }>
  /** Each part's processes now: anvil, and the process group of each node. */
  parts(): { name: string; pids: number[] }[]
  stop(): Promise<void>
}

export const BENCH_L1_PORT = 8845
export const BENCH_PORT = 9845
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export async function startBenchDevnet(): Promise<BenchDevnet> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-l2-bench-pool-'))
  const stateDir = path.join(dir, 'devnet')
  const args = ['scripts/start.mjs', '--reset', '--dir', stateDir]
  args.push('--l1-port', String(BENCH_L1_PORT), '--port', String(BENCH_PORT))
  const proc = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log: string[] = []
  for (const s of [proc.stdout, proc.stderr])
    s.on('data', (chunk: Buffer) => {
      log.push(chunk.toString())
      if (log.length > 400) log.splice(0, 100)
    })
  let exited = false
  const exit = new Promise<void>((r) => proc.on('exit', () => ((exited = true), r())))
  const seen = new Set<number>()
  const kill = () => {
    for (const pid of [...seen, ...descendants(proc.pid!)])
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
  }
  process.once('exit', kill)
  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= stopOnce())
  const stopOnce = async () => {
    for (const pid of descendants(proc.pid!)) seen.add(pid)
    try {
      process.kill(-proc.pid!, 'SIGINT')
    } catch {}
    await Promise.race([exit, new Promise((r) => setTimeout(r, 30_000))])
    kill()
    process.off('exit', kill)
    rmSync(dir, { recursive: true, force: true })
  }
  // start.mjs prints its summary once every node answers and the pool has holders.
  for (const until = Date.now() + 240_000; !log.join('').includes('Ctrl-C stops the devnet');) {
    if (exited || Date.now() > until) {
      await stop()
      throw new Error(`npm start did not come up:\n${log.join('').slice(-4000)}`)
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  const config = JSON.parse(readFileSync(path.join(stateDir, 'l1.json'), 'utf8'))
  const pool = (Object.values(config.shards)[0] as { sequencerPool: Address }).sequencerPool
  const l1 = createPublicClient({ transport: http(config.rpcUrl) }) as PublicClient
  const operators = [...log.join('').matchAll(/^ {4}\d {2}(0x[0-9a-fA-F]{40}) /gm)].map(
    (m) => m[1] as Address,
  )
  const nodes = [0, 1, 2].map((i) => ({
    url: `http://127.0.0.1:${BENCH_PORT + i}`,
    port: BENCH_PORT + i,
    operator: operators[i],
    stateDir: i === 0 ? stateDir : path.join(stateDir, `peer-${i}`),
  }))
  return {
    nodes,
    l1,
    async holder() {
      const epoch = await l1.readContract({
        address: pool,
        abi: sequencerPoolAbi,
        functionName: 'currentEpoch',
      })
      const [[holder], nextEpochStart] = await Promise.all([
        l1.readContract({
          address: pool,
          abi: sequencerPoolAbi,
          functionName: 'turnOf',
          args: [901n, epoch],
        }),
        l1.readContract({
          address: pool,
          abi: sequencerPoolAbi,
          functionName: 'epochStart',
          args: [epoch + 1n],
        }),
      ])
      const index = nodes.findIndex((n) => n.operator?.toLowerCase() === holder.toLowerCase())
      return { index, nextEpochStart }
    },
    parts() {
      const procs = processes()
      const mine = descendants(proc.pid!, procs)
      const groupOf = (needle: string) => {
        const hit = mine.find((pid) => pid !== proc.pid && procs.get(pid)!.cmd.includes(needle))
        const pgrp = hit === undefined ? -1 : procs.get(hit)!.pgrp
        return mine.filter((pid) => procs.get(pid)!.pgrp === pgrp)
      }
      const anvil = mine.filter((pid) => procs.get(pid)!.comm === 'anvil')
      const named = nodes.map((n, i) => ({
        name: `node ${i + 1}`,
        pids: groupOf(`--port\0${n.port}\0`),
      }))
      const counted = new Set([...anvil, ...named.flatMap((p) => p.pids)])
      return [
        { name: 'anvil (L1)', pids: anvil },
        ...named,
        { name: 'npm start itself', pids: mine.filter((pid) => !counted.has(pid)) },
      ]
    },
    stop,
  }
}

type Proc = { ppid: number; pgrp: number; comm: string; cmd: string; cpuTicks: number }

/** Every live process (Linux /proc): parent, group, name, command line, CPU ticks used. */
export function processes(): Map<number, Proc> {
  const procs = new Map<number, Proc>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (f[0] === 'Z' || f[0] === 'X') continue
      procs.set(Number(entry), {
        ppid: Number(f[1]),
        pgrp: Number(f[2]),
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        cmd: readFileSync(`/proc/${entry}/cmdline`, 'utf8'),
        // utime + stime (fields 14 and 15 of stat).
        cpuTicks: Number(f[11]) + Number(f[12]),
      })
    } catch {}
  }
  return procs
}

/** `pid` and every live process descending from it. */
function descendants(pid: number, procs = processes()): number[] {
  const found: number[] = []
  const visit = (p: number) => {
    if (!procs.has(p) || found.includes(p)) return
    found.push(p)
    for (const [other, q] of procs) if (q.ppid === p) visit(other)
  }
  visit(pid)
  return found
}

/** Resident memory (VmRSS) and its high-water mark (VmHWM) of the workerd processes among `pids`, MiB. */
export function workerdMemoryMiB(pids: number[]): { rss: number; peak: number } {
  let rss = 0
  let peak = 0
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'workerd') continue
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      rss += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
      peak += Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
    } catch {}
  }
  return { rss, peak }
}

/**
 * CPU of each part over `ms`: % of one core (100 = one core busy), from the CPU ticks of the
 * processes alive at the start and at the end of the window (a process that ended inside it counts
 * its ticks up to its last sample).
 */
export async function cpuPercent(
  parts: () => { name: string; pids: number[] }[],
  ms: number,
): Promise<{ name: string; percent: number }[]> {
  const hz = 100 // USER_HZ on Linux
  const sample = () => {
    const procs = processes()
    return parts().map((p) => new Map(p.pids.map((pid) => [pid, procs.get(pid)?.cpuTicks ?? 0])))
  }
  const before = sample()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, ms))
  const after = sample()
  const seconds = (performance.now() - t0) / 1000
  return parts().map((p, i) => {
    let ticks = 0
    for (const [pid, end] of after[i]) ticks += end - (before[i].get(pid) ?? 0)
    return { name: p.name, percent: (100 * ticks) / hz / seconds }
  })
}
