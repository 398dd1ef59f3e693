import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseGwei, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devnetOperator } from '../../scripts/devnet-verifiers.js'
import { devAccount, freshAddress, rpc, rpcResult, waitFor } from './node.fixtures.js'
import {
  getFreePort,
  restartNodeOnPort,
  startAnvil,
  startNode,
  type Anvil,
  type L2Node,
} from './processes.js'

/**
 * Restart drills on the devnet `npm start` runs (issue 23, invariant 5): the whole devnet stopped
 * with SIGINT and started again; every process SIGKILLed and started again; the L1 alone restarted;
 * the sequencing node restarted as its turn hands over. After each: a node seals a new block within
 * 60 s of the start (a deadline, not a performance figure: `npm run bench` measures it), every
 * transaction whose hash a node returned is mined on every node, a write through every node is
 * mined, and no error line repeats in the log more than a few times. One devnet, drills in
 * sequence, on ports no other test uses (L1 8945, nodes 9945–9947), its state in a temporary
 * directory.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const L1_PORT = 8945
const PORTS = [9945, 9946, 9947]
const CHAIN = 901
const url = (port: number) => `http://127.0.0.1:${port}/chain/${CHAIN}`
const urls = PORTS.map(url)
const sender = devAccount(6)
const fees = { maxFeePerGas: parseGwei('50'), maxPriorityFeePerGas: parseGwei('1') }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** At most this many copies of one error line after a restart ("a few"). */
const MAX_REPEATS = 5

let dir: string
let devnetDir: string
let devnet: { proc: ChildProcess; exited: Promise<unknown>; log: string[] } | undefined
/** Every hash a node returned for a transaction sent here. */
const acknowledged: Hex[] = []
let nonce = 0

function startDevnet(reset: boolean) {
  const args = ['scripts/start.mjs', '--dir', devnetDir, '--l1-port', String(L1_PORT)]
  args.push('--port', String(PORTS[0]))
  if (reset) args.push('--reset')
  const proc = spawn(process.execPath, args, { cwd: root, detached: true, stdio: 'pipe' })
  const log: string[] = []
  let partial = ''
  for (const s of [proc.stdout!, proc.stderr!])
    s.on('data', (d) => {
      const lines = (partial + String(d)).split('\n')
      partial = lines.pop()!
      log.push(...lines)
    })
  const exited = new Promise((resolve) => proc.on('exit', resolve))
  devnet = { proc, exited, log }
  return devnet
}

/** Resolves once every node answers `eth_blockNumber`; fails if the devnet exits first. */
async function devnetUp(d: NonNullable<typeof devnet>, timeoutMs: number) {
  let gone = false
  void d.exited.then(() => (gone = true))
  for (const end = Date.now() + timeoutMs; ; await sleep(1_000)) {
    const up = await Promise.all(
      urls.map((u) => rpcResult(u, 'eth_blockNumber').catch(() => undefined)),
    )
    if (up.every((h) => h !== undefined)) return
    if (gone || Date.now() > end)
      throw new Error(`the devnet did not come up:\n${d.log.slice(-80).join('\n')}`)
  }
}

async function heads(): Promise<bigint[]> {
  return Promise.all(urls.map((u) => rpcResult<Hex>(u, 'eth_blockNumber').then(BigInt, () => -1n)))
}

/** Signs and sends a transfer through `through`; records the hash the node returned. */
async function send(through: string): Promise<Hex> {
  const raw = await sender.signTransaction({
    chainId: CHAIN,
    type: 'eip1559',
    to: freshAddress(),
    value: 1000n,
    nonce,
    gas: 21_000n,
    ...fees,
  })
  const r = await rpc(through, 'eth_sendRawTransaction', [raw])
  if (r.error)
    throw new Error(`eth_sendRawTransaction through ${through}: ${JSON.stringify(r.error)}`)
  nonce++
  acknowledged.push(r.result as Hex)
  return r.result as Hex
}

