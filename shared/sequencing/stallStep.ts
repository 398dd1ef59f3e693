/**
 * A verifier node's share of `skipStalled` in its pool round (issue 22): judge the turn from its own
 * derivation (`stallWordOf`), sign the `Stalled` word and keep it in the shard's meta (where
 * `edge_stallSignature` answers other nodes from), gather the other operators' signatures from the
 * URLs they published on L1 (`SequencerPool.urlOf`), each checked by recovery, and once they hold
 * ≥ 2/3 of the stake but the holder's, send `skipStalled` (simulated first: another node's landing
 * first, or the holder's turn ending meanwhile, is nothing to do, not an error).
 */
import {
  encodeFunctionData,
  isAddressEqual,
  numberToHex,
  recoverTypedDataAddress,
  type Address,
  type Hex,
} from 'viem'
import {
  call,
  getBlockNumber,
  getContractEvents,
  readContract,
  signTypedData,
} from 'viem/actions'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import type { StoredBatch } from '../chain/chainStore.js'
import {
  L1Sender,
  type L1Client,
  type L1Wallet,
  type MetaStore,
  type StepResult,
} from '../settlement/l1Sender.js'
import {
  STALLED_DOMAIN,
  STALLED_TYPES,
  stallQuorum,
  stallWordOf,
  wordToJson,
  type StallWord,
} from './stall.js'
import type { Turn } from './turn.js'

/** Meta key of this node's signed word: `StallRecord` as JSON. */
export const STALL_META_KEY = 'pool.stall'

/** What `edge_stallSignature` answers from. */
export type StallRecord = {
  word: ReturnType<typeof wordToJson>
  signature: Hex
  maxSilence: string
}

export type StallContext = {
  l1: L1Client
  wallet: L1Wallet
  /** The shard's meta table (the in-flight transaction and `STALL_META_KEY`). */
  meta: MetaStore
  pool: Hex
  chainId: number
  /** What this node derived: the L1 block it derived through and its last accepted batch. */
  derived: { through: bigint; lastBatch?: Pick<StoredBatch, 'last' | 'l1Block'> }
  /** Fetch to other nodes (the host's). */
  fetch: typeof fetch
}

/** `skipStalled`'s EIP-712 domain for `pool` on L1 chain `l1ChainId`. */
export const stalledDomain = (l1ChainId: number, pool: Hex) => ({
  ...STALLED_DOMAIN,
  chainId: l1ChainId,
  verifyingContract: pool,
})

/** Asks the node at `url` for its signature of `word`; undefined when it does not agree or fails. */
async function askSignature(
  fetchFn: typeof fetch,
  url: string,
  word: StallWord,
): Promise<Hex | undefined> {
  try {
    const res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'edge_stallSignature',
        params: [
          numberToHex(word.chainId),
          numberToHex(word.epoch),
          word.holder,
          numberToHex(word.safeL2Block),
          numberToHex(word.l1Block),
        ],
      }),
      signal: AbortSignal.timeout(5_000),
    })
    const body = (await res.json()) as { result?: unknown }
    return typeof body.result === 'string' && /^0x[0-9a-fA-F]{130}$/.test(body.result)
      ? (body.result as Hex)
      : undefined
  } catch {
    return undefined
  }
}

