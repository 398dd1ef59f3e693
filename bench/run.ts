import { startAnvil, startNode } from '../test/e2e/processes.js'
import { BAD_LOG_LINE } from '../test/e2e/rpcFuzz.js'
import { directUrl } from './directUrl.js'
import { fuzzNode, type FuzzReport } from './fuzz.js'
import { measureDerivation, measureFollowing } from './peers.js'
import { measureSettlement } from './settlement.js'
import { measureFailover } from './failover.js'
import { measurePool, printPool } from './pool.js'
import {
  accounts,
  createTarget,
  erc20Throughput,
  fillLogs,
  getLogsTime,
  peakMemoryMiB,
  readLatency,
  setupToken,
  type Target,
} from './workloads.js'

/**
 * `npm run bench`: the same workloads against our node (wrangler dev, automine) and anvil (automine,
 * same chain id and hardfork), printed as one table with ratios. Figures, not assertions.
 */
const TOTAL = Number(process.env.BENCH_TRANSFERS ?? 2048)
const IN_FLIGHT = 32
const LOGS = Number(process.env.BENCH_LOGS ?? 10_000)
/**
 * Transfers sent to the node before measuring: the JIT's warm-up is not the steady state. Anvil is
 * native and gets none (its eth_sendRawTransactionSync slows as its chain grows: 538, 275, then 127
 * tx/s over three runs of 1,024 transfers here, so a warm-up would only handicap it).
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 512)
/** Random JSON-RPC bodies thrown at the node after the workloads (issue 15); BENCH_SKIP_FUZZ=1 skips. */
const FUZZ = process.env.BENCH_SKIP_FUZZ ? 0 : Number(process.env.BENCH_FUZZ ?? 100_000)

/**
 * `npm run bench -- pool peers` (or BENCH_ONLY=pool,peers) runs only those parts: node, settlement,
 * peers, failover, restart, challengeGas, pool; `node` is the node-and-anvil table and the fuzz run. A part is one
 * `if (runs('name'))` block below.
 */
const ONLY = (
  process.argv.length > 2 ? process.argv.slice(2) : process.env.BENCH_ONLY?.split(',')
)?.map((s) => s.trim())
const runs = (part: string) => !ONLY || ONLY.includes(part)
/** Blocks a fresh peer derives from L1 (BENCH_PEER_BLOCKS), and feed blocks sampled (BENCH_FOLLOW_BLOCKS). */
const PEER_BLOCKS = Number(process.env.BENCH_PEER_BLOCKS ?? 2048)
const FOLLOW_BLOCKS = Number(process.env.BENCH_FOLLOW_BLOCKS ?? 200)

type Row = { metric: string; node: number; anvil: number; unit: string; higherIsBetter: boolean }

async function measure(t: Target, warmup: number) {
  const senders = accounts(IN_FLIGHT)
  console.error(`[${t.name}] setting up`)
  const token = await setupToken(t, senders)
  if (warmup > 0) {
    console.error(`[${t.name}] ${warmup} transfers to warm up (not measured)`)
    await erc20Throughput(t, token, senders, warmup, IN_FLIGHT, 'sync')
  }
  console.error(
    `[${t.name}] ${TOTAL} ERC20 transfers, ${IN_FLIGHT} in flight, receipts by eth_sendRawTransactionSync`,
  )
  const erc20 = await erc20Throughput(t, token, senders, TOTAL, IN_FLIGHT, 'sync')
  console.error(`[${t.name}] ${TOTAL} more, receipts polled every 20 ms`)
  const polled = await erc20Throughput(t, token, senders, TOTAL, IN_FLIGHT, 'poll')
  console.error(`[${t.name}] reads`)
  const balanceOf = `0x70a08231${senders[1].address.slice(2).toLowerCase().padStart(64, '0')}`
  const call = await readLatency(t, 'eth_call', [{ to: token, data: balanceOf }, 'latest'], 500)
  const balance = await readLatency(t, 'eth_getBalance', [senders[1].address, 'latest'], 500)
  console.error(`[${t.name}] filling ${LOGS} logs`)
  const spammer = await fillLogs(t, LOGS)
  const logs = await getLogsTime(t, spammer)
  return { erc20, polled, call, balance, logs }
}