/** Every acknowledged transaction mined (status 1) on every node, in the same block everywhere. */
async function allMinedEverywhere(timeoutMs = 90_000) {
  await waitFor(
    `${acknowledged.length} acknowledged transactions mined on every node`,
    async () => {
      for (const hash of acknowledged) {
        const receipts = await Promise.all(
          urls.map((u) => rpcResult(u, 'eth_getTransactionReceipt', [hash])),
        )
        if (receipts.some((r) => !r)) return false
        expect(receipts.every((r) => r.status === '0x1')).toBe(true)
        if (new Set(receipts.map((r) => r.blockHash)).size !== 1) return false
      }
      return true
    },
    timeoutMs,
  )
}

/** A node seals a block above `above` within 60 s of `startedAt`. */
async function sequencesWithin60s(startedAt: number, above: bigint) {
  const deadline = startedAt + 60_000
  for (;;) {
    const hs = await heads()
    if (hs.some((h) => h > above)) return
    if (Date.now() > deadline)
      throw new Error(`no node sealed a block above ${above} within 60 s (heads ${hs.join(', ')})`)
    await sleep(500)
  }
}

/** Sends a transfer through every node and waits until each is mined everywhere. */
async function writesWorkEverywhere() {
  for (const u of urls) await send(u)
  await allMinedEverywhere()
}

/** The log lines that report a failure, by how often each (exact text) appears. */
function repeatedErrors(lines: string[]): Array<[string, number]> {
  const counts = new Map<string, number>()
  for (const l of lines)
    if (/error|failed|✘/i.test(l)) counts.set(l.trim(), (counts.get(l.trim()) ?? 0) + 1)
  return [...counts].filter(([, n]) => n > MAX_REPEATS)
}

/** Sends SIGKILL to `pid`'s process group and to the group of each of its children. */
function killEverything(pid: number) {
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0)
  for (const p of [pid, ...children])
    try {
      process.kill(-p, 'SIGKILL')
    } catch {}
}

async function stopDevnet(signal: NodeJS.Signals) {
  const d = devnet
  if (!d?.proc.pid) return
  if (signal === 'SIGKILL') killEverything(d.proc.pid)
  else
    try {
      process.kill(-d.proc.pid, signal)
    } catch {}
  const done = await Promise.race([d.exited.then(() => true), sleep(60_000).then(() => false)])
  if (!done) killEverything(d.proc.pid)
  await d.exited
  await portsFree()
  devnet = undefined
}

async function portsFree() {
  for (const port of [L1_PORT, ...PORTS])
    for (let end = Date.now() + 30_000; Date.now() < end; await sleep(250))
      if (
        await getFreePort(port).then(
          () => true,
          () => false,
        )
      )
        break
}

/** One drill of the whole devnet: traffic, the stop, the start, then the checks. */
async function drill(signal: NodeJS.Signals) {
  for (let i = 0; i < 6; i++) await send(urls[i % urls.length])
  await allMinedEverywhere()
  // More in flight at the stop: acknowledged, not yet mined.
  for (let i = 0; i < 3; i++) await send(urls[i % urls.length])
  const before = (await heads()).reduce((a, b) => (a > b ? a : b))
  await stopDevnet(signal)
  const startedAt = Date.now()
  const d = startDevnet(false)
  await devnetUp(d, 60_000)
  const restartLog = d.log.length
  await sequencesWithin60s(startedAt, before)
  await allMinedEverywhere()
  await writesWorkEverywhere()
  expect(repeatedErrors(d.log.slice(restartLog))).toEqual([])
}

beforeAll(async () => {
  for (const port of [L1_PORT, ...PORTS])
    await getFreePort(port).catch(() => {
      throw new Error(`port ${port} is in use: the restart drills need 8945 and 9945–9947`)
    })
  dir = mkdtempSync(path.join(tmpdir(), 'edge-l2-restart-'))
  devnetDir = path.join(dir, 'devnet')
  await devnetUp(startDevnet(true), 300_000)
  await writesWorkEverywhere()
}, 360_000)

