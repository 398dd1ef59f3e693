import type { TypedTransaction } from '@ethereumjs/tx'
import type { Hex } from 'viem'
import {
  feeCaps,
  txCost,
  underpricedReplacement,
  type PoolEntry,
  type PoolLimits,
} from './txPool.js'

/** What admission needs to know: the sender's account at the head and the pool's view of it. */
export type AdmissionContext = {
  hash: Hex
  sender: Hex
  account: { nonce: bigint; balance: bigint }
  baseFee: bigint
  blockGasLimit: bigint
  /** Per-transaction gas cap of the hardfork (EIP-7825), if any. */
  txGasCap?: bigint
  alreadyKnown: boolean
  existing?: PoolEntry
  /** What the sender's other pooled transactions may spend (all but one being replaced). */
  pooledCost: bigint
  senderCount: number
  poolSize: number
  limits: PoolLimits
}

/** The verdict: admit (maybe replacing `existing`), or reject with geth's words. */
export type Admission = { ok: true } | { ok: false; error: string }

/**
 * Validates a transaction against the head state and the pool before it is admitted (reth's
 * transaction-pool `validate`): returns data, executes nothing.
 */
export function validateTransaction(tx: TypedTransaction, ctx: AdmissionContext): Admission {
  const reject = (error: string): Admission => ({ ok: false, error })
  if (ctx.alreadyKnown) return reject('already known')
  if (tx.nonce < ctx.account.nonce)
    return reject(`nonce too low: next nonce ${ctx.account.nonce}, tx nonce ${tx.nonce}`)
  if (tx.nonce > ctx.account.nonce + BigInt(ctx.limits.maxNonceGap))
    return reject(`nonce too high: next nonce ${ctx.account.nonce}, tx nonce ${tx.nonce}`)
  if (tx.gasLimit > ctx.blockGasLimit) return reject('exceeds block gas limit')
  if (ctx.txGasCap !== undefined && tx.gasLimit > ctx.txGasCap)
    return reject(`transaction gas limit too high (cap: ${ctx.txGasCap}, tx: ${tx.gasLimit})`)
  const intrinsic = tx.getIntrinsicGas()
  if (tx.gasLimit < intrinsic)
    return reject(`intrinsic gas too low: gas ${tx.gasLimit}, minimum needed ${intrinsic}`)
  const floor = floorDataGas(tx)
  if (tx.gasLimit < floor)
    return reject(
      `insufficient gas for floor data gas cost: gas ${tx.gasLimit}, minimum needed ${floor}`,
    )
  const { feeCap, tipCap } = feeCaps(tx)
  if (tipCap > feeCap) return reject('max priority fee per gas higher than max fee per gas')
  if (feeCap < ctx.baseFee)
    return reject(
      `max fee per gas less than block base fee: address ${ctx.sender}, maxFeePerGas: ${feeCap}, baseFee: ${ctx.baseFee}`,
    )
  const cost = txCost(tx)
  if (ctx.account.balance < cost)
    return reject(
      `insufficient funds for gas * price + value: balance ${ctx.account.balance}, tx cost ${cost}, overshot ${cost - ctx.account.balance}`,
    )
  if (ctx.account.balance < cost + ctx.pooledCost)
    return reject(
      `insufficient funds for gas * price + value: balance ${ctx.account.balance}, queued cost ${ctx.pooledCost}, tx cost ${cost}, overshot ${cost + ctx.pooledCost - ctx.account.balance}`,
    )
  if (ctx.existing) {
    if (underpricedReplacement(ctx.existing.tx, tx, ctx.limits.priceBumpPercent))
      return reject('replacement transaction underpriced')
    return { ok: true }
  }
  if (ctx.senderCount >= ctx.limits.maxPerSender) return reject('account limit exceeded')
  if (ctx.poolSize >= ctx.limits.maxTotal) return reject('txpool is full')
  return { ok: true }
}

/** EIP-7623 floor: 21000 + 10 gas per calldata token (zero byte 1 token, non-zero 4). */
function floorDataGas(tx: TypedTransaction): bigint {
  if (!tx.common.isActivatedEIP(7623)) return 0n
  let tokens = 0n
  for (const b of tx.data) tokens += b === 0 ? 1n : 4n
  return 21000n + tokens * tx.common.param('totalCostFloorPerToken')
}
