import { bytesToHex, type Hex } from 'viem'
import { SAFE_KEY, type ChainCore, type SealResult } from '../chain/chainCore.js'
import { isDepositRaw } from '../chain/depositTx.js'
import type { BatchBlock } from '../settlement/batchCodec.js'
import { deriveBlock } from './deriveBlock.js'

/** What forcing did, added to the round's report. */
export type ForcedReport = {
  derived: SealResult[]
  /** Deposit-only blocks derived. */
  forced: number
  unwoundTo?: bigint
  /** The non-deposit transactions of unsafe blocks unwound (to be sequenced again). */
  unwoundTxs: Hex[]
}

/**
 * Forced inclusion in a pool-sequenced shard (OP's sequencing window): L1 block `o`, the one after the
 * safe head's origin, must be on L2 through a batch that lands by L1 block `o + window` (the window
 * the pool had at `o`: the same on every node, whatever range it derives in a round). If none does,
 * derivation makes the next safe block itself at `o + window`: no transactions but the deposits of
 * every L1 block from `o` to `o + window` (its L1 origin), timestamp the later of its parent's + 1
 * and that origin's, the default coinbase, in no batch. So a deposit is on L2 at most `window` L1
 * blocks after its own, whoever sequences, or nobody; and the sequencer then has a whole window
 * again (a forced block that moved one origin at a time would leave the safe head at the window's
 * edge, and every later batch a block or two late). Repeats while the next origin's window has passed
 * by L1 block `through`. The pool refuses batches whose origin is older than the window; a batch that
 * lands later continues a safe head that has moved and is skipped. Unsafe blocks above the safe head
 * are unwound first (their transactions reported). Stops at `maxBlocks` derived in the round: returns
 * false (more to force; the caller must not apply later batches before forcing resumes).
 */
export async function forceDeposits(
  chain: ChainCore,
  opts: {
    /** The pool's sequencing window as it was at an L1 block (origin `o` uses the window at `o`). */
    windowAt: (l1Block: bigint) => Promise<bigint>
    l1StartBlock: bigint
    coinbase: Hex
    through: bigint
    maxBlocks: number
  },
  report: ForcedReport,
): Promise<boolean> {
  for (;;) {
    const safe = chain.safeHead()
    const safeOrigin = safe === 0n ? opts.l1StartBlock - 1n : chain.origins.originOf(safe)?.l1Number
    if (safeOrigin === undefined) return true
    const next = safeOrigin + 1n
    const due = next + (await opts.windowAt(next))
    if (opts.through < due) return true
    const origin = chain.origins.block(due)
    if (!origin) return true
    if (report.derived.length >= opts.maxBlocks) return false
    if (chain.headHeader.number > safe) {
      report.unwoundTxs.push(...unsafeTxs(chain, safe))
      await chain.unwindTo(safe)
      report.unwoundTo =
        report.unwoundTo === undefined || safe < report.unwoundTo ? safe : report.unwoundTo
    }
    const parent = chain.headHeader
    const block: BatchBlock = {
      number: safe + 1n,
      timestamp:
        parent.timestamp + 1n > origin.timestamp ? parent.timestamp + 1n : origin.timestamp,
      l1OriginNumber: due,
      l1OriginHash: origin.hash,
      txs: [],
    }
    report.derived.push(await deriveBlock(chain, block, opts.coinbase))
    chain.transact(() => chain.store.setMeta(SAFE_KEY, String(safe + 1n)))
    report.forced++
  }
}

/** The non-deposit transactions of the blocks above `safe`, in chain order. */
export function unsafeTxs(chain: ChainCore, safe: bigint): Hex[] {
  const out: Hex[] = []
  for (let n = safe + 1n; n <= chain.headHeader.number; n++)
    for (const t of chain.store.txsOfBlock(n)) if (!isDepositRaw(t.raw)) out.push(bytesToHex(t.raw))
  return out
}
