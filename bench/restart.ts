import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The restart figure of `npm run bench` (issue 23): `npm start` (scripts/start.mjs) on a stopped
 * devnet with state, timed from the spawn to the nodes answering and to the first block above the
 * head they had at the stop (a node sequencing again). A fresh devnet is started once, run for
 * `warmMs`, stopped with SIGINT; then `rounds` starts and stops in a row on that state. Its own
 * ports (L1 8645, nodes 9645–9647) and a temporary state directory.
 */
export async function measureRestart(rounds: number, warmMs = 20_000) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-l2-bench-restart-'))
  const ports = [9645, 9646, 9647]
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  const head = (port: number) =>
    fetch(`http://127.0.0.1:${port}/chain/901`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      signal: AbortSignal.timeout(2_000),
    })
      .then((r) => r.json() as Promise<{ result?: string }>)
      .then((j) => (j.result ? BigInt(j.result) : -1n))
      .catch(() => -1n)
  const heads = () => Promise.all(ports.map(head))
  const start = (reset: boolean) => {
    const args = ['scripts/start.mjs', '--dir', path.join(dir, 'devnet'), '--l1-port', '8645']
    args.push('--port', String(ports[0]), ...(reset ? ['--reset'] : []))
    const proc = spawn(process.execPath, args, { cwd: root, detached: true, stdio: 'ignore' })
    const exited = new Promise((r) => proc.on('exit', r))
    return { proc, exited }
  }
  const stop = async (d: ReturnType<typeof start>) => {
    process.kill(-d.proc.pid!, 'SIGINT')
    await d.exited
    await sleep(2_000) // the ports free again
  }
  const results: { upMs: number; blockMs: number }[] = []
  try {
    let d = start(true)
    while ((await heads()).some((h) => h < 0n)) await sleep(1_000)
    await sleep(warmMs)
    for (let r = 0; r < rounds; r++) {
      const before = (await heads()).reduce((a, b) => (a > b ? a : b))
      await stop(d)
      const t0 = Date.now()
      d = start(false)
      let upMs = 0
      for (;;) {
        const hs = await heads()
        if (!upMs && hs.every((h) => h >= 0n)) upMs = Date.now() - t0
        if (hs.some((h) => h > before)) break
        if (Date.now() - t0 > 300_000) throw new Error('no new block within 5 minutes of the start')
        await sleep(200)
      }
      results.push({ upMs: upMs || Date.now() - t0, blockMs: Date.now() - t0 })
    }
    await stop(d)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return results
}

/** Prints the restart rows (BENCH_RESTART_ROUNDS starts, 2 by default); skipped when BENCH_ONLY names other parts. */
export async function benchRestart() {
  const only = process.env.BENCH_ONLY?.split(',')
  if (only && !only.includes('restart')) return
  const rounds = Number(process.env.BENCH_RESTART_ROUNDS ?? 2)
  console.error(
    `[restart] npm start's devnet, stopped with SIGINT and started again ${rounds} times`,
  )
  const r = await measureRestart(rounds)
  console.log('\n| restart (npm start on a stopped devnet with state) | edge-l2 |\n| --- | ---: |')
  console.log(
    `| start → every node answering; → the first new block (${r.length} starts, each) | ${r.map((x) => `${(x.upMs / 1000).toFixed(1)} s; ${(x.blockMs / 1000).toFixed(1)} s`).join(' / ')} |`,
  )
}
