import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

/**
 * Child processes for end-to-end tests and scripts: an anvil L1 and an L2 node (`wrangler dev`),
 * both on 127.0.0.1 only. Pure Node, no test framework.
 *
 * Invariant: every child runs in its own process group (wrangler spawns a second node and workerd
 * processes) and is stopped by signalling that group by id, then waiting until the group is empty. Groups still alive when this process exits or is signalled are killed, and a
 * detached `sh` watchdog kills them if this process dies without running any handler (SIGKILL).
 */

const localRequire = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name)
const wrangler = [process.execPath, bin('wrangler')]
const host = '127.0.0.1'
const logLines = 200
const ansi = /\x1b\[[0-9;]*m/g

/** How a child process ended: its exit code, or the signal that ended it. */
export type Exit = { code: number | null; signal: NodeJS.Signals | null }

/** A running anvil instance. `stop()` ends it and removes its temporary directory. */
export type Anvil = {
  url: string
  port: number
  pid: number
  /** SIGTERM by default (anvil dumps its `stateFile`); SIGKILL simulates a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** The last 200 lines of stdout and stderr. */
  logs(): string
  exited: Promise<Exit>
}

/** A running L2 node (`wrangler dev`). `stop()` ends the whole process group; state stays. */
export type L2Node = Anvil & { inspectorPort: number; persistDir: string }

export type StartAnvilOptions = {
  port?: number
  chainId?: number
  hardfork?: string
  /** Seconds between blocks (interval mining); automine when absent. */
  blockTime?: number
  /** Loaded at start if it exists and dumped on stop (`anvil --state`). */
  stateFile?: string
  extraArgs?: string[]
  onLog?: (line: string) => void
}

export type StartNodeOptions = {
  port?: number
  /** Local state of D1 and the Durable Objects; a temporary directory removed on stop if absent. */
  persistDir?: string
  /** `--var KEY:VALUE` each, over the `[vars]` of wrangler.toml. */
  vars?: Record<string, string>
  /** The directory of the wrangler.toml to run; the repository root by default. */
  cwd?: string
  onLog?: (line: string) => void
}

type Group = {
  pid: number
  exited: Promise<Exit>
  logs(): string
  /** Directories removed once the group is gone. */
  cleanup: string[]
  stopping?: Promise<void>
}

const live = new Set<Group>()

/**
 * The native binary of a Foundry tool (`anvil`, `cast`) from its npm package's platform package,
 * spawned directly so that its pid is the tool's own; the package's node shim
 * (node_modules/.bin/<tool>) when there is none.
 */
export function foundryTool(tool: 'anvil' | 'cast'): string[] {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const exe = process.platform === 'win32' ? `${tool}.exe` : tool
  try {
    return [localRequire.resolve(`@foundry-rs/${tool}-${process.platform}-${arch}/bin/${exe}`)]
  } catch {
    return [process.execPath, bin(tool)]
  }
}

/**
 * A TCP port that was free on 127.0.0.1 a moment ago: bound, then released. Port 0 (the default)
 * lets the system pick one; another port is checked, and the error is EADDRINUSE when it is taken.
 */
export async function getFreePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(port, host, () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts anvil on 127.0.0.1 and resolves once `eth_chainId` answers. Its state snapshots go to a
 * private temporary HOME and cache dir (bounded by `--max-persisted-states` unless `extraArgs`
 * chooses), removed on stop; `stop()` sends SIGTERM so that `stateFile` is dumped.
 */
export async function startAnvil(opts: StartAnvilOptions = {}): Promise<Anvil> {
  const extra = opts.extraArgs ?? []
  return retryOnPortClash(opts.port, async (port) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edge-l2-anvil-'))
    const args = ['--host', host, '--port', String(port), '--cache-path', path.join(dir, 'cache')]
    if (!extra.some((a) => a.startsWith('--prune-history') || a.startsWith('--max-persisted')))
      args.push('--max-persisted-states', '256')
    if (opts.chainId !== undefined) args.push('--chain-id', String(opts.chainId))
    if (opts.hardfork) args.push('--hardfork', opts.hardfork)
    if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime))
    if (opts.stateFile) args.push('--state', opts.stateFile)
    const group = spawnGroup([...foundryTool('anvil'), ...args, ...extra], {
      cwd: root,
      env: { ...process.env, HOME: dir },
      cleanup: [dir],
      onLog: opts.onLog,
    })
    const url = `http://${host}:${port}`
    await waitUntil(group, 30_000, `anvil at ${url}`, async () => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(5_000),
      })
      return res.ok && typeof ((await res.json()) as { result?: unknown }).result === 'string'
    })
    return { url, port, ...handle(group) }
  })
}

