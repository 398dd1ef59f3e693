import type { TypedTransaction } from '@ethereumjs/tx'
import type { Hex } from 'viem'
import {
  SequencerUnavailableError,
  TransactionNotReadyError,
  TransactionRejectedError,
  TransactionSyncTimeoutError,
} from '../errors.js'
import { underpricedReplacement } from '../txpool/txPool.js'

/**
 * How a node that is not sequencing answers as the sequencer would (DESIGN.md invariant 9), as pure
 * decisions over what its outbox holds; the Durable Object does the I/O. What op-geth does for a
 * replica with `--rollup.sequencerhttp` (it keeps each forwarded transaction in its own pool, for
 * its own RPC), with the outbox as that pool: durable, sent again across handovers.
 */

/**
 * geth's pending nonce (`eth_getTransactionCount(addr, "pending")`): from the state nonce, every
 * nonce in a row that the node holds for the sender, pooled or forwarded. Counting what this node
 * forwarded, rather than asking the sequencer, stays right across handovers: a new sequencer knows
 * nothing of the old one's pool until the outboxes reach it, while this node's outbox keeps every
 * transaction it accepted until a safe block has it; and it costs no hop, so it cannot fail when
 * the sequencer is unreachable. A transaction sent through another node is counted once this node
 * has its block (as on an op-geth replica).
 */
export function pendingNonce(stateNonce: bigint, held: (nonce: bigint) => boolean): bigint {
  let n = stateNonce
  while (held(n)) n++
  return n
}

/** A transaction the node already forwarded for the sender of a new write. */
export type HeldTx = { hash: Hex; tx: TypedTransaction }

/**
 * A write through a forwarding node, judged against what it forwarded for the same sender before it
 * goes on (the sequencer judges the rest): geth's "already known" for the same hash and
 * "replacement transaction underpriced" (-32000) for a same-nonce transaction that does not bump
 * both fee caps by `bumpPercent`. The sequencer may not have the earlier one (a handover): without
 * this, it would take an underpriced replacement that the outbox's resend of the first then fights.
 */
export function checkForward(
  tx: TypedTransaction,
  hash: Hex,
  held: HeldTx[],
  bumpPercent: bigint,
): TransactionRejectedError | undefined {
  const h = hash.toLowerCase()
  if (held.some((e) => e.hash.toLowerCase() === h))
    return new TransactionRejectedError('already known')
  if (held.some((e) => e.tx.nonce === tx.nonce && underpricedReplacement(e.tx, tx, bumpPercent)))
    return new TransactionRejectedError('replacement transaction underpriced')
  return undefined
}

/**
 * Whether a forwarded write that failed stays in the outbox: yes when the sequencer pooled it
 * (eth_sendRawTransactionSync's timeout, 4, or a nonce gap, 5: EIP-7966); no when it refused it or
 * could not be reached (the caller gets that error and no hash).
 */
export function keptAfterFailure(err: unknown): boolean {
  return err instanceof TransactionSyncTimeoutError || err instanceof TransactionNotReadyError
}

/** Whether a failed forward is worth trying again at the next holder (a handover, an outage). */
export function retryableForward(err: unknown): boolean {
  return err instanceof SequencerUnavailableError
}

/** What a resend round does with one outbox entry. */
export type ResendStep = 'remove' | 'wait' | 'send'

/**
 * One outbox entry in a resend round: removed once a safe block has it (an unsafe block can still be
 * replaced by a handover) or after `expiryMs`; left while this node has it in an unsafe block or it
 * was sent less than `resendMs` ago; else sent again.
 */
export function resendStep(
  f: { firstSent: number; lastSent: number },
  minedAt: bigint | undefined,
  safeHead: bigint,
  now: number,
  opts: { resendMs: number; expiryMs: number },
): ResendStep {
  if ((minedAt !== undefined && minedAt <= safeHead) || now - f.firstSent > opts.expiryMs)
    return 'remove'
  if (minedAt !== undefined || now - f.lastSent < opts.resendMs) return 'wait'
  return 'send'
}

/** Where the sequencer says a transaction stands (edge_getTransactionStatus). */
export type StatusThere = 'mined' | 'pending' | 'dropped' | 'unknown'

/**
 * What a resend's answer means: `sent` (the sequencer took it, or has it: "already known" is a
 * refusal of a transaction it holds, so the caller asks its status), `later` (no sequencer to take
 * it now: the next round tries again), `drop` (refused and not there: it leaves with the reason).
 */
export function afterResend(err: unknown, statusThere?: StatusThere): 'sent' | 'later' | 'drop' {
  if (err === undefined) return 'sent'
  if (retryableForward(err)) return 'later'
  if (statusThere === 'pending' || statusThere === 'mined') return 'sent'
  if (err instanceof TransactionRejectedError) return 'drop'
  return 'later'
}
