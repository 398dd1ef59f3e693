import { bytesToHex, type Hex } from 'viem'
import { BaseError, SequencerUnavailableError } from '../errors.js'
import { forwardRpc } from '../forwarding/forwardRpc.js'
import {
  afterResend,
  checkForward,
  keptAfterFailure,
  resendStep,
  retryableForward,
  type StatusThere,
} from '../forwarding/forwardPolicy.js'
import { nonceOfRaw, type Outbox } from '../forwarding/outbox.js'
import type { Submission } from '../sequencing/sequencing.js'
import { restoreTransaction } from '../txpool/decodeRawTransaction.js'
import { DEFAULT_POOL_LIMITS } from '../txpool/txPool.js'
import type { NodeHost } from './nodeHost.js'

/** A forwarded transaction not seen mined is sent to the sequencer again after this long. */
export const RESEND_MS = 10_000
/** A forwarded transaction still unmined after this long leaves the outbox. */
export const OUTBOX_EXPIRY_MS = 3_600_000
/** How long a plain forward waits for the sequencer before saying it is unreachable. */
export const FORWARD_TIMEOUT_MS = 5_000
/** How long a pooled peer keeps trying a write that meets a sequencer handover, and how often. */
export const HANDOVER_WAIT_MS = 10_000
export const HANDOVER_RETRY_MS = 500
/** How long a synchronous forward waits, after the sequencer's receipt, for this node to have the block. */
const SYNC_CATCH_UP_MS = 2_000

/** The rows of the outbox the forwarding policy reads and writes (`Outbox`; a fake in unit tests). */
export type OutboxRows = Pick<
  Outbox,
  'add' | 'remove' | 'drop' | 'ofSender' | 'replacedBy' | 'all' | 'sent'
>

/** What the forwarder reads of the node's chain (`ChainCore` fits it). */
export type ForwardChain = {
  readonly chainId: number
  store: { tx(hash: Hex): { blockNumber: bigint } | undefined }
  safeHead(): bigint
}

/** What the forwarder asks of the node around it: where the sequencer is now, and whether this node is it. */
export type ForwarderHost = NodeHost & {
  /** The sequencer's JSON-RPC URL for this shard now; undefined when there is none to forward to. */
  sequencerUrl(): string | undefined
  /** Whether this node sequences now (in a pool the role moves; a write waiting on a handover re-checks it). */
  sequences(): boolean
  /** This node's outbox (created on first use). */
  outbox(): OutboxRows
}

/**
 * A node that is not sequencing, answering writes as the sequencer would (DESIGN.md invariant 9):
 * each write is judged against what this node forwarded (`checkForward`), kept in the outbox, sent
 * to the sequencer and, in a pool, retried across a handover; the outbox is sent again to a
 * sequencer that lost it (`resend`). The policy of shared/forwarding with its I/O, over `NodeHost`.
 */
export class Forwarder {
  constructor(
    private readonly host: ForwarderHost,
    private readonly chain: ForwardChain,
    private readonly pooled: boolean,
  ) {}

  /**
   * A write while this node is not sequencing: forwarded, and in a pool retried at the next holder
   * for up to HANDOVER_WAIT_MS when it meets a handover. Returns the sequencer's answer, or undefined
   * when this node sequences (now or after the wait): the caller admits it into its own pool. A
   * write forwarded to this node is not forwarded again (no loops between nodes that disagree).
   */
  async submit(
    s: Submission,
    waitMs: number | undefined,
    forwarded: boolean,
  ): Promise<{ result: unknown } | undefined> {
    const host = this.host
    for (const until = host.now() + HANDOVER_WAIT_MS; !host.sequences(); ) {
      if (this.pooled && forwarded)
        throw new SequencerUnavailableError(
          'this node is not the sequencer now (the pool is handing over); a forwarded transaction is not forwarded again',
        )
      const retry = this.pooled && host.now() < until
      try {
        return { result: await this.forward(s, waitMs) }
      } catch (err) {
        if (!retry || !retryableForward(err)) throw err
      }
      await host.sleep(HANDOVER_RETRY_MS)
    }
    return undefined
  }