/**
 * Starts a node again on the port a stopped one had: a killed group's socket can outlive it for a
 * moment, so a port still in use is retried for up to a minute.
 */
export async function restartNodeOnPort(
  opts: StartNodeOptions & { port: number },
): Promise<L2Node> {
  for (let until = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 250))) {
    try {
      return await startNode(opts)
    } catch (err) {
      if (!/is in use/.test(String(err)) || Date.now() > until) throw err
    }
  }
}

/**
 * Starts the L2 node: applies the D1 migrations to `persistDir`, then runs `wrangler dev` with
 * `--test-scheduled` on 127.0.0.1 (and a free inspector port, so nodes can run side by side), and
 * resolves once `GET /health` answers 200. A stopped node starts again on the same `persistDir`.
 */
export async function startNode(opts: StartNodeOptions = {}): Promise<L2Node> {
  const cwd = path.resolve(opts.cwd ?? root)
  const env = {
    ...process.env,
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_SEND_METRICS: 'false',
    NO_COLOR: '1',
  }
  const vars = Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`])
  return retryOnPortClash(opts.port, async (port) => {
    const owned = opts.persistDir === undefined
    const persistDir = owned
      ? mkdtempSync(path.join(tmpdir(), 'edge-l2-node-'))
      : path.resolve(opts.persistDir!)
    try {
      await applyMigrations(cwd, persistDir, env)
    } catch (err) {
      if (owned) rmSync(persistDir, { recursive: true, force: true })
      throw err
    }
    const inspectorPort = await getFreePort()
    const args = ['dev', '--ip', host, '--port', String(port), '--inspector-ip', host]
    args.push('--inspector-port', String(inspectorPort), '--test-scheduled')
    args.push('--persist-to', persistDir, '--show-interactive-dev-session=false', ...vars)
    const group = spawnGroup([...wrangler, ...args], {
      cwd,
      env,
      cleanup: owned ? [persistDir] : [],
      onLog: opts.onLog,
    })
    const url = `http://${host}:${port}`
    await waitUntil(group, 60_000, `wrangler dev at ${url}`, async () => {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) })
      await res.body?.cancel()
      return res.status === 200
    })
    // Cron triggers do not fire under wrangler dev: fire the scheduled handler once, as Cloudflare
    // would within a minute, so the shards start their L1 work; their alarms carry it on from there.
    const cron = await fetch(`${url}/__scheduled?cron=*+*+*+*+*`, {
      signal: AbortSignal.timeout(10_000),
    })
    await cron.body?.cancel()
    return { url, port, inspectorPort, persistDir, ...handle(group) }
  })
}

/** Runs `wrangler d1 migrations apply DB --local` when the config has D1 and SQL files exist. */
async function applyMigrations(cwd: string, persistDir: string, env: NodeJS.ProcessEnv) {
  const config = path.join(cwd, 'wrangler.toml')
  const toml = existsSync(config) ? readFileSync(config, 'utf8') : ''
  if (!/^\s*\[\[d1_databases\]\]/m.test(toml)) return
  const migrationsDir = /^\s*migrations_dir\s*=\s*["']([^"']+)["']/m.exec(toml)?.[1]
  const dir = path.join(cwd, migrationsDir ?? 'migrations')
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith('.sql'))) return
  const args = ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir]
  const group = spawnGroup([...wrangler, ...args], { cwd, env, cleanup: [] })
  const timer = setTimeout(() => void stopGroup(group, 'SIGKILL'), 60_000)
  const exit = await group.exited.finally(() => clearTimeout(timer))
  live.delete(group)
  if (exit.code !== 0)
    throw new Error(`wrangler d1 migrations apply failed (${describe(exit)}):\n${group.logs()}`)
}

function handle(group: Group) {
  return {
    pid: group.pid,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => stopGroup(group, signal),
    logs: group.logs,
    exited: group.exited,
  }
}

type SpawnOptions = {
  cwd: string
  env: NodeJS.ProcessEnv
  cleanup: string[]
  onLog?: (line: string) => void
}