if (runs('node')) {
  const anvil = await startAnvil({
    chainId: 901,
    hardfork: 'osaka',
    extraArgs: [
      '--block-base-fee-per-gas',
      '1000000000',
      '--gas-limit',
      '30000000',
      '--accounts',
      '40',
    ],
  })
  const badLogLines: string[] = []
  const node = await startNode({
    vars: { BLOCK_TIME_MS: '0' },
    onLog: (line) => void (BAD_LOG_LINE.test(line) && badLogLines.push(line)),
  })
  let fuzz: FuzzReport | undefined
  try {
    const direct = process.env.BENCH_VIA_PROXY ? undefined : await directUrl(node)
    console.error(
      direct
        ? `[node] measuring workerd directly at ${direct} (wrangler's dev proxy bypassed)`
        : '[node] measuring through wrangler dev',
    )
    const n = await measure(createTarget('node', `${direct ?? node.url}/chain/901`, 901), WARMUP)
    if (FUZZ > 0) {
      console.error(
        `[node] ${FUZZ} random JSON-RPC bodies (fuzz), 8 in flight, a balance probe meanwhile`,
      )
      fuzz = await fuzzNode(`${direct ?? node.url}/chain/901`, FUZZ)
    }
    const nodeMem = peakMemoryMiB(node.pid)
    const a = await measure(createTarget('anvil', anvil.url, 901), 0)
    const anvilMem = peakMemoryMiB(anvil.pid)
    const rows: Row[] = [
      {
        metric: `ERC20 transfers/s, eth_sendRawTransactionSync (${n.erc20.count} tx, ${IN_FLIGHT} in flight)`,
        node: n.erc20.tps,
        anvil: a.erc20.tps,
        unit: 'tx/s',
        higherIsBetter: true,
      },
      {
        metric: 'ERC20 send→receipt p50 (sync)',
        node: n.erc20.p50,
        anvil: a.erc20.p50,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        metric: 'ERC20 send→receipt p99 (sync)',
        node: n.erc20.p99,
        anvil: a.erc20.p99,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        metric: `ERC20 transfers/s, receipts polled every 20 ms (${n.polled.count} tx)`,
        node: n.polled.tps,
        anvil: a.polled.tps,
        unit: 'tx/s',
        higherIsBetter: true,
      },
      {
        metric: 'ERC20 send→receipt p50 (polled)',
        node: n.polled.p50,
        anvil: a.polled.p50,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        metric: 'eth_call balanceOf p50',
        node: n.call.p50,
        anvil: a.call.p50,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        metric: 'eth_call balanceOf p99',
        node: n.call.p99,
        anvil: a.call.p99,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        metric: 'eth_getBalance p50',
        node: n.balance.p50,
        anvil: a.balance.p50,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        metric: 'eth_getBalance p99',
        node: n.balance.p99,
        anvil: a.balance.p99,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        metric: `eth_getLogs, ${n.logs.count} logs`,
        node: n.logs.ms,
        anvil: a.logs.ms,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        metric: 'peak memory (RSS high-water mark)',
        node: nodeMem,
        anvil: anvilMem,
        unit: 'MiB',
        higherIsBetter: false,
      },
    ]
    console.log('\n| metric | edge-l2 | anvil | edge-l2 / anvil |\n| --- | ---: | ---: | ---: |')
    for (const r of rows)
      console.log(
        `| ${r.metric} | ${r.node.toFixed(1)} ${r.unit} | ${r.anvil.toFixed(1)} ${r.unit} | ${(r.node / r.anvil).toFixed(2)} |`,
      )
    if (WARMUP > 0)
      console.log(
        `\nedge-l2 measured after ${WARMUP} unmeasured ERC20 transfers (JIT warm-up); anvil from a fresh chain`,
      )
    console.log(
      `${WARMUP > 0 ? '' : '\n'}edge-l2 measured ${direct ? 'on its workerd socket (wrangler dev proxy bypassed; BENCH_VIA_PROXY=1 to go through it)' : 'through wrangler dev'}`,
    )
    console.log(
      `floor (issue 2): one shard ≥ 300 ERC20 transfers/s → ${n.erc20.tps >= 300 ? 'met' : 'NOT met'} (${n.erc20.tps.toFixed(0)} tx/s with eth_sendRawTransactionSync, ${n.polled.tps.toFixed(0)} tx/s polling)`,
    )
    if (fuzz) {
      console.log(
        `\n| fuzz (random JSON-RPC, test/e2e/rpcFuzz.ts) | edge-l2 |\n| --- | ---: |` +
          `\n| bodies sent (single, batch, malformed; 8 in flight) | ${fuzz.count} in ${fuzz.seconds.toFixed(0)} s |` +
          `\n| failures (5xx, not JSON-RPC, non-EIP-1474 code, -32603, internals shown) | ${fuzz.failures} |` +
          `\n| node log lines with Uncaught / internal error | ${badLogLines.length} |` +
          `\n| fuzz request latency p50 / p99 | ${fuzz.fuzz.p50.toFixed(1)} / ${fuzz.fuzz.p99.toFixed(1)} ms |` +
          `\n| eth_getBalance meanwhile p50 / p99 (${fuzz.probe.count} calls, ${fuzz.probe.failures} failed) | ${fuzz.probe.p50.toFixed(1)} / ${fuzz.probe.p99.toFixed(1)} ms |`,
      )
      for (const e of fuzz.examples) console.log(`fuzz failure: ${e}`)
      for (const l of badLogLines.slice(0, 5)) console.log(`node log: ${l}`)
    }
  } finally {
    await node.stop()
    await anvil.stop()
  }
}

