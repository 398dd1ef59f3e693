import type { Hex, RpcTransactionReceipt } from 'viem'
import { TransactionNotReadyError, TransactionSyncTimeoutError } from '../errors.js'
import type { SealResult } from './chainCore.js'
import type { Sequencing } from '../sequencing/sequencing.js'

type Waiter = {
  chain: Sequencing
  /** When the wait ends unanswered (ms since epoch). */
  deadline: number
  timeoutMs: number
  resolve(receipt: RpcTransactionReceipt): void
  reject(err: Error): void
}

/**
 * eth_sendRawTransactionSync's wait (EIP-7966), on the sequencer: callers park on a transaction's hash
 * and the seal that mines it (or drops it) answers them; no polling. In memory only, like the pool
 * row of a synchronous submission until an answer names its hash: a restart fails the caller's
 * request, and its transaction, whose hash nobody was given, may be gone with it.
 */
export class ReceiptWaiters {
  private readonly waiting = new Map<Hex, Set<Waiter>>()

  /**
   * The receipt of `hash` once mined; at once if it is. Throws the EIP's code 5 or 4 errors; before
   * either names a pooled transaction, its pool row is made durable (`Sequencing.persistPooled`).
   */
  async wait(chain: Sequencing, hash: Hex, timeoutMs: number): Promise<RpcTransactionReceipt> {
    hash = hash.toLowerCase() as Hex
    // A block leaves the pool in the same turn as it commits: pooled means not mined (no lookup).
    const entry = chain.pool.get(hash)
    if (!entry) return minedOrThrow(chain, hash)
    const next = await chain.pendingNonce(entry.sender)
    // Mined or dropped while the nonce was read: the seal has already told the waiters.
    if (!chain.pool.get(hash)) return minedOrThrow(chain, hash)
    if (entry.nonce >= next) {
      chain.persistPooled(hash)
      throw new TransactionNotReadyError(
        `The transaction was added to the mempool but wasn't processed due to a missing nonce: the sender's next nonce is ${next}, the transaction's ${entry.nonce}`,
        { data: hash },
      )
    }
    return new Promise<RpcTransactionReceipt>((resolve, reject) => {
      let set = this.waiting.get(hash)
      if (!set) this.waiting.set(hash, (set = new Set()))
      const deadline = Date.now() + timeoutMs
      set.add({ chain, deadline, timeoutMs, resolve, reject })
      this.armSweep(deadline)
    })
  }

  /**
   * One timer for all waits (a timer each cost more than the rest of the wait): it fires at the
   * earliest deadline, ends every wait that is due, and is set again for the next.
   */
  private armSweep(at: number): void {
    if (at >= this.sweepAt) return
    clearTimeout(this.sweepTimer)
    this.sweepAt = at
    this.sweepTimer = setTimeout(() => this.sweep(), Math.max(0, at - Date.now()))
  }

  private sweep(): void {
    this.sweepAt = Infinity
    this.sweepTimer = undefined
    const now = Date.now()
    let next = Infinity
    for (const [hash, set] of this.waiting) {
      for (const w of set) {
        if (w.deadline > now) {
          next = Math.min(next, w.deadline)
          continue
        }
        set.delete(w)
        w.chain.persistPooled(hash)
        w.reject(
          new TransactionSyncTimeoutError(
            `The transaction was added to the mempool but wasn't processed in ${w.timeoutMs}ms.`,
            { data: hash },
          ),
        )
      }
      if (set.size === 0) this.waiting.delete(hash)
    }
    if (next !== Infinity) this.armSweep(next)
  }

  private sweepAt = Infinity
  private sweepTimer?: ReturnType<typeof setTimeout>

  /** Answers the callers waiting on what a seal mined or dropped. */
  sealed(result: SealResult): void {
    if (this.waiting.size === 0) return
    for (const receipt of result.receipts) {
      const set = this.take(receipt.transactionHash)
      if (!set) continue
      for (const w of set) w.resolve(receipt)
    }
    for (const d of result.dropped) {
      for (const w of this.take(d.hash) ?? [])
        w.reject(new TransactionNotReadyError(`transaction dropped: ${d.reason}`, { data: d.hash }))
    }
  }

  /** How many callers are waiting (for tests and metrics). */
  get size(): number {
    let n = 0
    for (const set of this.waiting.values()) n += set.size
    return n
  }

  private take(hash: Hex): Set<Waiter> | undefined {
    const key = hash.toLowerCase() as Hex
    const set = this.waiting.get(key)
    this.waiting.delete(key)
    return set
  }
}

/** A transaction no longer pooled: its receipt if mined, else code 5 (dropped, or never known). */
function minedOrThrow(chain: Sequencing, hash: Hex): RpcTransactionReceipt {
  const mined = chain.core.store.tx(hash)
  if (mined) return JSON.parse(mined.receipt) as RpcTransactionReceipt
  const reason = chain.droppedReason(hash)
  throw new TransactionNotReadyError(
    reason ? `transaction dropped: ${reason}` : 'transaction not found',
    { data: hash },
  )
}
