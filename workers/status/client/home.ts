import type { Kit } from './kit.js'
import type { Block, PageState } from './state.js'

/** What `createHomeViews` returns. */
export type HomeViews = ReturnType<typeof createHomeViews>

/**
 * The chain half of the page: heads and role, charts, recent blocks, transactions and batches.
 * Each view renders from `PageState` alone. Self-contained (shipped with `toString`).
 */
export function createHomeViews(k: Kit) {
  const { el, link, num, short, ago, badge, table, big } = k

  /** Latest, safe and finalized with their age; the node's role; how far it is behind L1. */
  function heads(s: PageState) {
    const head = (name: string, note: string, b?: Block) =>
      el(
        'div',
        { class: 'head', 'data-head': name },
        el('div', { class: 'label' }, name),
        el(
          'div',
          { class: 'big' },
          b ? link(`#/block/${Number(big(b.number))}`, `#${num(b.number)}`) : '—',
        ),
        el('div', { class: 'muted' }, b ? ago(b.timestamp) : '', ' · ', note),
      )
    const net = s.network && 'l1Block' in s.network ? s.network : undefined
    const l1Head = net ? Number(net.l1Block) : undefined
    const behind = l1Head !== undefined && s.l1Seen !== undefined ? l1Head - s.l1Seen : undefined
    const c = s.chain
    // A verifier's node is the operator whose published pool URL is this page's origin.
    const turns = net?.sequencing?.shards.flatMap((x) => [x.current, x.next, ...x.schedule]) ?? []
    const operator = turns.find((t) => t.url.replace(/\/+$/, '') === s.origin)?.sequencer
    const verifier = net?.verifiers.find((x) => x.address === operator)
    return [
      el(
        'div',
        { class: 'heads' },
        head('latest', s.chain?.role === 'sequencer' ? 'sealed here' : 'live feed', s.heads.latest),
        head('safe', 'batch on L1', s.heads.safe),
        head('finalized', 'output final on L1', s.heads.finalized),
      ),
      el(
        'p',
        { class: 'role' },
        'This node: ',
        c?.role ? badge(c.role, c.role === 'sequencer' ? 'ok' : 'plain') : badge('…'),
        verifier
          ? [
              ' ',
              badge(
                `verifier ${short(verifier.address, 4)} · ${verifier.status}`,
                verifier.status === 'active' ? 'ok' : 'bad',
              ),
            ]
          : null,
        c?.sequencing ? [' ', badge(`${c.sequencing} sequencing`)] : null,
        c?.follows ? [' follows ', link(c.follows, c.follows)] : null,
        ' · L1 ',
        l1Head === undefined ? '—' : `#${l1Head.toLocaleString('en-US')}`,
        ', read up to ',
        s.l1Seen === undefined ? '—' : `#${s.l1Seen.toLocaleString('en-US')}`,
        behind === undefined
          ? null
          : [' ', badge(`${Math.max(0, behind)} L1 blocks behind`, behind > 5 ? 'warn' : 'ok')],
      ),
    ]
  }

  /** Blocks oldest first, at most `n`. */
  const recent = (s: PageState, n: number) =>
    [...s.blocks.values()].sort((a, b) => Number(big(a.number) - big(b.number))).slice(-n)

  /** Gas used and transactions per block over the kept blocks. */
  function blockCharts(s: PageState) {
    const bs = recent(s, 60)
    const titles = bs.map((b) => `block ${num(b.number)}`)
    return [
      k.bars(
        'gas used per block',
        bs.map((b) => Number(big(b.gasUsed))),
        'gas',
        bs.map((b, i) => `${titles[i]}: ${num(b.gasUsed)} gas`),
      ),
      k.bars(
        'transactions per block',
        bs.map((b) => b.transactions.length),
        'txs',
        bs.map((b, i) => `${titles[i]}: ${b.transactions.length} txs`),
      ),
    ]
  }

  /** The last blocks, newest first. */
  function blocks(s: PageState) {
    const rows = recent(s, 12)
      .reverse()
      .map((b) => [
        link(`#/block/${Number(big(b.number))}`, num(b.number)),
        ago(b.timestamp),
        String(b.transactions.length),
        `${num(b.gasUsed)}`,
        el('span', { class: 'mono' }, short(b.hash)),
      ])
    return table(['block', 'age', 'txs', 'gas used', 'hash'], rows)
  }

  /** The last transactions (deposits included), newest first. */
  function txs(s: PageState) {
    const rows = recent(s, s.blocks.size)
      .reverse()
      .flatMap((b) => [...b.transactions].reverse().map((t) => ({ t, b })))
      .slice(0, 12)
      .map(({ t, b }) => [
        link(`#/tx/${t.hash}`, el('span', { class: 'mono' }, short(t.hash))),
        link(`#/block/${Number(big(b.number))}`, num(b.number)),
        el('span', { class: 'mono' }, short(t.from, 4)),
        el('span', { class: 'mono' }, t.to ? short(t.to, 4) : 'create'),
        (t.type as string) === '0x7e' ? badge('deposit') : k.units(t.value, 'ETH'),
      ])
    return table(['transaction', 'block', 'from', 'to', 'value'], rows, 'no transactions yet')
  }

  /** Batches on L1 of the kept blocks (edge_getBatchByBlock), newest first. */
  function batches(s: PageState) {
    const rows = [...s.batches.values()]
      .sort((a, b) => Number(big(b.firstBlock) - big(a.firstBlock)))
      .slice(0, 8)
      .map((b) => [
        `${num(b.firstBlock)}–${num(b.lastBlock)}`,
        el('span', { class: 'mono' }, short(b.l1TransactionHash)),
        num(b.l1BlockNumber),
        `${num(b.bytes)} B`,
      ])
    return table(['L2 blocks', 'L1 transaction', 'L1 block', 'size'], rows, 'no batch on L1 yet')
  }

  return { heads, blockCharts, blocks, txs, batches }
}