// Settlement (issue 3): a devnet as `npm start` runs it, measured through wrangler dev.
if (runs('settlement') && !process.env.BENCH_SKIP_SETTLEMENT) {
  console.error('[settlement] devnet with npm start settings: withdrawal, then batch bytes')
  const s = await measureSettlement(Number(process.env.BENCH_BATCH_TRANSFERS ?? 512))
  console.log('\n| settlement (devnet defaults) | edge-l2 |\n| --- | ---: |')
  console.log(
    `| initiateWithdrawal → funds on L1 (three verifiers attesting, 2/3 quorum) | ${s.withdrawalSeconds.toFixed(1)} s |`,
  )
  console.log(
    `| L1 gas of verifier attestations per output (${s.outputsMeasured} outputs, ${s.attestationsPerOutput.toFixed(1)} transactions each) | ${Math.round(s.l1GasPerOutput).toLocaleString('en-US')} gas |`,
  )
  console.log(
    `| batch calldata posted to L1 per ERC20 transfer (${s.transfersMeasured} transfers) | ${s.bytesPerTransfer.toFixed(1)} bytes |`,
  )
}

// Peers: a fresh peer deriving a long chain from L1, and a peer's lag behind the live feed.
if (runs('peers') && !process.env.BENCH_SKIP_PEERS) {
  console.error(`[peers] a chain of ${PEER_BLOCKS}+ blocks, then a fresh L1-only peer derives it`)
  const der = await measureDerivation(PEER_BLOCKS)
  // Reads wait while the peer's Durable Object derives: the slow polls show its rounds.
  for (const p of der.progress.filter((p, i) => i % 20 === 0 || p.pollMs > 1000))
    console.error(
      `[peers] derivation: ${(p.ms / 1000).toFixed(1)} s, safe ${p.safe} (read in ${p.pollMs.toFixed(0)} ms)`,
    )
  console.error(`[peers] peer log: ${der.peerLog ?? '(no progress line)'}`)
  console.error(`[peers] a peer on the live feed, ${FOLLOW_BLOCKS} blocks sampled`)
  const fol = await measureFollowing(FOLLOW_BLOCKS, Number(process.env.BENCH_FOLLOW_TX_MS ?? 150))
  console.log('\n| peers (fast devnet settings) | edge-l2 |\n| --- | ---: |')
  console.log(
    `| fresh L1-only peer: L2 blocks derived per minute (${der.blocks} blocks, ${der.txs} transactions, ${der.batches} batches) | ${der.blocksPerMinute.toFixed(0)} blocks/min |`,
  )
  console.log(
    `| … its derivation time (from answering to safe = the sequencer's head; ${der.derivedAtStart} derived before it answered) | ${der.deriveSeconds.toFixed(1)} s |`,
  )
  console.log(
    `| … its start-up (spawn to /health answering) | ${der.startupSeconds.toFixed(1)} s |`,
  )
  console.log(
    `| … blocks compared with the sequencer's (hash, state root) | ${der.hashesChecked}, all equal |`,
  )
  console.log(
    `| peer on the live feed: sequencer newHeads → peer newHeads p50 / p99 (${fol.matched} of ${fol.blocks} blocks, max ${fol.max.toFixed(0)} ms) | ${fol.p50.toFixed(0)} / ${fol.p99.toFixed(0)} ms |`,
  )
  console.log(
    `\nfeed lag measured ${fol.direct ? 'on both workerd sockets' : 'through wrangler dev'}, a transfer every ${process.env.BENCH_FOLLOW_TX_MS ?? 150} ms (${fol.sent} sent, ${fol.failed} refused), blocks every 250 ms; ${fol.differed} blocks announced by the peer with another hash`,
  )
}

