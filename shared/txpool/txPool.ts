import type { TypedTransaction } from '@ethereumjs/tx'
import type { Hex } from 'viem'
import type { ReadyTx, TxCandidates } from '../execution/buildBlock.js'

/** A transaction admitted to the pool. `seq` is its arrival order (ties in price go to the earlier). */
export type PoolEntry = ReadyTx & {
  nonce: bigint
  raw: Uint8Array
  pubkey: Uint8Array
  seq: number
}

/** Pool limits (geth's txpool has the same knobs). */
export type PoolLimits = {
  maxPerSender: number
  maxTotal: number
  maxNonceGap: number
  priceBumpPercent: bigint
}

export const DEFAULT_POOL_LIMITS: PoolLimits = {
  maxPerSender: 64,
  maxTotal: 8192,
  maxNonceGap: 64,
  priceBumpPercent: 10n,
}

/** Fee cap and tip cap of any transaction type (legacy: both are the gas price). */
export function feeCaps(tx: TypedTransaction): { feeCap: bigint; tipCap: bigint } {
  if ('maxFeePerGas' in tx) return { feeCap: tx.maxFeePerGas, tipCap: tx.maxPriorityFeePerGas }
  const price = (tx as { gasPrice: bigint }).gasPrice
  return { feeCap: price, tipCap: price }
}

/** The most a transaction can take from its sender: gas limit × fee cap + value. */
export function txCost(tx: TypedTransaction): bigint {
  return tx.gasLimit * feeCaps(tx).feeCap + tx.value
}

/**
 * Whether `tx` fails to replace `old` (same sender and nonce): geth's price bump, both the fee cap
 * and the tip cap at least `bumpPercent` above the old ones ("replacement transaction underpriced").
 */
export function underpricedReplacement(
  old: TypedTransaction,
  tx: TypedTransaction,
  bumpPercent: bigint,
): boolean {
  const before = feeCaps(old)
  const after = feeCaps(tx)
  const bump = (v: bigint) => v + (v * bumpPercent) / 100n
  return after.feeCap < bump(before.feeCap) || after.tipCap < bump(before.tipCap)
}

/** The tip a transaction pays the sequencer per gas under `baseFee` (negative when underpriced). */
export function effectiveTip(tx: TypedTransaction, baseFee: bigint): bigint {
  const { feeCap, tipCap } = feeCaps(tx)
  return feeCap - baseFee < tipCap ? feeCap - baseFee : tipCap
}

/**
 * The in-memory index of pending transactions, by hash and by sender and nonce. Pure: persistence
 * and validation against state live with the caller.
 */
export class TxPool {
  private readonly bySender = new Map<Hex, Map<bigint, PoolEntry>>()
  private readonly byHash = new Map<Hex, PoolEntry>()

  get size(): number {
    return this.byHash.size
  }

  get(hash: Hex): PoolEntry | undefined {
    return this.byHash.get(hash)
  }

  at(sender: Hex, nonce: bigint): PoolEntry | undefined {
    return this.bySender.get(sender)?.get(nonce)
  }

  countOf(sender: Hex): number {
    return this.bySender.get(sender)?.size ?? 0
  }

  /** Adds an entry, returning the one it replaces (same sender and nonce), if any. */
  add(entry: PoolEntry): PoolEntry | undefined {
    let nonces = this.bySender.get(entry.sender)
    if (!nonces) this.bySender.set(entry.sender, (nonces = new Map()))
    const replaced = nonces.get(entry.nonce)
    if (replaced) this.byHash.delete(replaced.hash)
    nonces.set(entry.nonce, entry)
    this.byHash.set(entry.hash, entry)
    return replaced
  }

  remove(hash: Hex): PoolEntry | undefined {
    const entry = this.byHash.get(hash)
    if (!entry) return undefined
    this.byHash.delete(hash)
    const nonces = this.bySender.get(entry.sender)!
    nonces.delete(entry.nonce)
    if (nonces.size === 0) this.bySender.delete(entry.sender)
    return entry
  }

  senders(): Hex[] {
    return [...this.bySender.keys()]
  }

  /** The nonce after the run of consecutive pooled nonces starting at `stateNonce`. */
  nextNonce(sender: Hex, stateNonce: bigint): bigint {
    const nonces = this.bySender.get(sender)
    let n = stateNonce
    while (nonces?.has(n)) n++
    return n
  }

  /** Entries of a sender, by nonce. */
  entriesOf(sender: Hex): PoolEntry[] {
    return [...(this.bySender.get(sender)?.values() ?? [])].sort((a, b) =>
      a.nonce < b.nonce ? -1 : 1,
    )
  }

  /** Entries with a nonce below the sender's state nonce: already used, they can never run. */
  stale(stateNonces: Map<Hex, bigint>): PoolEntry[] {
    const out: PoolEntry[] = []
    for (const [sender, n] of stateNonces)
      for (const e of this.bySender.get(sender)?.values() ?? []) if (e.nonce < n) out.push(e)
    return out
  }

  /** Executable entries (consecutive from the state nonce) split from queued ones (after a gap). */
  split(stateNonces: Map<Hex, bigint>): { pending: PoolEntry[]; queued: PoolEntry[] } {
    const pending: PoolEntry[] = []
    const queued: PoolEntry[] = []
    for (const sender of this.bySender.keys()) {
      let next = stateNonces.get(sender) ?? 0n
      for (const e of this.entriesOf(sender)) {
        if (e.nonce === next) {
          pending.push(e)
          next++
        } else if (e.nonce > next) queued.push(e)
      }
    }
    return { pending, queued }
  }

  /**
   * Block candidates: each sender's consecutive run from its state nonce, interleaved by effective tip
   * (highest first; equal tips in arrival order), as geth's `TransactionsByPriceAndNonce`.
   */
  candidates(stateNonces: Map<Hex, bigint>, baseFee: bigint): TxCandidates {
    const heads: PoolEntry[] = []
    for (const sender of this.bySender.keys()) {
      const head = this.at(sender, stateNonces.get(sender) ?? 0n)
      if (head) heads.push(head)
    }
    const better = (a: PoolEntry, b: PoolEntry) => {
      const ta = effectiveTip(a.tx, baseFee)
      const tb = effectiveTip(b.tx, baseFee)
      return ta !== tb ? ta > tb : a.seq < b.seq
    }
    const heap = new Heap(heads, better)
    return {
      peek: () => heap.top(),
      shift: () => {
        const top = heap.top()!
        const next = this.at(top.sender, top.nonce + 1n)
        if (next) heap.replaceTop(next)
        else heap.pop()
      },
      pop: () => void heap.pop(),
    }
  }
}

/** A binary heap ordered by `better` (the best at the top). */
class Heap<T> {
  constructor(
    private readonly items: T[],
    private readonly better: (a: T, b: T) => boolean,
  ) {
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i)
  }

  top(): T | undefined {
    return this.items[0]
  }

  pop(): T | undefined {
    const top = this.items[0]
    const last = this.items.pop()
    if (this.items.length && last !== undefined) {
      this.items[0] = last
      this.down(0)
    }
    return top
  }

  replaceTop(item: T): void {
    this.items[0] = item
    this.down(0)
  }

  private down(i: number): void {
    const { items, better } = this
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let best = i
      if (l < items.length && better(items[l], items[best])) best = l
      if (r < items.length && better(items[r], items[best])) best = r
      if (best === i) return
      ;[items[i], items[best]] = [items[best], items[i]]
      i = best
    }
  }
}
