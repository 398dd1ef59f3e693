import type { DetailViews } from './detail.js'
import type { Child, Doc, Win } from './dom.js'
import type { HomeViews } from './home.js'
import type { Kit } from './kit.js'
import type { NetworkViews } from './network.js'
import type { NodeApi } from './node.js'
import type { Block, PageState, RollupEvent } from './state.js'
import type { WithdrawalView } from './withdrawal.js'

declare const document: Doc
declare const window: Win

/** The views `startStatus` paints with. */
export type Views = {
  home: HomeViews
  net: NetworkViews
  detail: DetailViews
  withdrawal: WithdrawalView
}

/**
 * The status page's live loop in the browser: reads the heads, the last blocks and GET /chains
 * once, then follows newHeads and edge_rollup on the shard's websocket and polls GET /network every
 * 4 s (the node caches it for 2 s), repainting the sections from `PageState`. Hash routes
 * (#/block/N, #/tx/HASH, #/withdrawal/HASH) show a detail view instead of the overview. Every
 * failure is shown on the page, none thrown. Self-contained (shipped with `toString`).
 */
export function startStatus(k: Kit, node: NodeApi, v: Views, keep: number) {
  const s: PageState = {
    origin: window.location.origin,
    heads: {},
    blocks: new Map(),
    batches: new Map(),
    outputTimes: new Map(),
    outputTxs: new Map(),
    events: [],
    live: false,
  }
  const $ = (id: string) => document.getElementById(id)
  const put = (id: string, content: Child) => $(id)?.replaceChildren(k.el('div', null, content))
  const notice = (text: string) => put('notice', text ? k.el('p', { class: 'error' }, text) : null)
  const safely = (what: string, job: () => Promise<unknown>) =>
    job().catch((err: Error) => notice(`${what}: ${err.message}`))

  function paint(): void {
    put('heads-body', v.home.heads(s))
    put('charts-body', [...v.home.blockCharts(s), v.net.finalityChart(s)])
    put('blocks-body', v.home.blocks(s))
    put('txs-body', v.home.txs(s))
    put('batches-body', v.home.batches(s))
    put('outputs-body', v.net.outputs(s))
    put('verifiers-body', v.net.verifiers(s))
    put('pool-body', v.net.pool(s))
    put('events-body', v.net.events(s))
    const dot = $('live')
    if (dot) {
      dot.className = s.live ? 'live on' : 'live'
      dot.textContent = s.live ? 'live' : 'connecting …'
    }
  }

  function keepBlock(b: Block): void {
    s.blocks.set(Number(k.big(b.number)), b)
    const numbers = [...s.blocks.keys()].sort((a, b) => a - b)
    for (const n of numbers.slice(0, Math.max(0, numbers.length - keep))) s.blocks.delete(n)
  }

  /** The three heads (full blocks), the L1 block the node read up to, batches of new safe blocks. */
  async function readHeads(): Promise<void> {
    const tags = ['latest', 'safe', 'finalized'] as const
    const answers = await node.batch<any>([
      ...tags.map((t): [string, unknown[]] => ['eth_getBlockByNumber', [t, true]]),
      ['optimism_syncStatus', []],
    ])
    tags.forEach((t, i) => (s.heads[t] = (answers[i] as Block | null) ?? s.heads[t]))
    s.l1Seen = answers[3]?.head_l1?.number ?? s.l1Seen
    if (s.heads.latest) keepBlock(s.heads.latest)
    const safe = Number(k.big(s.heads.safe?.number))
    const covered = (n: number) =>
      [...s.batches.values()].some((b) => Number(b.firstBlock) <= n && n <= Number(b.lastBlock))
    const ask = [...s.blocks.keys()].filter((n) => n <= safe && !covered(n)).slice(-20)
    const found = await node.batch<any>(
      ask.map((n) => ['edge_getBatchByBlock', [`0x${n.toString(16)}`]]),
    )
    for (const b of found) if (b) s.batches.set(Number(b.firstBlock), b)
  }

  /** The blocks before the latest, up to `keep`, in batches of 100 calls. */
  async function readRecent(): Promise<void> {
    const top = Number(k.big(s.heads.latest?.number))
    const want: number[] = []
    for (let n = top - 1; n >= 0 && n > top - keep; n--) if (!s.blocks.has(n)) want.push(n)
    for (let i = 0; i < want.length; i += 100) {
      const got = await node.batch<any>(
        want.slice(i, i + 100).map((n) => ['eth_getBlockByNumber', [`0x${n.toString(16)}`, true]]),
      )
      for (const b of got) if (b) keepBlock(b)
    }
  }

  /** GET /network, then the L2 times of its outputs' blocks (for time to finality). */
  async function readNetwork(): Promise<void> {
    const { body } = await node.get('/network')
    s.network = body
    const shard = 'shards' in body ? body.shards.find((x: any) => x.chainId === node.chainId) : null
    const missing: number[] = (shard?.outputs ?? [])
      .map((o: { l2BlockNumber: string }) => Number(o.l2BlockNumber))
      .filter((n: number) => !s.outputTimes.has(n))
    const got = await node.batch<any>(
      missing.map((n) => ['eth_getBlockByNumber', [`0x${n.toString(16)}`, false]]),
    )
    got.forEach((b, i) => b && s.outputTimes.set(missing[i], Number(k.big(b.timestamp))))
  }

  function onRollup(e: RollupEvent): void {
    s.events.unshift(e)
    s.events.length = Math.min(s.events.length, 30)
    if (e.l1Tx && e.l2BlockNumber && (e.type === 'outputProposed' || e.type === 'outputAccepted'))
      s.outputTxs.set(Number(k.big(e.l2BlockNumber)), e.l1Tx)
    paint()
  }

  async function onHead(head: { number: string }): Promise<void> {
    const b = await node.rpc<Block | null>('eth_getBlockByNumber', [head.number, true])
    if (b) keepBlock(b)
    await readHeads()
    paint()
  }

  /** Shows the overview or the detail view the hash names. */
  async function route(): Promise<void> {
    const [, kind, arg] = window.location.hash.match(/^#\/(block|tx|withdrawal)\/(\w+)$/) ?? []
    const home = $('home')
    const detail = $('detail')
    if (!home || !detail) return
    home.hidden = Boolean(kind)
    detail.hidden = !kind
    if (!kind) return
    detail.replaceChildren(k.el('p', { class: 'muted' }, 'loading …'))
    const back = k.el('p', null, k.link('#/', '← overview'))
    const body =
      kind === 'block'
        ? await v.detail.block(s, arg)
        : kind === 'tx'
          ? await v.detail.tx(s, arg)
          : await v.withdrawal.lookup(s, arg)
    detail.replaceChildren(back, k.el('div', { class: 'view' }, body))
  }

  $('wd-form')?.addEventListener('submit', (e) => {
    e.preventDefault()
    const hash = ($('wd-hash')?.value ?? '').trim()
    if (/^0x[0-9a-fA-F]{64}$/.test(hash)) window.location.hash = `#/withdrawal/${hash}`
    else notice('a transaction hash is 0x and 64 hex digits')
  })
  window.addEventListener('hashchange', () => void safely('view', route))
  setInterval(() => {
    for (const t of document.querySelectorAll('time[data-ts]'))
      t.textContent = k.age(Number(t.dataset.ts))
  }, 1_000)

  node.subscribe('newHeads', (h) => void safely('new head', () => onHead(h)))
  node.subscribe('edge_rollup', onRollup)
  node.start((live) => {
    s.live = live
    paint()
    if (live) void safely('heads', readHeads).then(paint)
  })
  void safely('chains', async () => {
    const { body } = await node.get<any[]>('/chains')
    s.chain = body.find((c) => c.chainId === node.chainId)
    paint()
  })
  void safely('blocks', async () => {
    await readHeads()
    paint()
    await readRecent()
    paint()
  })
  const poll = () =>
    void safely('GET /network', readNetwork)
      .then(paint)
      .finally(() => setTimeout(poll, 4_000))
  poll()
  void safely('view', route)
}
