import { bytesToHex } from 'viem'
import type { ChainCore } from '../chain/chainCore.js'
import type { Outbox } from '../forwarding/outbox.js'
import { decodeRawTransaction, type RecoverPublicKey } from '../txpool/decodeRawTransaction.js'
import type { Sequencing } from './sequencing.js'

/**
 * A pool sequencer's turn ended: what its pool holds goes to its outbox, marked unsent, so the next
 * resend round forwards it to the next sequencer (invariant 5 for hashes this node returned).
 * Returns how many.
 */
export function handPoolToOutbox(sequencing: Sequencing, outbox: Outbox, now: number): number {
  const handed = sequencing.drain()
  for (const e of handed) outbox.add(e, now, 0)
  return handed.length
}

/**
 * A pool member's turn began: the transactions its outbox still holds (forwarded to the previous
 * sequencer, not in this node's chain) enter its own pool, each admitted as a new submission would
 * be; the outbox is emptied. Returns how many were taken and why the others were not.
 */
export async function adoptOutbox(
  chain: ChainCore,
  sequencing: Sequencing,
  outbox: Outbox,
  recover: RecoverPublicKey,
): Promise<{ adopted: number; refused: string[] }> {
  let adopted = 0
  const refused: string[] = []
  for (const f of outbox.all()) {
    outbox.remove(f.hash)
    if (chain.store.tx(f.hash)) continue
    try {
      await sequencing.submit(decodeRawTransaction(bytesToHex(f.raw), chain.chainId, recover))
      adopted++
    } catch (err) {
      refused.push(`${f.hash}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  return { adopted, refused }
}
