import { createPublicClient, http, type Hex } from 'viem'
import { POOL_CHAIN_ID, startPoolDevnet, steadyLoad } from '../test/e2e/pool.fixtures.js'
import { devAccount } from '../test/e2e/l1.fixtures.js'

/**
 * The sequencer pool's failover figure of `npm run bench` (issue 13), on a pool devnet with
 * `npm start`'s sequencing parameters (contracts/params/devnet.json: 20-block epochs, a skip after 8
 * silent L1 blocks) and the test timings of `startPoolDevnet`: under a steady load of transfers
 * through a keyless peer, the node holding the turn is SIGKILLed early in its epoch (so the takeover
 * comes from `skip`, not the epoch's end); measured is the time to the first block of the next
 * sequencer as the peer serves it, and how many transactions the peer acknowledged before the kill
 * are never mined (must be 0). `rounds` kills in a row, each on a fresh holder.
 */
export async function measureFailover(rounds: number) {
  const d = await startPoolDevnet()
  const peer = createPublicClient({
    // Batches within the node's RPC_MAX_BATCH (100): a larger one is refused whole.
    transport: http(`${d.peer.url}/chain/${POOL_CHAIN_ID}`, { batch: { batchSize: 50 } }),
  })
  const results: { ms: number; acked: number; lost: number }[] = []
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  try {
    while ((await peer.getBlockNumber().catch(() => 0n)) < 3n) await sleep(500)
    const senders = [1, 2, 3]
    const firstNonces = new Map<number, number>()
    for (const i of senders)
      firstNonces.set(
        i,
        await peer.getTransactionCount({ address: devAccount(i).address, blockTag: 'pending' }),
      )
    const load = steadyLoad(() => d.peer.url, { senders, intervalMs: 200, firstNonces })
    for (let r = 0; r < rounds; r++) {
      // A live holder with at least 12 L1 blocks of its epoch ahead.
      let killed = -1
      for (;;) {
        const [i, turn, head] = await Promise.all([
          d.holderIndex(),
          d.turn(),
          d.l1.getBlockNumber(),
        ])
        if (i >= 0 && d.nodes[i] && head + 12n < turn.nextEpochStart) {
          killed = i
          break
        }
        await sleep(250)
      }
      await sleep(2_000)
      const before = new Set(await Promise.all(recentHashes(peer, 8)))
      await d.nodes[killed]!.stop('SIGKILL')
      const killedAt = Date.now()
      const ackedBeforeKill = [...load.acked]
      d.nodes[killed] = undefined
      for (const h of await Promise.all(recentHashes(peer, 3))) before.add(h)
      const killedAddress = d.operators[killed].address.toLowerCase()
      let ms = 0
      for (;;) {
        const { holder } = await d.turn()
        const latest = await peer.getBlock({ blockTag: 'latest' })
        if (holder.toLowerCase() !== killedAddress && !before.has(latest.hash)) {
          ms = Date.now() - killedAt
          break
        }
        if (Date.now() - killedAt > 180_000) throw new Error('no failover in 3 minutes')
        await sleep(100)
      }
      // Every hash acknowledged before the kill: mined within two minutes, or lost.
      let missing = ackedBeforeKill
      for (const until = Date.now() + 120_000; missing.length > 0 && Date.now() < until;) {
        const found = await Promise.all(
          missing.map((hash) =>
            peer.getTransactionReceipt({ hash }).then(
              () => true,
              () => false,
            ),
          ),
        )
        missing = missing.filter((_, i) => !found[i])
        if (missing.length) await sleep(1_000)
      }
      results.push({ ms, acked: ackedBeforeKill.length, lost: missing.length })
      console.error(
        `[failover] round ${r + 1}: ${ms} ms to the next sequencer's first block; ${missing.length} of ${ackedBeforeKill.length} acknowledged transactions lost`,
      )
      await d.startNode(killed)
    }
    await load.stop()
    return results
  } finally {
    await d.stop()
  }
}

/** Hashes of the peer's newest `n` blocks. */
function recentHashes(
  peer: {
    getBlockNumber(): Promise<bigint>
    getBlock(a: { blockNumber: bigint }): Promise<{ hash: Hex }>
  },
  n: number,
): Promise<Hex>[] {
  const head = peer.getBlockNumber()
  return Array.from({ length: n }, (_, i) =>
    head
      .then((h) =>
        h - BigInt(i) >= 0n ? peer.getBlock({ blockNumber: h - BigInt(i) }) : undefined,
      )
      .then((b) => b?.hash ?? ('0x' as Hex)),
  )
}