afterAll(async () => {
  await stopDevnet('SIGTERM')
  if (dir) rmSync(dir, { recursive: true, force: true })
}, 120_000)

describe('restart drills', () => {
  test('default: the whole devnet stopped with SIGINT (Ctrl-C) and started again', async () => {
    await drill('SIGINT')
  }, 400_000)

  test('behavior: every process SIGKILLed at once, then started again', async () => {
    await drill('SIGKILL')
  }, 400_000)

  // The L1 alone and one node alone: the same state, run process by process as start.mjs runs them
  // (start.mjs ends the devnet when one of its nodes exits).
  describe('process by process', () => {
    let anvil: Anvil
    let nodes: L2Node[] = []
    const l1 = () => JSON.parse(readFileSync(path.join(devnetDir, 'l1.json'), 'utf8'))
    const nodeOpts = (i: number) => ({
      port: PORTS[i],
      persistDir: i === 0 ? devnetDir : path.join(devnetDir, `peer-${i}`),
      vars: {
        L1: JSON.stringify(l1()),
        VERIFIER_KEY: devnetOperator(i).key,
        PUBLIC_URL: `http://127.0.0.1:${PORTS[i]}`,
      },
    })
    const startL1 = () =>
      startAnvil({
        port: L1_PORT,
        chainId: 900,
        hardfork: 'osaka',
        blockTime: 1,
        stateFile: path.join(devnetDir, 'l1-state.json'),
        extraArgs: ['--state-interval', '1'],
      })
    const logs = () => nodes.flatMap((n) => n.logs().split('\n'))

    beforeAll(async () => {
      await stopDevnet('SIGTERM')
      anvil = await startL1()
      nodes = await Promise.all(PORTS.map((_, i) => startNode(nodeOpts(i))))
      await writesWorkEverywhere()
    }, 300_000)

    afterAll(async () => {
      await Promise.all(nodes.map((n) => n.stop()))
      await anvil?.stop()
    }, 120_000)

    test('behavior: the L1 alone stopped and started again', async () => {
      for (let i = 0; i < 3; i++) await send(urls[i])
      const before = (await heads()).reduce((a, b) => (a > b ? a : b))
      const logFrom = logs().length
      await anvil.stop()
      await sleep(5_000) // the nodes meet an L1 that does not answer
      const startedAt = Date.now()
      anvil = await startL1()
      await sequencesWithin60s(startedAt, before)
      await allMinedEverywhere()
      await writesWorkEverywhere()
      expect(repeatedErrors(logs().slice(logFrom))).toEqual([])
    }, 300_000)

    test('behavior: the sequencing node SIGKILLed as its turn hands over, then started again', async () => {
      const turnOf = async () => {
        const chains = await Promise.all(
          PORTS.map((p) =>
            fetch(`http://127.0.0.1:${p}/chains`).then((r) => r.json() as Promise<any[]>),
          ),
        )
        return chains.map((c) => c.find((s) => s.chainId === CHAIN)?.role as string)
      }
      // The node sequencing now, and the moment another one takes over (the handover begins).
      const holder = await waitFor('a node sequencing', async () => {
        const i = (await turnOf()).indexOf('sequencer')
        return i >= 0 ? i : undefined
      })
      for (let i = 0; i < 3; i++) await send(urls[i])
      await waitFor(
        'the turn moving on',
        async () => (await turnOf()).some((r, i) => r === 'sequencer' && i !== holder),
        120_000,
      )
      for (let i = 0; i < 3; i++) await send(urls[i])
      const before = (await heads()).reduce((a, b) => (a > b ? a : b))
      await nodes[holder].stop('SIGKILL')
      const startedAt = Date.now()
      nodes[holder] = await restartNodeOnPort(nodeOpts(holder))
      await sequencesWithin60s(startedAt, before)
      await allMinedEverywhere()
      await writesWorkEverywhere()
      expect(repeatedErrors(logs())).toEqual([])
    }, 400_000)
  })
})
