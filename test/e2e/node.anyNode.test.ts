import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { HDNodeWallet, JsonRpcProvider } from 'ethers'
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Address,
  type Hex,
  parseEther,
  type PublicClient,
} from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { devAccount } from './l1.fixtures.js'
import { MNEMONIC } from './node.fixtures.js'
import { l2Rpc, POOL_CHAIN_ID, usePoolDevnet } from './pool.fixtures.js'
import { foundryTool } from './processes.js'

/**
 * Any node answers as the sequencer would (DESIGN.md invariant 9, issue 23): on the pool devnet (three
 * operators' nodes and a keyless peer, the sequencing turn moving every epoch of 20 L1 blocks), a
 * wallet with its library's default nonce handling (`eth_getTransactionCount(addr, "pending")` before
 * each send, no waiting for receipts) sends through every node, across handovers, and nothing is
 * refused; a replacement through a node that is not sequencing follows geth's rules. The wallets:
 * viem's wallet client, ethers' Wallet, and Foundry's `cast send` (a process per send, the native
 * binary of `@foundry-rs/cast`, which waits for each receipt).
 */
const SEQUENCING = { epochLength: 20n, maxSilence: 6n, sequencingWindow: 16n }
const d = usePoolDevnet({ sequencing: SEQUENCING })

const SENDS = 50
/** Between two sends of one wallet: 50 of them then span more than two 20 s epochs. */
const PACE_MS = 1_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const l2 = defineChain({
  id: POOL_CHAIN_ID,
  name: 'pool shard',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [] } },
})
const rpcOf = (nodeUrl: string) => `${nodeUrl}/chain/${POOL_CHAIN_ID}`
const client = (nodeUrl: string) =>
  createPublicClient({ chain: l2, transport: http(rpcOf(nodeUrl)) }) as PublicClient
const allUrls = () => [...d.nodes.map((n) => n!.url), d.peer.url]

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(500)
  }
}

/** One wallet's run: what it sent (hash, nonce), what was refused, what the node answered wrongly. */
type Run = {
  name: string
  sent: { hash: Hex; nonce: number }[]
  refused: string[]
  wrong: string[]
}

/**
 * A wallet sends transfers through `nodeUrl` one after another, `PACE_MS` apart, until it has sent
 * SENDS and `more()` is false; after each, the same node must know it: its pending nonce is the next
 * one, and eth_getTransactionByHash returns it (pending or mined).
 */
async function walletRun(
  name: string,
  nodeUrl: string,
  from: Address,
  send: () => Promise<Hex>,
  more: () => boolean,
): Promise<Run> {
  const run: Run = { name, sent: [], refused: [], wrong: [] }
  const node = client(nodeUrl)
  while (run.sent.length < SENDS || more()) {
    let hash: Hex
    try {
      hash = (await send()).toLowerCase() as Hex
    } catch (err) {
      run.refused.push(String((err as Error).message).split('\n')[0])
      await sleep(PACE_MS)
      continue
    }
    const [tx, pending] = await Promise.all([
      node.getTransaction({ hash }).catch(() => null),
      node.getTransactionCount({ address: from, blockTag: 'pending' }),
    ])
    if (!tx) run.wrong.push(`${hash}: eth_getTransactionByHash null right after the send`)
    else {
      run.sent.push({ hash, nonce: tx.nonce })
      if (pending !== tx.nonce + 1)
        run.wrong.push(`${hash}: nonce ${tx.nonce}, then pending nonce ${pending}`)
    }
    await sleep(PACE_MS)
  }
  return run
}

function viemRun(nodeUrl: string, account: number, more: () => boolean) {
  const wallet = createWalletClient({
    account: devAccount(account),
    chain: l2,
    transport: http(rpcOf(nodeUrl)),
  })
  const to = devAccount(19).address
  return walletRun(
    `viem via ${nodeUrl}`,
    nodeUrl,
    wallet.account.address,
    () => wallet.sendTransaction({ to, value: 1n }),
    more,
  )
}

