import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

/**
 * Durable Object alarm wake-ups of local nodes, counted from outside: workerd keeps each object's
 * next alarm in its class's `metadata.sqlite` (`_cf_ALARM`: object id, scheduled time), and every
 * wake-up that schedules the next one (or clears it) changes that row. A python3 sqlite3 reader
 * (read-only, WAL: it never blocks workerd's writes) samples the rows every 20 ms for `ms` and
 * counts the changes per node. A change that a request made (not a wake-up) counts too: measure
 * while nobody sends anything. Alarms closer than 20 ms apart are undercounted. Undefined when
 * python3 is missing.
 */
export async function countAlarmChanges(
  stateDirs: string[],
  ms: number,
): Promise<number[] | undefined> {
  const files = stateDirs.map((d) =>
    ['edge-l2-Sequencer', 'edge-l2-Feed'].map((c) =>
      path.join(d, 'v3', 'do', c, 'metadata.sqlite'),
    ),
  )
  const script = `
import json, sqlite3, sys, time
groups = json.loads(sys.argv[1]); until = time.time() + float(sys.argv[2]) / 1000
last = {}; counts = [0] * len(groups); conns = {}
while time.time() < until:
    for i, files in enumerate(groups):
        for f in files:
            try:
                c = conns.get(f) or conns.setdefault(f, sqlite3.connect('file:' + f + '?mode=ro', uri=True))
                rows = dict(c.execute('select actor_id, scheduled_time from _cf_ALARM').fetchall())
            except Exception:
                continue
            for key in set(rows) | set(k[1] for k in last if k[0] == f):
                now = rows.get(key)
                if (f, key) in last and last[(f, key)] != now:
                    counts[i] += 1
                last[(f, key)] = now
    time.sleep(0.02)
print(json.dumps(counts))
`
  if (!files.flat().some((f) => existsSync(f))) return undefined
  return new Promise((resolve) => {
    const py = spawn('python3', ['-c', script, JSON.stringify(files), String(ms)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    let out = ''
    py.stdout.on('data', (c: Buffer) => (out += c.toString()))
    py.on('error', () => resolve(undefined))
    py.on('exit', () => {
      try {
        resolve(JSON.parse(out) as number[])
      } catch {
        resolve(undefined)
      }
    })
  })
}
