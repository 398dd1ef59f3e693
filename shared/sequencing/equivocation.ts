/**
 * Feed equivocation, the node's side: a sequencer that signs two different children of one parent
 * on its live feed is caught by the peers that receive both (`FeedFollower` reports the pair), and
 * any of them proves it on L1 (`SequencerPool.proveEquivocation`), which ejects the signer for the
 * epoch and slashes it, the prover being the reporter. The proof waits in the node's meta table until
 * it is on L1 or L1 refuses it (already proven by another node, or the signer no longer a verifier).
 */
import { encodeFunctionData, type Address, type Hex } from 'viem'
import { call } from 'viem/actions'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import {
  L1Sender,
  type L1Client,
  type L1Wallet,
  type MetaStore,
  type StepResult,
} from '../settlement/l1Sender.js'

/** Two RLP block headers of one height and one parent and the feed signatures over their hashes. */
export type Equivocation = {
  chainId: number
  number: string
  headerA: Hex
  signatureA: Hex
  headerB: Hex
  signatureB: Hex
}

/** Where the proof waits for L1, and the key its transaction is kept under. */
const PROOF_KEY = 'pool.equivocation.proof'
const SENDER_KEY = 'pool.equivocation'

/** Keeps `proof` to send (one at a time: a later one waits until this one is settled). */
export function recordEquivocation(meta: MetaStore, proof: Equivocation): boolean {
  if (meta.getMeta(PROOF_KEY) !== undefined) return false
  meta.setMeta(PROOF_KEY, JSON.stringify(proof))
  return true
}

/** The proof waiting to be sent, if any. */
export function pendingEquivocation(meta: MetaStore): Equivocation | undefined {
  const v = meta.getMeta(PROOF_KEY)
  return v === undefined ? undefined : (JSON.parse(v) as Equivocation)
}

/**
 * One step of proving the recorded equivocation on L1: checked with `eth_call` first (another node
 * may have proven it: then the proof is dropped, unsent), sent through `L1Sender` (never twice), and
 * dropped once mined or reverted.
 */
export async function stepProveEquivocation(ctx: {
  l1: L1Client
  wallet: L1Wallet
  meta: MetaStore
  pool: Address
}): Promise<StepResult<{ number: string }>> {
  const sender = new L1Sender<{ number: string }>(ctx.wallet, ctx.meta, SENDER_KEY)
  const result = await sender.step(async () => {
    const proof = pendingEquivocation(ctx.meta)
    if (!proof) return undefined
    const data = encodeFunctionData({
      abi: sequencerPoolAbi,
      functionName: 'proveEquivocation',
      args: [
        BigInt(proof.chainId),
        proof.headerA,
        proof.signatureA,
        proof.headerB,
        proof.signatureB,
      ],
    })
    try {
      await call(ctx.l1, { account: ctx.wallet.account, to: ctx.pool, data })
    } catch {
      ctx.meta.deleteMeta(PROOF_KEY)
      return undefined
    }
    return { to: ctx.pool, data, tag: { number: proof.number } }
  })
  if (result.kind === 'mined' || result.kind === 'reverted') ctx.meta.deleteMeta(PROOF_KEY)
  return result
}
