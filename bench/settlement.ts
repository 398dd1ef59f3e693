import { createPublicClient, http, parseAbiItem, parseEther } from 'viem'
import { devnetOperator } from '../scripts/devnet-verifiers.js'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import {
  bridgeClients,
  readBatches,
  startBridgeDevnet,
  type BridgeDevnet,
} from '../test/e2e/bridge.fixtures.js'
import { accounts, createTarget, erc20Throughput, setupToken } from './workloads.js'

/**
 * The settlement figures of `npm run bench`, on a devnet with `npm start`'s settings (anvil a block
 * a second, wrangler.toml's L1 confirmations, poll and block time, deployL1's devnet submission
 * interval and finalization period) with three staked verifier nodes attesting every output (the
 * sequencer's and two peers'): seconds from initiateWithdrawal to the funds on L1, driven by viem's
 * op-stack actions (the output reaches the oracle by 2/3 attestation, then the finalization period),
 * the L1 gas the verifiers spend per output, and bytes of batch calldata per ERC20 transfer.
 */
export async function measureSettlement(transfers: number) {
  const d = await startBridgeDevnet({ devnetDefaults: true, operators: 3 })
  try {
    await Promise.all(
      [1, 2].map((i) => d.startPeer({ vars: { VERIFIER_KEY: devnetOperator(i).key } })),
    )
    return {
      withdrawalSeconds: await withdrawalSeconds(d),
      ...(await gasPerOutput(d)),
      ...(await bytesPerTransfer(d, transfers)),
    }
  } finally {
    await d.stop()
  }
}

async function withdrawalSeconds(d: BridgeDevnet): Promise<number> {
  const { l1, l2 } = bridgeClients(d, 4)
  const recipient = privateKeyToAccount(generatePrivateKey()).address
  // The oracle holds the genesis output from the start and the portal the genesis ETH: a dev
  // account withdraws right away, as a newcomer would.
  const t0 = performance.now()
  const hash = await l2.initiateWithdrawal({
    request: { gas: 21_000n, to: recipient, value: parseEther('0.1') },
  })
  const receipt = await l2.waitForTransactionReceipt({ hash, pollingInterval: 100 })
  const { output, withdrawal } = await l1.waitToProve({
    receipt,
    targetChain: d.l2Chain,
    pollingInterval: 250,
  })
  const args = await l2.buildProveWithdrawal({ output, withdrawal })
  await l1.waitForTransactionReceipt({ hash: await l1.proveWithdrawal(args), pollingInterval: 100 })
  await l1.waitToFinalize({ targetChain: d.l2Chain, withdrawalHash: withdrawal.withdrawalHash })
  const fin = await l1.finalizeWithdrawal({ targetChain: d.l2Chain, withdrawal })
  const done = await l1.waitForTransactionReceipt({ hash: fin, pollingInterval: 100 })
  const got = await l1.getBalance({ address: recipient })
  if (done.status !== 'success' || got !== parseEther('0.1'))
    throw new Error(
      `withdrawal did not arrive: finalize ${done.status}, balance ${got}, logs ${JSON.stringify(done.logs.map((l) => l.topics[0]))}`,
    )
  return (performance.now() - t0) / 1000
}

const attestedEvent = parseAbiItem(
  'event Attested(address indexed oracle, uint256 indexed l2BlockNumber, bytes32 indexed outputRoot, address verifier, uint256 stake)',
)

/**
 * L1 gas of the verifiers' attestations per output: the gas of every L1 transaction that carried an
 * attestation of an output the oracle accepted (each verifier posts its own, the one that completes
 * the 2/3 quorum also proposes), averaged over the outputs after the genesis one.
 */
async function gasPerOutput(d: BridgeDevnet) {
  const l1 = createPublicClient({ transport: http(d.l1Url) })
  const logs = await l1.getLogs({
    address: d.deployment.verifiers.quorum,
    event: attestedEvent,
    fromBlock: 0n,
  })
  const byOutput = new Map<bigint, Set<`0x${string}`>>()
  for (const log of logs) {
    const set = byOutput.get(log.args.l2BlockNumber!) ?? new Set()
    set.add(log.transactionHash!)
    byOutput.set(log.args.l2BlockNumber!, set)
  }
  let gas = 0n
  let txs = 0
  for (const hashes of byOutput.values())
    for (const hash of hashes) {
      gas += (await l1.getTransactionReceipt({ hash })).gasUsed
      txs++
    }
  const outputs = byOutput.size
  return {
    l1GasPerOutput: outputs ? Number(gas) / outputs : 0,
    attestationsPerOutput: outputs ? txs / outputs : 0,
    outputsMeasured: outputs,
  }
}

/** ERC20 transfers on L2, then the calldata of the batches that carry them per transfer. */
async function bytesPerTransfer(d: BridgeDevnet, total: number) {
  const t = createTarget('node', `${d.node.url}/chain/901`, 901)
  const senders = accounts(16)
  const token = await setupToken(t, senders)
  const from = (await t.client.getBlockNumber()) + 1n
  await erc20Throughput(t, token, senders, total, 16)
  const to = await t.client.getBlockNumber()
  const { l2Public } = bridgeClients(d, 0)
  for (let i = 0; i < 600; i++) {
    if ((await l2Public.getBlock({ blockTag: 'safe' })).number >= to) break
    await new Promise((r) => setTimeout(r, 250))
  }
  let bytes = 0
  let txs = 0
  for (const { batch, bytes: size } of await readBatches(d)) {
    if (batch.blocks[0].number < from || batch.blocks.at(-1)!.number > to) continue
    bytes += size
    txs += batch.blocks.reduce((n, b) => n + b.txs.length, 0)
  }
  return { bytesPerTransfer: bytes / txs, transfersMeasured: txs }
}
