import { type Hex } from 'viem'
import type { ChainCore } from '../chain/chainCore.js'
import { ResourceNotFoundError } from '../errors.js'
import { sameWord, wordFromJson, type StallWord } from '../sequencing/stall.js'
import { STALL_META_KEY, type StallRecord } from '../sequencing/stallStep.js'
import * as p from './params.js'

/**
 * Not in geth: `edge_stallSignature(chainId, epoch, holder, safeL2Block, l1Block)` (quantities and an
 * address) → this node's operator's EIP-712 `Stalled` signature of that word (SequencerPool.skipStalled),
 * given only when its own derivation found the holder stalled at exactly that word in its last pool
 * round (`stepStall`) and no batch was accepted since; otherwise -32000 with what it sees instead.
 */
export async function stallSignature(chain: ChainCore, params: unknown[]): Promise<Hex> {
  p.arity(params, 5, 5)
  const asked: StallWord = {
    chainId: p.quantity(params[0], 0),
    epoch: p.quantity(params[1], 1),
    holder: p.address(params[2], 2),
    safeL2Block: p.quantity(params[3], 3),
    l1Block: p.quantity(params[4], 4),
  }
  const raw = chain.store.getMeta(STALL_META_KEY)
  if (!raw) throw new ResourceNotFoundError('this node does not find the holder stalled')
  const record = JSON.parse(raw) as StallRecord
  const mine = wordFromJson(record.word)
  if (!sameWord(asked, mine))
    throw new ResourceNotFoundError(
      `this node signs another word: epoch ${mine.epoch}, holder ${mine.holder}, safe L2 block ${mine.safeL2Block}, L1 block ${mine.l1Block}`,
    )
  // A batch accepted since the round: the holder is no longer stalled as this node derives it.
  const last = chain.store.lastBatch()
  if (last && BigInt(last.l1Block) > mine.l1Block - BigInt(record.maxSilence))
    throw new ResourceNotFoundError(
      `a batch of L1 block ${last.l1Block} was accepted since: the holder is not stalled`,
    )
  return record.signature
}

/** The stall methods by name, registered with the sequencer's (answered by the chain object). */
export const stallMethods = {
  edge_stallSignature: (chain: ChainCore, params: unknown[]) => stallSignature(chain, params),
}