/** Spawns a command as the leader of a new process group, keeping its last output lines. */
function spawnGroup([command, ...args]: string[], opts: SpawnOptions): Group {
  installExitHandlers()
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`)
  const lines: string[] = []
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop()!
      for (const line of parts.map((l) => l.replace(ansi, ''))) {
        lines.push(line)
        opts.onLog?.(line)
      }
      if (lines.length > logLines) lines.splice(0, lines.length - logLines)
    })
  }
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
    child.on('error', () => resolve({ code: null, signal: null }))
  })
  const group: Group = {
    pid: child.pid,
    exited,
    logs: () => lines.join('\n'),
    cleanup: opts.cleanup,
  }
  live.add(group)
  startWatchdog(group)
  return group
}

/** Signals the group, waits until it is empty (SIGKILL after 10 s), removes its directories. */
function stopGroup(group: Group, signal: NodeJS.Signals): Promise<void> {
  group.stopping ??= (async () => {
    signalGroup(group.pid, signal)
    if (!(await groupGone(group.pid, 10_000))) {
      signalGroup(group.pid, 'SIGKILL')
      await groupGone(group.pid, 5_000)
    }
    await group.exited
    for (const dir of group.cleanup) rmSync(dir, { recursive: true, force: true })
    live.delete(group)
  })()
  return group.stopping
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Whether a process of the group still runs. On Linux, zombies do not count: an orphan that has
 * exited stays one until init reaps it, which some inits do only every second or so.
 */
function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false
  if (process.platform !== 'linux') return true
  return readdirSync('/proc').some((pid) => {
    if (!/^\d+$/.test(pid)) return false
    const stat = readProcStat(pid)
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(pgrp) === pgid && state !== 'Z' && state !== 'X'
  })
}

function readProcStat(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return '' // it has ended meanwhile
  }
}

async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}

/** Polls `ready` until it holds; fails with the captured output on timeout, exit or build error. */
async function waitUntil(group: Group, ms: number, what: string, ready: () => Promise<boolean>) {
  const deadline = Date.now() + ms
  let why: string | undefined
  void group.exited.then((exit) => (why ??= `exited early (${describe(exit)})`))
  while (!why) {
    if (await ready().catch(() => false)) return
    // wrangler dev keeps running after a failed build, waiting for a change of the sources.
    if (/Build failed/.test(group.logs())) why = 'failed to build'
    else if (Date.now() > deadline) why = `not ready after ${ms / 1000} s`
    else await sleep(100)
  }
  await stopGroup(group, 'SIGTERM') // SIGTERM lets wrangler remove its .wrangler/tmp dirs
  throw new Error(`${what} ${why}; last output:\n${group.logs()}`)
}

/**
 * Checks a chosen port is free first (else a server already there would pass the readiness check),
 * and retries `start` on a fresh port when a picked one was taken before the child bound it.
 */
async function retryOnPortClash<T>(port: number | undefined, start: (port: number) => Promise<T>) {
  if (port !== undefined)
    await getFreePort(port).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is in use`) : err
    })
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(port ?? (await getFreePort()))
    } catch (err) {
      const clash = /EADDRINUSE|address already in use/i.test(String(err))
      if (port !== undefined || !clash || attempt >= 3) throw err
    }
  }
}

let handlersInstalled = false

/** Kills every live group on exit; on a signal stops them, then keeps the default behaviour. */
function installExitHandlers() {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', () => {
    for (const group of live) {
      signalGroup(group.pid, 'SIGKILL')
      for (const dir of group.cleanup) rmSync(dir, { recursive: true, force: true })
    }
  })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = async () => {
      await Promise.all([...live].map((group) => stopGroup(group, 'SIGTERM')))
      // Alone, we re-raise the signal so the process ends as it would have without us.
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal)
        process.kill(process.pid, signal)
      }
    }
    process.on(signal, onSignal)
  }
}

/**
 * A detached `sh` loop that kills the group and removes its directories once this process is gone
 * (even by SIGKILL), and ends by itself once the group is gone.
 */
function startWatchdog(group: Group) {
  const script = [
    'parent=$1; pgid=$2; shift 2',
    'while kill -s 0 "$parent" 2>/dev/null; do',
    '  kill -s 0 -- "-$pgid" 2>/dev/null || exit 0',
    '  sleep 1',
    'done',
    'kill -s KILL -- "-$pgid" 2>/dev/null',
    'rm -rf "$@"',
  ].join('\n')
  const args = [String(process.pid), String(group.pid), ...group.cleanup]
  spawn('/bin/sh', ['-c', script, 'edge-l2-watchdog', ...args], {
    detached: true,
    stdio: 'ignore',
  }).unref()
}

function describe(exit: Exit) {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`
}
