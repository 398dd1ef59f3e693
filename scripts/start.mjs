// `npm start`: a local devnet. Builds the contracts into generated/ (skipped when current), starts
// anvil (the L1) on 127.0.0.1:8545 with the L1 contracts (the ETH of each shard's L2 genesis locked
// in its portal), applies the D1 migrations to .devnet/, runs the three operators' L2 nodes
// (`wrangler dev`) on 127.0.0.1:9545-9547, each persisting in its own directory, and prints the
// operators, who sequences each shard now (the SequencerPool on L1), the shards and the dev accounts
// once the nodes answer. `--reset` wipes .devnet/ first; `--dir` and `--l1-port` move the state and the L1 (a
// second devnet beside a developer's, as the status page's browser test runs); Ctrl-C stops everything. The process handling is the
// one the end-to-end tests use (test/e2e/processes.ts), loaded through tsx.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { tsImport } from 'tsx/esm/api'
import {
  createPublicClient,
  createWalletClient,
  formatEther,
  http,
  publicActions,
  toHex,
  zeroAddress,
} from 'viem'
import { readContract } from 'viem/actions'
import { mnemonicToAccount } from 'viem/accounts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const mnemonic = 'test test test test test test test test test test test junk'

const { values: args } = parseArgs({
  options: {
    reset: { type: 'boolean', default: false },
    port: { type: 'string', default: '9545' },
    peers: { type: 'string', default: '2' },
    dir: { type: 'string', default: '.devnet' },
    'l1-port': { type: 'string', default: '8545' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (args.help) {
  console.log(`usage: npm start -- [--reset] [--port 9545] [--peers 2] [--dir .devnet] [--l1-port 8545]

  --reset    wipe the local state in .devnet/ (or --dir) first
  --port     port of the first node on 127.0.0.1 (default 9545); peers take the next ports
  --peers    how many peer nodes to run beside it (default 2), each its own process and state;
             the first node and the first two peers are the three staked verifier operators,
             who take turns sequencing (every node forwards writes to whoever holds the turn)
  --dir      the devnet's state directory, relative to the repository (default .devnet)
  --l1-port  port of the L1 (anvil) on 127.0.0.1 (default 8545)`)
  process.exit(0)
}
const devnetDir = path.resolve(root, args.dir)
const inRoot = path.relative(root, devnetDir)
const stateName = `${inRoot && !inRoot.startsWith('..') ? inRoot : devnetDir}/`
const l1Port = Number(args['l1-port'])
if (!Number.isSafeInteger(l1Port) || l1Port <= 0) {
  console.error(`--l1-port must be a port number, not ${args['l1-port']}`)
  process.exit(1)
}

// The L1 contracts' ABIs and bytecode (generated/contracts/) are imported by the deploy script and
// the node's bundle: build them first (a fresh clone has none; a stamp skips the work when current).
/** @type {import('./build-contracts.ts')} */
const { buildContracts } = await tsImport('./build-contracts.ts', import.meta.url)
try {
  const built = buildContracts()
  if (!built.cached)
    console.log(`built ${built.contracts.length} contracts into generated/contracts/`)
} catch (err) {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
}
/** @type {import('../test/e2e/processes.ts')} */
const { startNode, startAnvil } = await tsImport('../test/e2e/processes.ts', import.meta.url)
/** @type {import('./deploy-l1.ts')} */
const { deployL1, toL1Config } = await tsImport('./deploy-l1.ts', import.meta.url)
/** @type {import('../shared/chain/genesis.ts')} */
const { genesisEthSupply } = await tsImport('../shared/chain/genesis.ts', import.meta.url)
/** @type {import('../shared/sequencing/poolView.ts')} */
const { readPoolView } = await tsImport('../shared/sequencing/poolView.ts', import.meta.url)
/** @type {import('../generated/contracts/SequencerPool.ts')} */
const { sequencerPoolAbi } = await tsImport(
  '../generated/contracts/SequencerPool.ts',
  import.meta.url,
)
/** @type {import('../generated/contracts/VerifierStaking.ts')} */
const { verifierStakingAbi } = await tsImport(
  '../generated/contracts/VerifierStaking.ts',
  import.meta.url,
)
/** @type {import('../generated/contracts/DacToken.ts')} */
const { dacTokenAbi } = await tsImport('../generated/contracts/DacToken.ts', import.meta.url)
/** @type {import('./devnet-verifiers.ts')} */
const { devnetOperator, stakeOperators, DEVNET_STAKE } = await tsImport(
  './devnet-verifiers.ts',
  import.meta.url,
)
const genesisSpec = JSON.parse(readFileSync(path.join(root, 'genesis.json'), 'utf8'))

if (args.reset) rmSync(devnetDir, { recursive: true, force: true })
mkdirSync(devnetDir, { recursive: true })

// ── L1 ──────────────────────────────────────────────────────────────────────────────────────────
// anvil on 127.0.0.1:8545 (chain 900, a block a second), its state saved to .devnet/l1-state.json on
// exit and loaded on the next start; the L1 contracts deployed once (.devnet/l1.json) and handed to
// the node as the L1 var. Three verifier operators (mnemonic keys 10, 11, 12), each staked with
// 100,000 EDGE of dev account 9, run the first three nodes: they attest every output root on L1 (two
// of three are the 2/3 quorum) and take turns sequencing each shard as the SequencerPool schedules
// them (a 20-block epoch; a silent sequencer is skipped after 8 L1 blocks). No node has a
// sequencer or batcher key: the inbox's batcher (dev account 8) is unused in pool mode.
const L1_CHAIN_ID = 900
const batcher = mnemonicToAccount(mnemonic, { addressIndex: 8 })
const stakeFunder = mnemonicToAccount(mnemonic, { addressIndex: 9 })
const operators = [0, 1, 2].map(devnetOperator)
console.log(`starting the L1 (anvil) on 127.0.0.1:${l1Port} …`)
const anvil = await startAnvil({
  port: l1Port,
  chainId: L1_CHAIN_ID,
  hardfork: 'osaka',
  stateFile: recoverL1State(path.join(devnetDir, 'l1-state.json')),
  // Dumped every second too, not only on a clean exit: after a crash (SIGKILL of everything) the L1
  // restarts at most a second behind, inside the nodes' confirmation depth (L1_CONFIRMATIONS).
  extraArgs: ['--state-interval', '1'],
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
const l1 = await ensureL1Contracts(anvil.url)
// Deployed with automine (many contracts, one account); from here on a block a second, like an L1.
for (const [method, params] of [
  ['anvil_setAutomine', [false]],
  ['evm_setIntervalMining', [1]],
])
  await fetch(anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  }).then((res) => res.json())
// Every node finds the scheduled sequencer (address and URL) on L1; the sequencer signs its live
// feed with its operator key, which peers check against the pool's schedule.
const vars = {
  L1: JSON.stringify(l1),
  VERIFIER_KEY: operators[0].key,
  PUBLIC_URL: `http://127.0.0.1:${args.port}`,
}
const peerCount = Number(args.peers)
if (!Number.isSafeInteger(peerCount) || peerCount < 0) {
  console.error(`--peers must be a whole number, not ${args.peers}`)
  process.exit(1)
}
// ─────────────────────────────────────────────────────────────────────────────────────────────────

let streaming = false
console.log(`starting node 1 on 127.0.0.1:${args.port} (state in ${stateName}) …`)
const node = await startNode({
  port: Number(args.port),
  persistDir: devnetDir,
  vars,
  onLog: (line) => streaming && console.log(`[l2] ${line}`),
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
// Peers: separate processes with separate state (.devnet/peer-N/); they meet the sequencer only on
// L1 and over HTTP/WebSocket, as other operators' nodes would.
const peers = await Promise.all(
  Array.from({ length: peerCount }, (_, i) => {
    const port = Number(args.port) + 1 + i
    const dir = path.join(devnetDir, `peer-${i + 1}`)
    mkdirSync(dir, { recursive: true })
    console.log(
      `starting peer ${i + 1} on 127.0.0.1:${port} (state in ${stateName}peer-${i + 1}/) …`,
    )
    return startNode({
      port,
      persistDir: dir,
      vars: {
        L1: JSON.stringify(l1),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        ...(operators[i + 1] ? { VERIFIER_KEY: operators[i + 1].key } : {}),
      },
      onLog: (line) => streaming && console.log(`[peer-${i + 1}] ${line}`),
    })
  }),
).catch(async (err) => {
  console.error(err instanceof Error ? err.message : err)
  await node.stop()
  process.exit(1)
})

let stopping = false
const shutdown = async () => {
  if (stopping) return
  stopping = true
  console.log('\nstopping …')
  await Promise.all(peers.map((p) => p.stop()))
  await node.stop()
  await anvil.stop()
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
for (const [name, n] of [['sequencer', node], ...peers.map((p, i) => [`peer ${i + 1}`, p])])
  n.exited.then((exit) => {
    if (stopping) return
    console.error(`the ${name} node exited (${JSON.stringify(exit)}); last output:\n${n.logs()}`)
    process.exit(1)
  })

console.log(summary(node.url, await getChains(node.url), peers, await readSequencing(l1)))
streaming = true
// Cron triggers do not fire under wrangler dev: fire the scheduled handler every minute, as
// Cloudflare would (the shards' own alarms do the L1 work in between).
setInterval(() => {
  for (const n of [node, ...peers])
    fetch(`${n.url}/__scheduled?cron=*+*+*+*+*`)
      .then((res) => res.body?.cancel())
      .catch(() => {})
}, 60_000).unref()

/**
 * The L1 contracts of every shard: reused from .devnet/l1.json when the L1 still has their code,
 * deployed (dev account 0 as owner) otherwise. The ETH each shard's L2 genesis mints is locked in
 * its portal at deploy time, so the devnet is solvent: dev account 0 gets it on anvil first.
 */
async function ensureL1Contracts(rpcUrl) {
  const file = path.join(devnetDir, 'l1.json')
  const client = createWalletClient({
    account: mnemonicToAccount(mnemonic),
    transport: http(rpcUrl),
  }).extend(publicActions)
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    const shards = Object.values(saved.shards)
    const live = await Promise.all(shards.map((s) => client.getCode({ address: s.portal })))
    if (shards.length && live.every((code) => code && code !== '0x')) {
      if (
        saved.genesisLock !== undefined &&
        shards.every(
          (s) =>
            s.batcher === batcher.address &&
            s.outputQuorum &&
            s.governor &&
            s.sequencing === 'pool',
        )
      )
        return { ...saved, rpcUrl } // the L1's port may differ from the last start (--l1-port)
      console.error(
        '.devnet/ was made by an older edge-l2 (other batcher, genesis ETH not locked on L1, no DAC, no verifiers or no sequencer pool); run: npm start -- --reset',
      )
      process.exit(1)
    }
  }
  const chainIds = shardChainIds()
  console.log(`deploying the L1 contracts for shards ${chainIds.join(', ')} …`)
  const genesisLock = genesisEthSupply(genesisSpec)
  const deployer = client.account.address
  const balance = await client.getBalance({ address: deployer })
  await client.request({
    method: 'anvil_setBalance',
    params: [deployer, toHex(balance + genesisLock * BigInt(chainIds.length))],
  })
  const d = await deployL1(client, {
    chainIds,
    batcher: batcher.address,
    genesisLock,
  })
  console.log(
    `staking the three verifier operators (${operators.map((o) => o.address).join(', ')}) …`,
  )
  await stakeOperators(
    createWalletClient({ account: stakeFunder, chain: client.chain, transport: http(rpcUrl) }),
    { token: d.dac.token, staking: d.verifiers.staking },
    operators.map((o) => o.address),
    DEVNET_STAKE,
  )
  // The operators' votes in the DAC: dev accounts 5, 6 and 7 delegate their 500,000 EDGE each to
  // operators 0, 1 and 2, whose nodes then propose, vote, queue and execute the uphold of a challenge
  // of a root they disagree with and vote against one of a root they computed (any two are the 10 %
  // quorum); a holder takes its votes back with `delegate(itself)`.
  for (const [i, operator] of operators.entries()) {
    const holder = mnemonicToAccount(mnemonic, { addressIndex: 5 + i })
    const hash = await createWalletClient({
      account: holder,
      chain: client.chain,
      transport: http(rpcUrl),
    }).writeContract({
      chain: client.chain ?? null,
      address: d.dac.token,
      abi: dacTokenAbi,
      functionName: 'delegate',
      args: [operator.address],
      // Vote checkpoints take a fresh slot when the block lands a second after the estimate's:
      // an estimated limit ran out once (devnet.restart in a CI dry run).
      gas: 300_000n,
    })
    const receipt = await client.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`delegation to ${operator.address} reverted`)
  }
  // genesisLock (wei, decimal) marks a devnet whose portals back the genesis ETH; the node ignores it.
  const config = {
    ...toL1Config(d, rpcUrl, { sequencing: 'pool' }),
    genesisLock: String(genesisLock),
  }
  writeFileSync(file, JSON.stringify(config, null, 2))
  return config
}

/**
 * The L1 state file to load: `file`, or, when a crash cut its last dump short (not JSON), the copy
 * kept at the previous start (`file`.bak), the one that loaded then. Returns `file`.
 */
function recoverL1State(file) {
  if (!existsSync(file)) return file
  try {
    JSON.parse(readFileSync(file, 'utf8'))
    copyFileSync(file, `${file}.bak`)
  } catch {
    if (!existsSync(`${file}.bak`)) return file
    console.error(`${file} is cut short (a crash mid-dump): loading the copy from the last start`)
    copyFileSync(`${file}.bak`, file)
  }
  return file
}

/** The shard chain ids from wrangler.toml's SHARDS var. */
function shardChainIds() {
  const toml = readFileSync(path.join(root, 'wrangler.toml'), 'utf8')
  const m = /^SHARDS\s*=\s*'(.*)'\s*$/m.exec(toml)
  return m ? JSON.parse(m[1]).map((s) => s.chainId) : [901]
}

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

/**
 * Who sequences each shard now, as the SequencerPool on L1 states it (`readPoolView`: the epoch, the
 * holder and the URL it published), and each operator's bonded stake (VerifierStaking) and published
 * URL. Waits up to 20 s for every shard to have a holder and every operator's node to have published
 * its URL (each does so in its first L1 round); the reason, when L1 could not be read.
 */
async function readSequencing(config) {
  const shard = Object.values(config.shards)[0]
  const client = createPublicClient({ transport: http(config.rpcUrl) })
  const at = {
    pool: shard.sequencerPool,
    multicall3: config.multicall3,
    chainIds: Object.keys(config.shards).map(Number),
  }
  const read = (address, abi, functionName, args) =>
    readContract(client, { address, abi, functionName, args })
  const deadline = Date.now() + 20_000
  try {
    for (;;) {
      const view = await readPoolView(client, at)
      const stakes = await Promise.all(
        operators.map(async (o) => ({
          bonded: await read(shard.verifierStaking, verifierStakingAbi, 'bondedOf', [o.address]),
          url: await read(shard.sequencerPool, sequencerPoolAbi, 'urlOf', [o.address]),
        })),
      )
      const settled =
        view.shards.every((s) => s.current.sequencer !== zeroAddress) &&
        stakes.every((s) => s.url !== '')
      if (settled || Date.now() > deadline) return { view, stakes }
      await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
  } catch (err) {
    return (err instanceof Error ? (err.shortMessage ?? err.message) : String(err)).split('\n')[0]
  }
}

function summary(url, chains, peers, sequencing) {
  const nodes = [
    { url, state: stateName },
    ...peers.map((p, i) => ({ url: p.url, state: `${stateName}peer-${i + 1}/` })),
  ]
  const ok = typeof sequencing === 'object'
  const whose = (address) => {
    const i = operators.findIndex(
      (o) => address && o.address.toLowerCase() === address.toLowerCase(),
    )
    return i < 0 ? address : `operator ${i + 1} (${address})`
  }
  const lines = [
    '',
    'edge-l2 devnet is up',
    '',
    '  operators (staked verifiers; each runs a node, and they take turns sequencing as the',
    '  SequencerPool on L1 schedules them)',
  ]
  nodes.forEach((n, i) => {
    const o = operators[i]
    if (!o)
      return lines.push(
        `    node ${i + 1}      ${n.url}  no key: derives, follows, forwards  (state ${n.state})`,
      )
    const stake = ok
      ? `${Number(formatEther(sequencing.stakes[i].bonded)).toLocaleString('en-US')} EDGE staked`
      : 'stake unread'
    const published =
      ok && sequencing.stakes[i].url !== n.url ? ', URL not yet published on L1' : ''
    lines.push(`    ${i + 1}  ${o.address}  ${n.url}  ${stake}${published}  (state ${n.state})`)
  })
  if (ok) {
    const v = sequencing.view
    lines.push(
      '',
      `  sequencing now (pool ${v.pool}, epoch ${v.epoch}: L1 blocks ${v.epochStart} to ${BigInt(v.nextEpochStart) - 1n}; the turn moves every epoch)`,
    )
    for (const s of v.shards)
      lines.push(
        s.current.sequencer === zeroAddress
          ? `    shard ${s.chainId}  nobody yet (no active operator in the epoch's order)`
          : `    shard ${s.chainId}  ${whose(s.current.sequencer)}  ${s.current.url || '(no URL published yet)'}`,
      )
  } else {
    lines.push('', `  sequencing now: the SequencerPool could not be read (${sequencing})`)
  }
  lines.push(
    '',
    "  Any node's URL reaches the sequencer: every node forwards writes to whoever holds the turn and",
    '  serves reads itself. GET /health, GET /chains, GET /network (the schedule) on each.',
    '',
  )
  lines.push(`  state     ${stateName}  (npm start -- --reset wipes it)`)
  const first = Array.isArray(chains) ? chains[0] : undefined
  if (first?.l1)
    lines.push(
      `  L1        ${first.l1.rpcUrl}  chain ${first.l1.chainId}, multicall3 ${first.l1.multicall3}`,
    )
  if (first?.l1?.governor)
    lines.push(
      `  DAC       governor ${first.l1.governor}, timelock ${first.l1.timelock} (owns every L1 contract),`,
      `            token ${first.l1.token}, mining vault ${first.l1.miningVault}; npm run gov -- status`,
    )
  lines.push('', '  L2 shards')
  if (Array.isArray(chains)) {
    for (const c of chains) {
      lines.push(`    ${String(c.chainId).padEnd(8)} ${c.name}`)
      lines.push(`             rpc ${c.rpcUrl}`, `             ws  ${c.wsUrl}`)
      if (c.viem) lines.push(`             viem chain: ${JSON.stringify(c.viem)}`)
    }
    if (chains.length > 0) lines.push(`    (the first shard is also served at ${url}/)`)
  } else {
    lines.push(`    GET /chains failed: ${chains}`)
  }
  lines.push(
    '',
    `  dev accounts (mnemonic "${mnemonic}"); on L1, (8) is the batcher and (9) staked the verifiers;`,
    `  each holds 500,000 EDGE (self-delegated; 5, 6, 7 delegated to the three operators, whose nodes`,
    `  vote on challenges by themselves): a proposal passes in about 40 s`,
  )
  for (let i = 0; i < 10; i++) {
    const account = mnemonicToAccount(mnemonic, { addressIndex: i })
    lines.push(`    (${i}) ${account.address}  ${toHex(account.getHdKey().privateKey)}`)
  }
  lines.push('', 'Ctrl-C stops the devnet.', '')
  return lines.join('\n')
}
