import type { Kit } from './kit.js'
import type { NodeApi } from './node.js'
import type { Batch, Block, PageState } from './state.js'

/** What `createDetailViews` returns. */
export type DetailViews = ReturnType<typeof createDetailViews>

/**
 * The block view (#/block/N) and the transaction view (#/tx/HASH), read with the node's JSON-RPC:
 * eth_getBlockByNumber, eth_getTransactionByHash, eth_getTransactionReceipt,
 * edge_getTransactionStatus and edge_getBatchByBlock (the L1 transaction carrying the block).
 * Self-contained (shipped with `toString`).
 */
export function createDetailViews(k: Kit, node: NodeApi) {
  const { el, link, num, short, ago, badge, fields, table, units, big } = k
  const mono = (v: string | null | undefined) => el('span', { class: 'mono break' }, v ?? '—')

  /** Where a block stands: finalized, safe (its batch on L1) or only sequenced. */
  function standing(s: PageState, n: bigint) {
    if (s.heads.finalized && n <= big(s.heads.finalized.number)) return badge('finalized', 'ok')
    if (s.heads.safe && n <= big(s.heads.safe.number)) return badge('safe', 'ok')
    return badge('unsafe (not on L1 yet)', 'warn')
  }

  function batchLine(b: Batch | null) {
    if (!b) return el('span', { class: 'muted' }, 'not posted to L1 yet')
    return [
      mono(b.l1TransactionHash),
      el(
        'div',
        { class: 'muted' },
        `L1 block ${num(b.l1BlockNumber)} · L2 blocks ${num(b.firstBlock)}–${num(b.lastBlock)} · ${num(b.bytes)} bytes`,
      ),
    ]
  }

  /** #/block/N. */
  async function block(s: PageState, ref: string) {
    const tag = /^\d+$/.test(ref) ? `0x${BigInt(ref).toString(16)}` : ref
    const [b, batch] = await node.batch<any>([
      ['eth_getBlockByNumber', [tag, true]],
      ['edge_getBatchByBlock', [tag]],
    ])
    if (!b) return el('p', null, `No block ${ref} on this node.`)
    const blk = b as Block
    const n = big(blk.number)
    return [
      el(
        'h2',
        null,
        `Block #${num(blk.number)} `,
        standing(s, n),
        el(
          'span',
          { class: 'nav' },
          n > 0n ? [link(`#/block/${n - 1n}`, '← prev'), ' · '] : null,
          link(`#/block/${n + 1n}`, 'next →'),
        ),
      ),
      fields([
        ['hash', mono(blk.hash)],
        ['parent', link(`#/block/${n - 1n}`, mono(blk.parentHash))],
        [
          'time',
          [new Date(Number(big(blk.timestamp)) * 1000).toISOString(), ' · ', ago(blk.timestamp)],
        ],
        ['transactions', String(blk.transactions.length)],
        // A pool sequencer names itself; a block L1 forced (deposits only) has genesis's.
        ['fee recipient', mono(blk.miner)],
        ['gas used', `${num(blk.gasUsed)} of ${num(blk.gasLimit)}`],
        ['base fee', `${num(blk.baseFeePerGas ?? '0x0')} wei`],
        ['state root', mono(blk.stateRoot)],
        ['batch on L1', batchLine(batch as Batch | null)],
      ]),
      el('h3', null, 'Transactions'),
      table(
        ['hash', 'from', 'to', 'value'],
        blk.transactions.map((t) => [
          link(`#/tx/${t.hash}`, el('span', { class: 'mono' }, short(t.hash))),
          el('span', { class: 'mono' }, short(t.from, 4)),
          el('span', { class: 'mono' }, t.to ? short(t.to, 4) : 'create'),
          (t.type as string) === '0x7e' ? badge('deposit') : units(t.value, 'ETH'),
        ]),
        'no transactions',
      ),
    ]
  }

  /** #/tx/HASH. */
  async function tx(s: PageState, hash: string) {
    const [t, r, st] = await node.batch<any>([
      ['eth_getTransactionByHash', [hash]],
      ['eth_getTransactionReceipt', [hash]],
      ['edge_getTransactionStatus', [hash]],
    ])
    if (!t) {
      const why = st?.status === 'dropped' ? `dropped: ${st.reason}` : (st?.status ?? 'unknown')
      return el('p', null, `Transaction ${hash}: ${why}.`)
    }
    const batch = r ? await node.rpc<Batch | null>('edge_getBatchByBlock', [r.blockNumber]) : null
    const ok = r?.status === '0x1'
    const isWithdrawal = (t.to ?? '').toLowerCase() === '0x4200000000000000000000000000000000000016'
    return [
      el(
        'h2',
        null,
        'Transaction ',
        r ? badge(ok ? 'success' : 'reverted', ok ? 'ok' : 'bad') : badge(st?.status ?? 'pending'),
        ' ',
        r ? standing(s, big(r.blockNumber)) : null,
      ),
      fields([
        ['hash', mono(t.hash)],
        [
          'block',
          r ? link(`#/block/${Number(big(r.blockNumber))}`, num(r.blockNumber)) : 'pending',
        ],
        ['from', mono(t.from)],
        ['to', t.to ? mono(t.to) : ['contract created ', mono(r?.contractAddress)]],
        ['value', units(t.value, 'ETH')],
        ['type', (t.type as string) === '0x7e' ? '0x7e (deposit from L1)' : t.type],
        ['nonce', num(t.nonce)],
        ['gas used', r ? `${num(r.gasUsed)} of ${num(t.gas)}` : '—'],
        ['gas price', r ? `${num(r.effectiveGasPrice)} wei` : '—'],
        ['batch on L1', r ? batchLine(batch) : '—'],
        ['input', el('code', { class: 'data' }, t.input)],
      ]),
      isWithdrawal
        ? el('p', null, link(`#/withdrawal/${t.hash}`, 'See this withdrawal’s status on L1 →'))
        : null,
      el('h3', null, `Logs (${r?.logs.length ?? 0})`),
      (r?.logs ?? []).map(
        (l: { address: string; topics: string[]; data: string; logIndex: string }) =>
          el(
            'div',
            { class: 'log' },
            fields([
              ['index', num(l.logIndex)],
              ['address', mono(l.address)],
              ['topics', l.topics.map((x) => el('div', null, mono(x)))],
              ['data', el('code', { class: 'data' }, l.data)],
            ]),
          ),
      ),
    ]
  }

  return { block, tx }
}
