import type { Attrs, Child, Doc, El } from './dom.js'

declare const document: Doc

/** What `createKit` returns: the client's DOM builder, formatters and charts. */
export type Kit = ReturnType<typeof createKit>

/**
 * The status page's toolkit in the browser: `el` builds DOM nodes (text is set as text, never
 * parsed as HTML, so whatever a node or L1 says cannot inject markup), formatters for hex
 * quantities, wei, ages and hashes, and `bars`, a small inline SVG bar chart. Self-contained: the
 * page ships it with `Function.prototype.toString`, so it refers to nothing outside itself.
 */
export function createKit() {
  const SVG = 'http://www.w3.org/2000/svg'

  function append(node: El, child: Child): void {
    if (child === null || child === undefined || child === false) return
    if (Array.isArray(child)) for (const c of child) append(node, c)
    else node.append(typeof child === 'object' ? child : String(child))
  }

  /** An element with attributes (`on…` keys are listeners, `class` the class) and children. */
  function el(tag: string, attrs?: Attrs | null, ...children: Child[]): El {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs ?? {})) {
      if (v === undefined || v === false) continue
      if (typeof v === 'function') node.addEventListener(k.slice(2), v)
      else node.setAttribute(k, v === true ? '' : String(v))
    }
    append(node, children)
    return node
  }

  /** A link inside the page (hash routing), or to an http(s) URL only (an operator's URL is untrusted). */
  function link(href: string, ...children: Child[]): El {
    const safe = href.startsWith('#') || /^https?:\/\//.test(href) ? href : '#'
    return el('a', { href: safe }, ...children)
  }

  /** A hex quantity (or decimal string) as a bigint; 0 for anything else. */
  function big(v: unknown): bigint {
    try {
      return typeof v === 'string' || typeof v === 'number' ? BigInt(v) : 0n
    } catch {
      return 0n
    }
  }

  const num = (v: unknown) => Number(big(v)).toLocaleString('en-US')
  const short = (h: string | null | undefined, n = 6) =>
    !h ? '—' : h.length <= 2 * n + 4 ? h : `${h.slice(0, n + 2)}…${h.slice(-n)}`

  /** Wei (hex or decimal) in whole units with up to 4 decimals: 1.5 ETH, 100,000 EDGE. */
  function units(v: unknown, symbol: string): string {
    const wei = big(v)
    if (wei > 0n && wei < 10n ** 14n) return `${wei.toLocaleString('en-US')} wei`
    const whole = wei / 10n ** 18n
    const frac = Number((wei % 10n ** 18n) / 10n ** 14n)
    const f = frac ? `.${String(frac).padStart(4, '0').replace(/0+$/, '')}` : ''
    return `${whole.toLocaleString('en-US')}${f} ${symbol}`
  }

  /** A span of seconds for people: 42 s, 3 min 5 s, 2 h 10 min, 3 d 4 h. */
  function duration(seconds: number): string {
    const s = Math.max(0, Math.round(seconds))
    if (s < 60) return `${s} s`
    if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`
  }

  /** How long ago a unix time (hex or number) was. */
  const age = (ts: unknown) => `${duration(Date.now() / 1000 - Number(big(ts)))} ago`

  /** A time element that `tickAges` keeps current. */
  const ago = (ts: unknown) => el('time', { 'data-ts': String(Number(big(ts))) }, age(ts))

  /**
   * A bar chart of `values` (oldest first) as inline SVG: bars scaled to the largest, the largest and
   * the last value labelled in the caption; `title` per bar for a pointer's hover.
   */
  function bars(label: string, values: number[], unit: string, titles: string[] = []): El {
    const w = 300
    const h = 64
    const max = Math.max(1, ...values)
    const svg = document.createElementNS(SVG, 'svg')
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`)
    svg.setAttribute('preserveAspectRatio', 'none')
    svg.setAttribute('role', 'img')
    svg.setAttribute('aria-label', label)
    const bw = w / Math.max(values.length, 1)
    values.forEach((v, i) => {
      const r = document.createElementNS(SVG, 'rect')
      const bh = Math.max(v > 0 ? 1.5 : 0, (v / max) * (h - 2))
      r.setAttribute('x', String(i * bw + bw * 0.12))
      r.setAttribute('y', String(h - bh))
      r.setAttribute('width', String(bw * 0.76))
      r.setAttribute('height', String(bh))
      const t = document.createElementNS(SVG, 'title')
      t.textContent = titles[i] ?? `${v.toLocaleString('en-US')} ${unit}`
      r.append(t)
      svg.append(r)
    })
    const last = values.at(-1)
    return el(
      'figure',
      { class: 'chart' },
      el(
        'figcaption',
        null,
        el('span', null, label),
        el(
          'span',
          { class: 'muted' },
          values.length
            ? `last ${(last ?? 0).toLocaleString('en-US')} · max ${max.toLocaleString('en-US')} ${unit}`
            : 'no data yet',
        ),
      ),
      svg,
    )
  }

  /** A labelled value list (`dl`) from [label, value] pairs; pairs with an undefined value are left out. */
  function fields(pairs: [string, Child][]): El {
    return el(
      'dl',
      { class: 'fields' },
      pairs
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [el('dt', null, k), el('dd', null, v ?? '—')]),
    )
  }

  /** A table with a header row; `rows` of cells. */
  function table(head: string[], rows: Child[][], empty = 'nothing yet'): El {
    if (rows.length === 0) return el('p', { class: 'muted' }, empty)
    return el(
      'div',
      { class: 'scroll' },
      el(
        'table',
        null,
        el(
          'thead',
          null,
          el(
            'tr',
            null,
            head.map((h) => el('th', null, h)),
          ),
        ),
        el(
          'tbody',
          null,
          rows.map((r) =>
            el(
              'tr',
              null,
              r.map((c) => el('td', null, c)),
            ),
          ),
        ),
      ),
    )
  }

  /** A coloured status word: ok, warn, bad or plain. */
  const badge = (text: string, tone: 'ok' | 'warn' | 'bad' | 'plain' = 'plain') =>
    el('span', { class: `badge ${tone}` }, text)

  return { el, link, big, num, short, units, duration, age, ago, bars, fields, table, badge }
}
