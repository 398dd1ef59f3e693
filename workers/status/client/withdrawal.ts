import type {
  WithdrawalEntry,
  WithdrawalReport,
} from '../../../shared/settlement/withdrawalStatus.js'
import type { Kit } from './kit.js'
import type { NodeApi } from './node.js'
import type { PageState } from './state.js'

/** What `createWithdrawalView` returns. */
export type WithdrawalView = ReturnType<typeof createWithdrawalView>

/**
 * The withdrawal lookup (#/withdrawal/HASH): the node's GET /chain/<id>/withdrawals/<hash>, one card
 * per withdrawal of the transaction with its stage on L1, the time left as far as GET /network tells
 * it (the output covering the block and its finalization), and the prove arguments to copy while it
 * is ready to prove. Self-contained (shipped with `toString`).
 */
export function createWithdrawalView(k: Kit, node: NodeApi) {
  const { el, link, num, badge, fields, units, duration, big } = k

  const STAGES = [
    'waiting-to-prove',
    'ready-to-prove',
    'waiting-to-finalize',
    'ready-to-finalize',
    'finalized',
  ]

  /** What is left before the next stage, from the outputs GET /network shows. */
  function timeLeft(s: PageState, w: WithdrawalEntry): string {
    const n = s.network && 'shards' in s.network ? s.network : undefined
    const shard = n?.shards.find((x) => x.chainId === node.chainId)
    const block = Number(big(w.l2BlockNumber))
    const covering = shard?.outputs
      .filter((o) => Number(o.l2BlockNumber) >= block)
      .sort((a, b) => Number(a.l2BlockNumber) - Number(b.l2BlockNumber))[0]
    const period = Number(shard?.finalizationPeriodSeconds ?? 0)
    switch (w.status) {
      case 'waiting-to-prove': {
        const last = shard?.outputs[0]
        return last
          ? `an output covering L2 block ${block} must reach L1 first (the last covers ${last.l2BlockNumber})`
          : 'an output covering this block must reach L1 first'
      }
      case 'ready-to-prove':
        return 'prove it on L1 now: send proveWithdrawalTransaction with the arguments below'
      case 'waiting-to-finalize': {
        if (covering && n && !covering.final) {
          const left = Number(covering.proposedAt) + period - Number(n.l1Timestamp)
          return `the output is final in ${duration(left)}; then ${duration(period)} after proving at most`
        }
        return `at most ${duration(period)} after it was proven`
      }
      case 'ready-to-finalize':
        return 'finalize it on L1 now: finalizeWithdrawalTransaction'
      default:
        return 'done: the funds are on L1'
    }
  }

  /** The five stages with the current one marked. */
  function steps(status: string) {
    const at = STAGES.indexOf(status)
    return el(
      'ol',
      { class: 'steps' },
      STAGES.map((st, i) =>
        el('li', { class: i < at ? 'done' : i === at ? 'now' : '' }, st.replaceAll('-', ' ')),
      ),
    )
  }

  function card(s: PageState, w: WithdrawalEntry) {
    const prove = w.prove ? JSON.stringify(w.prove, null, 2) : undefined
    const copy = (e: { target: unknown }) => {
      const btn = e.target as { textContent: string | null }
      void navigator.clipboard?.writeText(prove ?? '').then(() => (btn.textContent = 'copied'))
    }
    return el(
      'div',
      { class: 'card withdrawal', 'data-status': w.status },
      el(
        'h3',
        null,
        'Withdrawal ',
        badge(
          w.status,
          w.status === 'finalized' ? 'ok' : w.status.startsWith('ready') ? 'warn' : 'plain',
        ),
      ),
      steps(w.status),
      el('p', { class: 'left' }, timeLeft(s, w)),
      fields([
        ['L2 block', link(`#/block/${Number(big(w.l2BlockNumber))}`, num(w.l2BlockNumber))],
        ['value', units(w.withdrawal.value, 'ETH')],
        ['from', el('span', { class: 'mono break' }, w.withdrawal.sender)],
        ['to', el('span', { class: 'mono break' }, w.withdrawal.target)],
        ['withdrawal hash', el('span', { class: 'mono break' }, w.withdrawal.withdrawalHash)],
      ]),
      prove
        ? [
            el(
              'h4',
              null,
              'Prove arguments ',
              el('button', { type: 'button', onclick: copy }, 'copy'),
            ),
            el('pre', { class: 'data' }, prove),
          ]
        : null,
    )
  }

  /** Looks `hash` up and renders what the node says (or its error). */
  async function lookup(s: PageState, hash: string) {
    const { status, body } = await node.get<WithdrawalReport | { error: string }>(
      `/chain/${node.chainId}/withdrawals/${hash}`,
    )
    if ('error' in body) return el('p', { class: 'error' }, `${status}: ${body.error}`)
    if (body.withdrawals.length === 0)
      return el('p', null, 'This transaction initiated no withdrawal.')
    return [
      el(
        'p',
        null,
        'Transaction ',
        link(`#/tx/${hash}`, el('span', { class: 'mono break' }, hash)),
      ),
      body.withdrawals.map((w) => card(s, w)),
    ]
  }

  return { lookup }
}

declare const navigator: { clipboard?: { writeText(text: string): Promise<void> } }
