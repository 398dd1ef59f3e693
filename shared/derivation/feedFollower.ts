import { bytesToHex, type Hex } from 'viem'
import type { SealResult, ChainCore } from '../chain/chainCore.js'
import { applyFeedBlock, type FollowOptions } from './followFeed.js'
import { parseSignedBlock, type SignedBlock } from './signedBlock.js'

/** Blocks fetched per gap request (`edge_getSignedBlocks`). */
export const GAP_BATCH = 64
/** Least time between two gap requests (a feed whose blocks never apply must not make a loop). */
const GAP_INTERVAL_MS = 250
/** Feed blocks held while they wait for their parent or their L1 origin. */
const MAX_HELD = 256

/** What the follower needs from its host: a socket to send on, the chain lock, and what to do with a new block. */
export type FeedFollowerIo = {
  send(message: string): void
  /** Runs `fn` while no other write to the chain (L1 derivation) runs. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
  applied(sealed: SealResult): void
  /** Unsafe blocks above `head` were unwound for a replacing feed block (`replaceUnsafe`). */
  unwound?(head: bigint): void
  /**
   * The signer signed two different children of one parent: both RLP headers and signatures, what
   * `SequencerPool.proveEquivocation` takes.
   */
  equivocation?(proof: FeedEquivocation): void
  log(line: string): void
}

/** Two blocks of one height and parent from one signer's feed (RLP headers, signatures). */
export type FeedEquivocation = {
  number: bigint
  headerA: Hex
  signatureA: Hex
  headerB: Hex
  signatureB: Hex
}

/**
 * A peer's side of the sequencer's live feed, over one websocket: subscribes to `edge_blocks`,
 * fetches the blocks it missed with `edge_getSignedBlocks`, and applies them in order
 * (`applyFeedBlock`). Anything on the socket that is not a well-formed, correctly signed block that
 * executes to its hash is dropped, changing nothing. Runtime-agnostic: the host owns the socket.
 */
export class FeedFollower {
  private readonly held = new Map<bigint, SignedBlock>()
  /** The signed feed blocks this follower applied, by height (the unsafe ones: evidence if the signer equivocates). */
  private readonly fromFeed = new Map<bigint, SignedBlock>()
  private gapInFlight = false
  private lastGapMs = 0
  private nextId = 1
  private ignoredLogged = 0

  constructor(
    private readonly chain: ChainCore,
    private readonly opts: FollowOptions,
    private readonly io: FeedFollowerIo,
  ) {}