/** One round: judge, sign and keep the word, gather, send `skipStalled` on a quorum. */
export async function stepStall(
  ctx: StallContext,
  turn: Turn,
): Promise<StepResult<{ holder: Address; l1Block: string }>> {
  const sender = new L1Sender<{ holder: Address; l1Block: string }>(
    ctx.wallet,
    ctx.meta,
    'pool.skipStalled',
  )
  const me = ctx.wallet.account.address
  return sender
    .step(async () => {
      const read = (functionName: string, args: unknown[] = [], address: Hex = ctx.pool) =>
        readContract(ctx.l1, {
          address,
          abi: address === ctx.pool ? sequencerPoolAbi : verifierStakingAbi,
          functionName,
          args,
          blockNumber: turn.head,
        } as never) as Promise<unknown>
      const [epochStart, maxSilence] = (await Promise.all([
        read('epochStart', [turn.epoch]),
        read('maxSilence'),
      ])) as [bigint, bigint]
      // The turn started at the epoch's last handover (SequencerChanged), else at the epoch's start.
      const changes = await getContractEvents(ctx.l1, {
        address: ctx.pool,
        abi: sequencerPoolAbi,
        eventName: 'SequencerChanged',
        args: { chainId: BigInt(ctx.chainId), epoch: turn.epoch },
        fromBlock: epochStart,
        toBlock: turn.head,
      })
      const turnStart = changes.length ? changes[changes.length - 1].blockNumber : epochStart
      const judged = stallWordOf({
        chainId: BigInt(ctx.chainId),
        epoch: turn.epoch,
        holder: turn.holder,
        turnStart,
        maxSilence,
        head: turn.head,
        derivedThrough: ctx.derived.through,
        lastBatch: ctx.derived.lastBatch,
      })
      if (!('word' in judged) || isAddressEqual(turn.holder, me)) {
        ctx.meta.deleteMeta(STALL_META_KEY)
        return undefined
      }
      const word = judged.word
      const l1ChainId = ctx.wallet.chain?.id ?? ctx.l1.chain!.id
      const domain = stalledDomain(l1ChainId, ctx.pool)
      const typed = { domain, types: STALLED_TYPES, primaryType: 'Stalled', message: word } as const
      const mine = await signTypedData(ctx.wallet, { account: ctx.wallet.account, ...typed })
      const record: StallRecord = {
        word: wordToJson(word),
        signature: mine,
        maxSilence: String(maxSilence),
      }
      ctx.meta.setMeta(STALL_META_KEY, JSON.stringify(record))

      // The other operators' signatures, each recovered to the account it claims to be.
      const staking = (await read('STAKING')) as Hex
      const [accounts, bonded, , status] = (await read('verifiers', [], staking)) as [
        Address[],
        bigint[],
        bigint[],
        number[],
      ]
      const activeStake = (await read('activeStake', [], staking)) as bigint
      // VerifierStaking.Status.Active is 1.
      const active = accounts
        .map((account, i) => ({ account, stake: bonded[i], active: status[i] === 1 }))
        .filter((v) => v.active)
      const signed: { account: Address; stake: bigint; signature: Hex }[] = []
      for (const v of active) {
        if (isAddressEqual(v.account, turn.holder)) continue
        if (isAddressEqual(v.account, me)) {
          signed.push({ ...v, signature: mine })
          continue
        }
        const url = ((await read('urlOf', [v.account])) as string).replace(/\/+$/, '')
        if (!URL.canParse(url) || !/^https?:/.test(url)) continue
        const signature = await askSignature(ctx.fetch, url, word)
        if (!signature) continue
        const by = await recoverTypedDataAddress({ ...typed, signature }).catch(() => undefined)
        if (by && isAddressEqual(by, v.account)) signed.push({ ...v, signature })
      }
      const holder = accounts.findIndex((a) => isAddressEqual(a, turn.holder))
      const ok = stallQuorum(signed, activeStake, {
        account: turn.holder,
        stake: holder < 0 ? 0n : bonded[holder],
        active: holder >= 0 && status[holder] === 1,
      })
      if (!ok) return undefined
      signed.sort((a, b) => (BigInt(a.account) < BigInt(b.account) ? -1 : 1))
      const data = encodeFunctionData({
        abi: sequencerPoolAbi,
        functionName: 'skipStalled',
        args: [
          BigInt(ctx.chainId),
          word.holder,
          word.safeL2Block,
          word.l1Block,
          signed.map((s) => s.signature),
        ],
      })
      try {
        await call(ctx.l1, {
          account: ctx.wallet.account,
          to: ctx.pool,
          data,
          blockNumber: await getBlockNumber(ctx.l1, { cacheTime: 0 }),
        })
      } catch {
        // Another node's skipStalled landed first, or the turn moved on: nothing to send.
        return undefined
      }
      return { to: ctx.pool, data, tag: { holder: word.holder, l1Block: String(word.l1Block) } }
    })
    .catch((err: Error) => {
      // Landed first by another node between the simulation and the estimate.
      if (/NotScheduled|StallOutOfTurn/.test(err.message)) return { kind: 'idle' as const }
      throw err
    })
}
