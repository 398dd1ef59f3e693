import { execSync } from 'node:child_process'

/**
 * `wrangler dev` puts a Node.js proxy in front of workerd (for live reload) that production does not
 * have; it costs ~10 ms and a core's worth of CPU under load on this 2-core machine. The node's own
 * workerd socket is found by asking each port its workerd children listen on for /health.
 */
export async function directUrl(node: { pid: number; port: number }): Promise<string | undefined> {
  const pids = workerdPids(node.pid)
  if (!pids.length) return undefined
  const ss = execSync(`ss -ltnp 2>/dev/null || true`).toString()
  const ports = [...ss.matchAll(/127\.0\.0\.1:(\d+)\s.*pid=(\d+),/g)]
    .filter((m) => pids.includes(m[2]))
    .map((m) => m[1])
    // wrangler's own proxy is a workerd too, listening on the node's port: not the one wanted.
    .filter((port) => Number(port) !== node.port)
  for (const port of ports) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/chains`, {
        signal: AbortSignal.timeout(2000),
      })
      if (res.ok && Array.isArray(await res.json())) return `http://127.0.0.1:${port}`
    } catch {}
  }
  return undefined
}

/** The workerd processes in a node's process group (wrangler's proxy and the node itself). */
export function workerdPids(groupPid: number): string[] {
  return execSync(`pgrep -g ${groupPid} workerd || true`)
    .toString()
    .trim()
    .split(/\s+/)
    .filter(Boolean)
}