  /**
   * One forward (`checkForward`, the outbox, then the sequencer): the answer is the sequencer's
   * (hash, receipt, or its error typed by `fromRpcError`). A replacement the sequencer took takes
   * the place of the one it replaces in the outbox. Refused or unreachable, the transaction is not
   * kept (unless the sequencer pooled it: `keptAfterFailure`). A synchronous caller's receipt is
   * returned once this node has the block too (at most SYNC_CATCH_UP_MS more), so the reads that
   * follow see it here.
   */
  async forward(s: Submission, waitMs?: number): Promise<unknown> {
    const { host, chain } = this
    const url = host.sequencerUrl()
    if (!url)
      throw new SequencerUnavailableError(
        this.pooled
          ? 'no sequencer to forward to right now (the pool is handing over); retry in a few seconds'
          : 'no sequencer to forward to (SEQUENCER_URL is not set)',
      )
    const hash = s.hash.toLowerCase() as Hex
    const sender = s.sender.toLowerCase() as Hex
    const outbox = host.outbox()
    const known = chain.store.tx(hash) !== undefined
    if (!known) {
      const tx = restoreTransaction(s.raw, { pubkey: s.pubkey }, chain.chainId)
      const held = outbox
        .ofSender(sender, tx.nonce)
        .filter((f) => f.nonce === tx.nonce && !chain.store.tx(f.hash))
        .map((f) => ({
          hash: f.hash,
          tx: restoreTransaction(f.raw, { address: sender }, chain.chainId),
        }))
      const refused = checkForward(tx, hash, held, DEFAULT_POOL_LIMITS.priceBumpPercent)
      if (refused) throw refused
      outbox.add({ hash, raw: s.raw, sender }, host.now())
    }
    const raw = bytesToHex(s.raw)
    let answer: unknown
    try {
      answer =
        waitMs === undefined
          ? await forwardRpc(url, 'eth_sendRawTransaction', [raw], FORWARD_TIMEOUT_MS, host.fetch)
          : await forwardRpc(
              url,
              'eth_sendRawTransactionSync',
              [raw, waitMs],
              waitMs + FORWARD_TIMEOUT_MS,
              host.fetch,
            )
    } catch (err) {
      if (!known && !keptAfterFailure(err)) outbox.remove(hash)
      throw err
    }
    if (!known) outbox.replacedBy(hash, sender, nonceOfRaw(s.raw))
    if (waitMs !== undefined)
      for (const until = host.now() + SYNC_CATCH_UP_MS; !chain.store.tx(hash) && host.now() < until; )
        await host.sleep(25)
    return answer
  }

  /**
   * Sends forwarded transactions not seen mined again (`resendStep`), and lets go of the safely
   * mined, the expired and the refused (`afterResend`; a refusal of one the sequencer holds, "already
   * known", keeps it: the sequencer's edge_getTransactionStatus says so). Stops at the first
   * "no sequencer now": the next round tries again.
   */
  async resend(): Promise<void> {
    const { host, chain } = this
    const url = host.sequencerUrl()
    if (!url) return
    const outbox = host.outbox()
    const now = host.now()
    const safe = chain.safeHead()
    const call = (method: string, params: unknown[]) =>
      forwardRpc(url, method, params, FORWARD_TIMEOUT_MS, host.fetch)
    for (const f of outbox.all()) {
      const step = resendStep(f, chain.store.tx(f.hash)?.blockNumber, safe, now, {
        resendMs: RESEND_MS,
        expiryMs: OUTBOX_EXPIRY_MS,
      })
      if (step === 'remove') outbox.remove(f.hash)
      if (step !== 'send') continue
      let err: unknown
      let there: StatusThere | undefined
      try {
        await call('eth_sendRawTransaction', [bytesToHex(f.raw)])
      } catch (e) {
        err = e
        if (!retryableForward(e))
          there = await call('edge_getTransactionStatus', [f.hash])
            .then((r) => (r as { status: StatusThere }).status)
            .catch(() => undefined)
      }
      const next = afterResend(err, there)
      if (next === 'later') return
      if (next === 'drop') {
        const reason = err instanceof BaseError ? err.shortMessage : String(err)
        host.log(`outbox: the sequencer refused ${f.hash} again (${reason}); dropped`)
        outbox.drop(f.hash, `refused by the sequencer: ${reason}`, now)
      } else {
        host.log(`outbox: sent ${f.hash} to the sequencer again`)
        outbox.sent(f.hash, now)
      }
    }
  }
}