// Sequencer pool (issue 13): the holder's node SIGKILLed under load; time to the next sequencer's block.
if (runs('failover') && !process.env.BENCH_SKIP_FAILOVER) {
  const rounds = Number(process.env.BENCH_FAILOVER_ROUNDS ?? 3)
  console.error(`[failover] pool devnet, three operators and a keyless peer; ${rounds} kills`)
  const f = await measureFailover(rounds)
  const ms = f.map((r) => r.ms).sort((a, b) => a - b)
  console.log('\n| sequencer pool failover (devnet parameters) | edge-l2 |\n| --- | ---: |')
  console.log(
    `| holder SIGKILLed under load → next sequencer's first block at a peer (${f.length} kills; median, max) | ${(ms[Math.floor(ms.length / 2)] / 1000).toFixed(1)} s, ${(ms[ms.length - 1] / 1000).toFixed(1)} s |`,
  )
  console.log(
    `| transactions acknowledged before a kill and never mined (all acknowledged so far, checked at each kill: ${f.map((r) => r.acked).join(', ')}) | ${f.reduce((a, r) => a + r.lost, 0)} |`,
  )
}

// Restart (issue 23): `npm start` on a stopped devnet with state → its first new block (bench/restart.ts).
if (runs('restart') && !process.env.BENCH_SKIP_RESTART)
  await (await import('./restart.js')).benchRestart()

// OutputQuorum gas (issue 22): attest, challenge and resolve with 1 and with 1,000 open challenges.
if (runs('challengeGas') && !process.env.BENCH_SKIP_CHALLENGE_GAS) {
  const { benchChallengeGas, formatChallengeGas } = await import('./challengeGas.js')
  const g = await benchChallengeGas()
  console.log(`\n| OutputQuorum gas (devnet parameters), 1 / ${g.open.toLocaleString('en')} open challenges | gas |\n| --- | ---: |`)
  console.log(`| attest (3 signatures, a quorum: the output enters) | ${g.attest1} / ${g.attestN} |`)
  console.log(`| challenge (an output in the oracle, frozen) | ${g.challenge1} / ${g.challengeN} |`)
  console.log(`| resolve (expired, the quorum root stands) | ${g.resolve1} / ${g.resolveN} |`)
  console.error(`[challengeGas] ${formatChallengeGas(g)}`)
}

// The pool devnet as `npm start` runs it (issue 24): receipts, throughput, lag, reads, memory, idle CPU.
if (runs('pool') && !process.env.BENCH_SKIP_POOL) printPool(await measurePool())
