// `npm start`: a local devnet. Applies the D1 migrations to .devnet/, runs the L2 node (`wrangler
// dev`) on 127.0.0.1:9545 persisting there, and prints the shards and the dev accounts once the node
// answers. `--reset` wipes .devnet/ first; Ctrl-C stops everything. The process handling is the
// one the end-to-end tests use (test/e2e/processes.ts), loaded through tsx.
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { tsImport } from 'tsx/esm/api'
import { toHex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const devnetDir = path.join(root, '.devnet')
const mnemonic = 'test test test test test test test test test test test junk'

const { values: args } = parseArgs({
  options: {
    reset: { type: 'boolean', default: false },
    port: { type: 'string', default: '9545' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (args.help) {
  console.log(`usage: npm start -- [--reset] [--port 9545]

  --reset   wipe the local state in .devnet/ first
  --port    port of the L2 node on 127.0.0.1 (default 9545)`)
  process.exit(0)
}

/** @type {import('../test/e2e/processes.ts')} */
const { startNode } = await tsImport('../test/e2e/processes.ts', import.meta.url)

if (args.reset) rmSync(devnetDir, { recursive: true, force: true })
mkdirSync(devnetDir, { recursive: true })

// ── L1 ───────────────────────────────────────────────────────────────────────────────────────────
// A later issue starts anvil here, on 127.0.0.1:8545 and before the L2 (startAnvil from
// test/e2e/processes.ts, state in .devnet/), deploys the L1 contracts and passes their addresses
// to the node through `vars`. Until then the L2 runs without an L1.
const vars = {}
// ─────────────────────────────────────────────────────────────────────────────────────────────────

let streaming = false
console.log(`starting the L2 node on 127.0.0.1:${args.port} (state in .devnet/) …`)
const node = await startNode({
  port: Number(args.port),
  persistDir: devnetDir,
  vars,
  onLog: (line) => streaming && console.log(`[l2] ${line}`),
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})

let stopping = false
const shutdown = async () => {
  if (stopping) return
  stopping = true
  console.log('\nstopping …')
  await node.stop()
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
node.exited.then((exit) => {
  if (stopping) return
  console.error(`the L2 node exited (${JSON.stringify(exit)}); last output:\n${node.logs()}`)
  process.exit(1)
})

console.log(summary(node.url, await getChains(node.url)))
streaming = true

/** The shards from `GET /chains`, or the reason they could not be read. */
async function getChains(url) {
  let last = 'no answer'
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const res = await fetch(`${url}/chains`, { signal: AbortSignal.timeout(5_000) })
      if (res.ok) return await res.json()
      last = `HTTP ${res.status}`
    } catch (err) {
      last = err instanceof Error ? err.message : String(err)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return last
}

function summary(url, chains) {
  const lines = ['', 'edge-l2 devnet is up', '', `  node      ${url}  (GET /health, GET /chains)`]
  lines.push(`  state     .devnet/  (npm start -- --reset wipes it)`, '', '  L2 shards')
  if (Array.isArray(chains)) {
    for (const c of chains) {
      lines.push(`    ${String(c.chainId).padEnd(8)} ${c.name}`)
      lines.push(`             rpc ${c.rpcUrl}`, `             ws  ${c.wsUrl}`)
    }
    if (chains.length > 0) lines.push(`    (the first shard is also served at ${url}/)`)
  } else {
    lines.push(`    GET /chains failed: ${chains}`)
  }
  lines.push('', `  dev accounts (mnemonic "${mnemonic}")`)
  for (let i = 0; i < 10; i++) {
    const account = mnemonicToAccount(mnemonic, { addressIndex: i })
    lines.push(`    (${i}) ${account.address}  ${toHex(account.getHdKey().privateKey)}`)
  }
  lines.push('', 'Ctrl-C stops the devnet.', '')
  return lines.join('\n')
}
