import { Agent } from 'node:http'
import fc from 'fast-check'
import { body, checkAnswer, postBody } from '../test/e2e/rpcFuzz.js'

/** What a fuzz run found: failures (with the first few), and latencies of the fuzz and of a probe. */
export type FuzzReport = {
  count: number
  failures: number
  examples: string[]
  seconds: number
  fuzz: { p50: number; p99: number }
  /** eth_getBalance sent one at a time during the run: how the node serves real clients meanwhile. */
  probe: { count: number; p50: number; p99: number; failures: number }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] : NaN
}

/**
 * Sends `count` random JSON-RPC bodies (test/e2e/rpcFuzz.ts: random and prototype method names,
 * params of every JSON type, huge strings, batches, malformed bodies) to `url`, `inFlight` at a
 * time, and checks each answer as the fuzz suite does. Meanwhile a probe reads a balance in a loop.
 */
export async function fuzzNode(
  url: string,
  count: number,
  { inFlight = 8, maxBatch = 100, seed = Date.now() } = {},
): Promise<FuzzReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight })
  // Drawn 1,000 at a time (bodies reach 100 KB): the same seed gives the same run.
  const arbitrary = body(maxBatch)
  let chunk: string[] = []
  const bodyAt = (i: number) => {
    if (i % 1_000 === 0) chunk = fc.sample(arbitrary, { numRuns: 1_000, seed: seed + i / 1_000 })
    return chunk[i % 1_000]
  }
  const examples: string[] = []
  let failures = 0
  const latencies: number[] = []
  let next = 0
  let done = false
  const started = performance.now()

  const probe = { latencies: [] as number[], failures: 0 }
  const probeBody = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'eth_getBalance',
    params: ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'latest'],
  })
  const probing = (async () => {
    const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 })
    while (!done) {
      const t = performance.now()
      const r = await postBody(url, probeBody, probeAgent).catch(() => undefined)
      probe.latencies.push(performance.now() - t)
      if (!r || r.status !== 200 || !JSON.parse(r.text).result) probe.failures++
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    probeAgent.destroy()
  })()

  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const sent = bodyAt(i)
      const t = performance.now()
      const why = await postBody(url, sent, agent).then(
        (r) => checkAnswer(sent, r.status, r.text),
        (err: Error) => `no answer: ${err.message}`,
      )
      latencies.push(performance.now() - t)
      if (why) {
        failures++
        if (examples.length < 5) examples.push(`${why}\n  sent: ${sent.slice(0, 300)}`)
      }
      if ((i + 1) % 10_000 === 0) console.error(`[fuzz] ${i + 1} of ${count}, ${failures} failed`)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  done = true
  await probing
  agent.destroy()
  return {
    count,
    failures,
    examples,
    seconds: (performance.now() - started) / 1000,
    fuzz: { p50: pct(latencies, 50), p99: pct(latencies, 99) },
    probe: {
      count: probe.latencies.length,
      p50: pct(probe.latencies, 50),
      p99: pct(probe.latencies, 99),
      failures: probe.failures,
    },
  }
}
