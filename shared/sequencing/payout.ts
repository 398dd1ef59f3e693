/**
 * Sequencer rewards, the node's side: the pool credits a holder's batched blocks per shard and epoch
 * (`SequencerRewards`); once an epoch is over, and no challenge opened in it against the holder is
 * open, `payout` moves the credit to VerifierStaking, where the operator claims it with
 * `claimRewards`. Anyone may send `payout`; an operator's node sends it for its own credit, epoch by
 * epoch, from the first epoch it saw on, one transaction at a time (through `L1Sender`, never twice).
 * An epoch whose challenge is still open waits (the vote may forfeit it); the epochs after it wait
 * behind it, so none is skipped.
 */
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, type Address } from 'viem'
import { readContract, simulateContract } from 'viem/actions'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import {
  L1Sender,
  type L1Client,
  type L1Wallet,
  type MetaStore,
  type StepResult,
} from '../settlement/l1Sender.js'

/** The next epoch to look at, and the key the payout transaction is kept under. */
const NEXT_KEY = 'pool.payout.next'
const SENDER_KEY = 'pool.payout'
/** Most epochs read per round (a node that was down a long time catches up over several rounds). */
const EPOCHS_PER_ROUND = 16n

export type PayoutTag = { epoch: string; amount: string }

/**
 * One step of paying out this operator's credit in shard `chainId`: settles the payout in flight,
 * or sends the next one due (the oldest epoch before `current` with a credit), or does nothing.
 */
export async function stepPayout(
  ctx: { l1: L1Client; wallet: L1Wallet; meta: MetaStore; pool: Address; chainId: number },
  current: bigint,
): Promise<StepResult<PayoutTag>> {
  const account = ctx.wallet.account.address
  const sender = new L1Sender<PayoutTag>(ctx.wallet, ctx.meta, SENDER_KEY)
  const result = await sender.step(async () => {
    const stored = ctx.meta.getMeta(NEXT_KEY)
    // A node starting now pays from the current epoch on (earlier ones: anyone's `payout`).
    if (stored === undefined) ctx.meta.setMeta(NEXT_KEY, String(current))
    let epoch = stored === undefined ? current : BigInt(stored)
    for (const end = epoch + EPOCHS_PER_ROUND; epoch < current && epoch < end; epoch++) {
      const amount = await readContract(ctx.l1, {
        address: ctx.pool,
        abi: sequencerPoolAbi,
        functionName: 'earnedIn',
        args: [BigInt(ctx.chainId), epoch, account],
      })
      if (amount === 0n) continue
      const now = await tryPayout(ctx, epoch)
      if (now === 'refused') continue
      ctx.meta.setMeta(NEXT_KEY, String(epoch))
      if (now === 'wait') return undefined // the vote may forfeit it
      const data = encodeFunctionData({
        abi: sequencerPoolAbi,
        functionName: 'payout',
        args: [BigInt(ctx.chainId), epoch, account],
      })
      return { to: ctx.pool, data, tag: { epoch: String(epoch), amount: String(amount) } }
    }
    ctx.meta.setMeta(NEXT_KEY, String(epoch))
    return undefined
  })
  // Paid, or refused (forfeited or paid by someone else meanwhile): the next epoch is next.
  if (result.kind === 'mined' || result.kind === 'reverted')
    ctx.meta.setMeta(NEXT_KEY, String(BigInt(result.pending.tag.epoch) + 1n))
  return result
}

/** What `payout` for `epoch` would do now: pay, wait (a challenge opened in it is open), or revert. */
async function tryPayout(
  ctx: { l1: L1Client; wallet: L1Wallet; pool: Address; chainId: number },
  epoch: bigint,
): Promise<'pay' | 'wait' | 'refused'> {
  try {
    await simulateContract(ctx.l1, {
      address: ctx.pool,
      abi: sequencerPoolAbi,
      functionName: 'payout',
      args: [BigInt(ctx.chainId), epoch, ctx.wallet.account.address],
      account: ctx.wallet.account,
    })
    return 'pay'
  } catch (err) {
    const reverted =
      err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : null
    if (!(reverted instanceof ContractFunctionRevertedError)) throw err // L1 unreachable: retried
    return reverted.data?.errorName === 'ChallengePending' ? 'wait' : 'refused'
  }
}
