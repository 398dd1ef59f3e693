/**
 * A pool member's view of its shard's turn (`SequencerPool`), read from L1 every round, and what it
 * makes of it (`dutyOf`, pure): who sequences now and at which URL, whether this node seals and
 * batches, stops sealing before its turn ends, or takes over from a holder that went silent.
 */
import { encodeFunctionData, isAddressEqual, zeroAddress, type Address, type Hex } from 'viem'
import { call, getBlockNumber, readContract } from 'viem/actions'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import {
  L1Sender,
  type L1Client,
  type L1Wallet,
  type MetaStore,
  type StepResult,
} from '../settlement/l1Sender.js'

/** The shard's turn as L1 states it at block `head`. */
export type Turn = {
  head: bigint
  epoch: bigint
  /**
   * The holder now (zero: nobody, e.g. before any verifier staked) and the URL it published, without
   * a trailing slash ('' when none or not http(s)).
   */
  holder: Address
  url: string
  /** The L1 block from which `skip` may replace the holder. */
  skippableAt: bigint
  /** The first L1 block of the next epoch, and who holds the turn there as of now. */
  nextEpochStart: bigint
  nextHolder: Address
}

/**
 * L1 blocks before its turn ends in which a sequencer handing over stops sealing: what it sealed
 * can still be batched inside its epoch (a batch landing after it is refused), so the next holder
 * builds on it instead of replacing it.
 */
export const DRAIN_BLOCKS = 3n

/**
 * The role change a pool member makes this round: hand over when its turn has gone; take over once
 * it has derived L1 up to the head at which it first saw its turn (`takeoverAt`, kept between rounds
 * and returned updated), so it builds on every batch of the previous holder.
 */
export function poolStep(s: {
  role: 'sequencer' | 'peer'
  holds: boolean
  head: bigint
  derivedThrough: bigint
  takeoverAt?: bigint
}): { step: 'stepDown' | 'stepUp' | 'none'; takeoverAt?: bigint } {
  if (s.role === 'sequencer') return { step: s.holds ? 'none' : 'stepDown' }
  if (!s.holds) return { step: 'none' }
  const takeoverAt = s.takeoverAt ?? s.head
  return s.derivedThrough >= takeoverAt ? { step: 'stepUp' } : { step: 'none', takeoverAt }
}

/** A URL the holder published, if it is an http(s) one (anything else: none; it is L1 data anyone wrote). */
function httpUrl(value: string): string {
  if (!URL.canParse(value)) return ''
  const u = new URL(value)
  return u.protocol === 'http:' || u.protocol === 'https:' ? value.replace(/\/+$/, '') : ''
}

/** Reads the shard's turn at the L1 head (one L1 block for every read). */
export async function readTurn(l1: L1Client, pool: Hex, chainId: number): Promise<Turn> {
  const head = await getBlockNumber(l1, { cacheTime: 0 })
  const read = <const F extends 'currentEpoch' | 'epochStart' | 'turnOf'>(
    functionName: F,
    args?: readonly bigint[],
  ) =>
    readContract(l1, {
      address: pool,
      abi: sequencerPoolAbi,
      functionName,
      args,
      blockNumber: head,
    } as never) as Promise<unknown>
  const epoch = (await read('currentEpoch')) as bigint
  const [now, next, nextEpochStart] = (await Promise.all([
    read('turnOf', [BigInt(chainId), epoch]),
    read('turnOf', [BigInt(chainId), epoch + 1n]),
    read('epochStart', [epoch + 1n]),
  ])) as [readonly [Address, bigint, bigint, bigint, string], readonly [Address], bigint]
  return {
    head,
    epoch,
    holder: now[0],
    url: httpUrl(now[4]),
    skippableAt: now[3],
    nextEpochStart,
    nextHolder: next[0],
  }
}

/** What the turn asks of this node now. */
export type Duty = {
  /** This node's operator holds the turn. */
  holds: boolean
  /** It may seal blocks (it holds the turn and is not handing over at the epoch's end). */
  seal: boolean
  /** Another holder is silent past `maxSilence`: `skip` may replace it. */
  skip: boolean
}

/** Whether `a` and `b` are one (non-zero) account. */
export function sameAccount(a: Address | undefined, b: Address | undefined): boolean {
  return !!a && !!b && a !== zeroAddress && isAddressEqual(a, b)
}

/** The duty of operator `me` (none: a node without a key) under `turn`. */
export function dutyOf(turn: Turn, me: Address | undefined): Duty {
  const holds = sameAccount(turn.holder, me)
  const handsOver =
    !sameAccount(turn.nextHolder, me) && turn.head + DRAIN_BLOCKS >= turn.nextEpochStart
  return {
    holds,
    seal: holds && !handsOver,
    skip: !!me && !holds && turn.holder !== zeroAddress && turn.head >= turn.skippableAt,
  }
}

/**
 * Replaces a silent holder (`skip`) when `duty.skip` says it may be, through the operator's account
 * (one transaction at a time, `L1Sender`); a transaction in flight is settled in any case. The call
 * is simulated first: another node's skip landing first makes this one unnecessary, not an error.
 */
export async function stepSkip(
  ctx: { l1: L1Client; wallet: L1Wallet; meta: MetaStore; pool: Hex; chainId: number },
  duty: Duty,
  turn: Turn,
): Promise<StepResult<{ holder: Address }>> {
  const sender = new L1Sender<{ holder: Address }>(ctx.wallet, ctx.meta, 'pool.skip')
  return sender
    .step(async () => {
      if (!duty.skip) return undefined
      const data = encodeFunctionData({
        abi: sequencerPoolAbi,
        functionName: 'skip',
        args: [BigInt(ctx.chainId)],
      })
      try {
        await call(ctx.l1, { account: ctx.wallet.account, to: ctx.pool, data })
      } catch {
        return undefined
      }
      return { to: ctx.pool, data, tag: { holder: turn.holder } }
    })
    .catch((err: Error) => {
      // Another node's skip landed between the check and the estimate: nothing to do.
      if (/NotSilent|0xfac663c8/.test(err.message)) return { kind: 'idle' as const }
      throw err
    })
}