  /** Call once the socket is open: subscribes and asks for what was sealed since this node's head. */
  opened(): void {
    this.gapInFlight = false
    this.lastGapMs = 0
    this.io.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: this.nextId++,
        method: 'eth_subscribe',
        params: ['edge_blocks'],
      }),
    )
    this.requestGap()
  }

  /** One message from the socket, whatever it holds; messages are handled one at a time, in order. */
  message(text: string): Promise<void> {
    const next = this.queue.then(() => this.handle(text))
    this.queue = next.catch(() => undefined)
    return next
  }

  private queue: Promise<void> = Promise.resolve()

  private async handle(text: string): Promise<void> {
    let msg: unknown
    try {
      msg = JSON.parse(text)
    } catch {
      return this.ignore('feed message is not JSON')
    }
    if (typeof msg !== 'object' || msg === null) return this.ignore('feed message is not an object')
    const m = msg as Record<string, unknown>
    if (m.method === 'eth_subscription') {
      const params = m.params as Record<string, unknown> | undefined
      return this.receive([params?.result])
    }
    if (Array.isArray(m.result)) {
      this.gapInFlight = false
      const before = this.chain.headHeader.number
      await this.receive(m.result)
      // A full answer: the sequencer has more past it.
      if (m.result.length >= GAP_BATCH) this.requestGap(this.chain.headHeader.number > before)
      return
    }
    if (m.error !== undefined) this.gapInFlight = false
  }

  /** Retries held blocks (after an L1 round brought new origins). */
  async retry(): Promise<void> {
    await this.drain()
  }

  private async receive(items: unknown[]): Promise<void> {
    for (const item of items) {
      const b = parseSignedBlock(item)
      if (!b) {
        this.ignore('malformed feed block')
        continue
      }
      const head = this.chain.headHeader.number
      if (b.block.number <= head || b.block.number - head > this.opts.maxAhead) {
        // Known, conflicting or far ahead: applyFeedBlock says which (signature first).
        const outcome = await this.io.exclusive(async () => {
          const first = await applyFeedBlock(this.chain, b, this.opts)
          if (first.kind !== 'replaces') return first
          const head = this.chain.headHeader.number
          const sibling = this.siblingOf(b)
          await this.chain.unwindTo(b.block.number - 1n)
          this.io.unwound?.(b.block.number - 1n)
          this.io.log(
            `live feed: block ${b.block.number} replaces unsafe blocks ${b.block.number}..${head}`,
          )
          const then = await applyFeedBlock(this.chain, b, this.opts)
          if (then.kind === 'applied') {
            this.applied(b, then.sealed)
            if (sibling) this.reportEquivocation(sibling, b)
          }
          return then
        })
        if (outcome.kind === 'ignored')
          this.ignore(`feed block ${b.block.number}: ${outcome.reason}`)
        continue
      }
      if (this.held.size >= MAX_HELD && !this.held.has(b.block.number)) continue
      this.held.set(b.block.number, b)
    }
    await this.drain()
  }

  /** Applies held blocks in order from head + 1 while they apply. */
  private async drain(): Promise<void> {
    await this.io.exclusive(async () => {
      for (;;) {
        const head = this.chain.headHeader.number
        for (const n of this.held.keys()) if (n <= head) this.held.delete(n)
        const next = this.held.get(head + 1n)
        if (!next) break
        const outcome = await applyFeedBlock(this.chain, next, this.opts)
        if (outcome.kind === 'waiting') break
        this.held.delete(head + 1n)
        if (outcome.kind === 'applied') this.applied(next, outcome.sealed)
        else if (outcome.kind === 'ignored') {
          this.ignore(`feed block ${next.block.number}: ${outcome.reason}`)
          // Everything held above it builds on it: useless now.
          this.held.clear()
        }
      }
    })
    if (this.held.size > 0 && !this.held.has(this.chain.headHeader.number + 1n)) this.requestGap()
  }

  private applied(b: SignedBlock, sealed: SealResult): void {
    this.fromFeed.set(b.block.number, b)
    const safe = this.chain.safeHead()
    for (const n of this.fromFeed.keys())
      if (n <= safe || this.fromFeed.size > MAX_HELD) this.fromFeed.delete(n)
    this.io.applied(sealed)
  }

  /**
   * The block this node has at `b`'s height from the same signer's feed, when it is `b`'s sibling
   * (same parent, another hash): with its RLP header, read before `b` replaces it.
   */
  private siblingOf(b: SignedBlock): { signed: SignedBlock; header: Hex } | undefined {
    const n = b.block.number
    const mine = this.fromFeed.get(n)
    const stored = this.chain.store.blockByNumber(n)
    if (!mine || !stored || stored.hash !== mine.hash) return undefined
    if (mine.parentHash !== b.parentHash || mine.hash === b.hash) return undefined
    return { signed: mine, header: bytesToHex(this.chain.header(stored).serialize()) }
  }

  private reportEquivocation(first: { signed: SignedBlock; header: Hex }, b: SignedBlock): void {
    const stored = this.chain.store.blockByNumber(b.block.number)!
    this.io.log(
      `live feed: the sequencer signed two blocks with parent ${b.parentHash} at height ${b.block.number} (${first.signed.hash}, ${b.hash}): equivocation`,
    )
    this.io.equivocation?.({
      number: b.block.number,
      headerA: first.header,
      signatureA: first.signed.signature,
      headerB: bytesToHex(this.chain.header(stored).serialize()),
      signatureB: b.signature,
    })
  }

  /** Asks for the blocks after the head; `progress`: the last answer moved the head (no throttle). */
  private requestGap(progress = false): void {
    const now = Date.now()
    if (this.gapInFlight || (!progress && now - this.lastGapMs < GAP_INTERVAL_MS)) return
    this.gapInFlight = true
    this.lastGapMs = now
    const from = this.chain.headHeader.number + 1n
    this.io.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: this.nextId++,
        method: 'edge_getSignedBlocks',
        params: [`0x${from.toString(16)}`, GAP_BATCH],
      }),
    )
  }

  /** Logs refused input, at most a few hundred lines (a hostile feed must not fill the log). */
  private ignore(why: string): void {
    if (this.ignoredLogged++ < 200) this.io.log(`live feed: ignored ${why}`)
  }
}