function ethersRun(nodeUrl: string, account: number, more: () => boolean) {
  const provider = new JsonRpcProvider(rpcOf(nodeUrl), POOL_CHAIN_ID, { staticNetwork: true })
  const wallet = HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${account}`).connect(
    provider,
  )
  const to = devAccount(19).address
  return walletRun(
    `ethers via ${nodeUrl}`,
    nodeUrl,
    wallet.address as Address,
    async () => (await wallet.sendTransaction({ to, value: 1n })).hash as Hex,
    more,
  ).finally(() => provider.destroy())
}

const run = promisify(execFile)
/** The accounts cast sends from: past the genesis' ten dev accounts, funded by dev 9 first. */
const CAST_FIRST_INDEX = 10
const castAccount = (i: number) =>
  mnemonicToAccount(MNEMONIC, { addressIndex: CAST_FIRST_INDEX + i })

function castRun(nodeUrl: string, i: number, more: () => boolean) {
  const [exe, ...pre] = foundryTool('cast')
  const to = devAccount(19).address
  return walletRun(
    `cast via ${nodeUrl}`,
    nodeUrl,
    castAccount(i).address,
    async () => {
      // cast as people use it: the key, the node and the transfer; it waits for the receipt. (cast
      // takes its nonce at "latest", so `--async` sends in a row reuse a nonce on any chain whose
      // blocks are not instant, geth's included: checked by hand, refused as geth refuses them.)
      const { stdout } = await run(exe, [
        ...pre,
        'send',
        '--json',
        '--rpc-url',
        rpcOf(nodeUrl),
        '--mnemonic',
        MNEMONIC,
        '--mnemonic-index',
        String(CAST_FIRST_INDEX + i),
        '--value',
        '1',
        to,
      ])
      const { transactionHash, status } = JSON.parse(stdout) as {
        transactionHash: Hex
        status: Hex
      }
      if (status !== '0x1') throw new Error(`cast's transfer ${transactionHash} failed`)
      return transactionHash
    },
    more,
  )
}

/** The error a node answers eth_sendRawTransaction of `raw` with (its code and message). */
async function refusalOf(nodeUrl: string, raw: Hex) {
  const err = await l2Rpc(nodeUrl, 'eth_sendRawTransaction', [raw]).then(
    () => undefined,
    (e: Error & { code: number }) => e,
  )
  return err && { code: err.code, message: err.message }
}

/** Every block 1..`to` of a node: hash and transactions. */
async function blocksOf(nodeUrl: string, to: bigint) {
  const c = client(nodeUrl)
  return Promise.all(
    Array.from({ length: Number(to) }, (_, i) => c.getBlock({ blockNumber: BigInt(i + 1) })),
  )
}

describe('any node answers as the sequencer would', () => {
  it("wallets with viem's, ethers' and cast's default nonce handling send 50 transfers in a row through every node across two handovers: none refused, each node knows each one while pending, every hash mined once, the same blocks everywhere", async () => {
    await waitFor(
      'the first blocks on the peer',
      async () => (await client(d.peer.url).getBlockNumber()) > 2n,
      120_000,
    )
    // Until the turn has changed hands twice (each draw is stake-weighted: a holder may be drawn again).
    const holders: Address[] = []
    let watching = true
    const watch = (async () => {
      while (watching) {
        const { holder } = await d.turn().catch(() => ({ holder: undefined }))
        if (holder && holders.at(-1) !== holder) holders.push(holder)
        await sleep(500)
      }
    })()
    const more = () => holders.length < 3
    const urls = allUrls()
    // cast's accounts (one per node) get their ETH from dev 9 first.
    const funder = createWalletClient({
      account: devAccount(9),
      chain: l2,
      transport: http(rpcOf(urls[0])),
    })
    const fundings: Hex[] = []
    for (let i = 0; i < urls.length; i++)
      fundings.push(
        await funder.sendTransaction({ to: castAccount(i).address, value: parseEther('1') }),
      )
    for (const hash of fundings)
      await waitFor(
        `cast's funding ${hash}`,
        () => client(urls[0]).getTransactionReceipt({ hash }),
        60_000,
      )
    const runs = await Promise.all(
      urls.flatMap((url, i) => [
        viemRun(url, 1 + 2 * i, more),
        ethersRun(url, 2 + 2 * i, more),
        castRun(url, i, more),
      ]),
    )
    watching = false
    await watch
    expect(holders.length).toBeGreaterThanOrEqual(3)
    for (const run of runs) {
      expect(run.refused, run.name).toEqual([])
      expect(run.wrong, run.name).toEqual([])
      expect(run.sent.length, run.name).toBeGreaterThanOrEqual(SENDS)
      // The wallet's nonces are consecutive: none was reused or skipped.
      const nonces = run.sent.map((s) => s.nonce)
      expect(nonces, run.name).toEqual(nonces.map((_, i) => nonces[0] + i))
    }
    const hashes = runs.flatMap((r) => r.sent.map((s) => s.hash))

    // Mined, on every node, with a successful receipt.
    let lastMined = 0n
    for (const url of urls) {
      const c = client(url)
      await waitFor(
        `${hashes.length} receipts on ${url}`,
        async () => {
          const receipts = await Promise.all(
            hashes.map((hash) => c.getTransactionReceipt({ hash }).catch(() => undefined)),
          )
          if (receipts.some((r) => !r || r.status !== 'success')) return false
          for (const r of receipts) if (r!.blockNumber > lastMined) lastMined = r!.blockNumber
          return true
        },
        120_000,
      )
    }
    // Once L1 has them (safe everywhere), every node has the same blocks, and each hash is in one.
    await waitFor(
      `every node safe past block ${lastMined}`,
      async () => {
        for (const url of urls)
          if ((await client(url).getBlock({ blockTag: 'safe' })).number! < lastMined) return false
        return true
      },
      120_000,
    )
    const chains = await Promise.all(urls.map((url) => blocksOf(url, lastMined)))
    for (const chain of chains.slice(1))
      expect(chain.map((b) => b.hash)).toEqual(chains[0].map((b) => b.hash))
    const seen = new Map<Hex, number>()
    for (const b of chains[0]) for (const h of b.transactions) seen.set(h, (seen.get(h) ?? 0) + 1)
    for (const h of hashes) expect(seen.get(h), h).toBe(1)
  }, 480_000)

  it('a replacement through a node that is not sequencing: underpriced is refused as geth refuses it (-32000), a 10% bump replaces, only the replacement is mined; eth_sendRawTransactionSync returns the receipt', async () => {
    const holder = await d.holderIndex()
    const others = [...d.nodes.flatMap((n, i) => (n && i !== holder ? [n.url] : [])), d.peer.url]
    const account = devAccount(0)
    const to = devAccount(19).address
    let expected = await client(d.peer.url).getTransactionCount({ address: account.address })
    for (const url of others) {
      const node = client(url)
      // This node has the blocks of the previous round (sent through another node) first.
      await waitFor(
        `nonce ${expected} on ${url}`,
        async () => (await node.getTransactionCount({ address: account.address })) === expected,
        60_000,
      )
      const next = await node.getTransactionCount({ address: account.address, blockTag: 'pending' })
      expect(next).toBe(expected)
      expected = next + 2
      // Nonce next + 1 first: it waits (queued) behind the gap, so it can be replaced.
      const sign = (
        maxFeePerGas: bigint,
        maxPriorityFeePerGas: bigint,
        value: bigint,
        nonce = next + 1,
      ) =>
        account.signTransaction!({
          chainId: POOL_CHAIN_ID,
          type: 'eip1559',
          to,
          value,
          nonce,
          gas: 21_000n,
          maxFeePerGas,
          maxPriorityFeePerGas,
        })
      const first = await sign(50_000_000_000n, 1_000_000_000n, 1n)
      const firstHash = await l2Rpc<Hex>(url, 'eth_sendRawTransaction', [first])
      expect(await node.getTransaction({ hash: firstHash })).toMatchObject({
        blockHash: null,
        nonce: next + 1,
      })
      const again = await refusalOf(url, first)
      expect(again).toEqual({
        code: -32000,
        message: 'already known',
      })
      // 9% more on both caps: not enough.
      const under = await sign(54_500_000_000n, 1_090_000_000n, 2n)
      const refused = await refusalOf(url, under)
      expect(refused).toEqual({
        code: -32000,
        message: 'replacement transaction underpriced',
      })
      // 10% more on both: it replaces the first.
      const bumped = await sign(55_000_000_000n, 1_100_000_000n, 3n)
      const bumpedHash = await l2Rpc<Hex>(url, 'eth_sendRawTransaction', [bumped])
      expect(await node.getTransaction({ hash: firstHash }).catch(() => null)).toBeNull()
      expect(await node.getTransaction({ hash: bumpedHash })).toMatchObject({ blockHash: null })
      // The node's txpool shows it as the sequencer's would: queued behind the gap, alone.
      const content = await l2Rpc<{ queued: Record<string, Record<string, { hash: Hex }>> }>(
        url,
        'txpool_content',
        [],
      )
      expect(content.queued[account.address.toLowerCase()]).toEqual({
        [String(next + 1)]: expect.objectContaining({ hash: bumpedHash }),
      })
      // The gap filled synchronously: the receipt comes back from this node.
      const gap = await sign(50_000_000_000n, 1_000_000_000n, 4n, next)
      const receipt = await l2Rpc<{ status: Hex; transactionHash: Hex }>(
        url,
        'eth_sendRawTransactionSync',
        [gap],
      )
      expect(receipt.status).toBe('0x1')
      expect(await node.getTransactionReceipt({ hash: receipt.transactionHash })).toMatchObject({
        status: 'success',
      })
      const mined = await waitFor(
        `the replacement mined on ${url}`,
        () => node.getTransactionReceipt({ hash: bumpedHash }),
        60_000,
      )
      expect(mined.status).toBe('success')
      expect(await node.getTransactionCount({ address: account.address })).toBe(next + 2)
      expect(await node.getTransactionReceipt({ hash: firstHash }).catch(() => null)).toBeNull()
      for (const other of allUrls())
        expect(
          await client(other)
            .getTransaction({ hash: firstHash })
            .catch(() => null),
          other,
        ).toBeNull()
    }
  }, 240_000)
})
