import { numberToHex, type RpcTransactionReceipt } from 'viem'
import type { ChainCore } from '../chain/chainCore.js'
import { InvalidParamsError } from '../errors.js'

/** The tip suggested when recent blocks give no evidence (OP Stack's minimum suggestion, 0.001 gwei). */
export const MIN_SUGGESTED_TIP = 1_000_000n
const MAX_HISTORY = 1024n

type BlockFees = {
  baseFee: bigint
  gasUsed: bigint
  gasLimit: bigint
  tips: { tip: bigint; gas: bigint }[]
}

function blockFees(chain: ChainCore, n: bigint): BlockFees {
  const block = chain.store.blockByNumber(n)!
  const rpc = JSON.parse(block.rpc)
  const baseFee = BigInt(rpc.baseFeePerGas)
  // Deposits pay no gas price: they have no tip to report.
  const tips = chain.store
    .txsOfBlock(n)
    .map((t) => JSON.parse(t.receipt) as RpcTransactionReceipt)
    .filter((r) => (r.type as string) !== '0x7e')
    .map((r) => ({ tip: BigInt(r.effectiveGasPrice) - baseFee, gas: BigInt(r.gasUsed) }))
  tips.sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
  return { baseFee, gasUsed: BigInt(rpc.gasUsed), gasLimit: BigInt(rpc.gasLimit), tips }
}

/** eth_feeHistory as geth answers it: base fees (plus the next block's), gas used ratios, tip percentiles weighted by gas. */
export function feeHistory(chain: ChainCore, count: bigint, newest: bigint, percentiles: number[]) {
  if (count < 1n) throw new InvalidParamsError('invalid argument 0: block count must be at least 1')
  if (count > MAX_HISTORY) count = MAX_HISTORY
  const oldest = newest - count + 1n < 0n ? 0n : newest - count + 1n
  const baseFeePerGas: string[] = []
  const gasUsedRatio: number[] = []
  const reward: string[][] = []
  for (let n = oldest; n <= newest; n++) {
    const f = blockFees(chain, n)
    baseFeePerGas.push(numberToHex(f.baseFee))
    gasUsedRatio.push(Number(f.gasUsed) / Number(f.gasLimit))
    if (percentiles.length) reward.push(percentiles.map((pct) => numberToHex(tipAt(f, pct))))
  }
  const next = chain.store.blockByNumber(newest + 1n)
  baseFeePerGas.push(
    numberToHex(
      next
        ? BigInt(JSON.parse(next.rpc).baseFeePerGas)
        : chain.header(chain.store.blockByNumber(newest)!).calcNextBaseFee(),
    ),
  )
  return {
    oldestBlock: numberToHex(oldest),
    baseFeePerGas,
    gasUsedRatio,
    baseFeePerBlobGas: baseFeePerGas.map(() => '0x0'),
    blobGasUsedRatio: gasUsedRatio.map(() => 0),
    ...(percentiles.length ? { reward } : {}),
  }
}

function tipAt(f: BlockFees, pct: number): bigint {
  if (f.tips.length === 0) return 0n
  const threshold = (Number(f.gasUsed) * pct) / 100
  let sum = 0
  for (const t of f.tips) {
    sum += Number(t.gas)
    if (sum >= threshold) return t.tip
  }
  return f.tips[f.tips.length - 1].tip
}

/** eth_maxPriorityFeePerGas: the 60th percentile tip of the last 20 blocks (geth's oracle), at least the minimum. */
export async function suggestTip(chain: ChainCore): Promise<bigint> {
  const head = chain.headHeader.number
  const cached = tipCache.get(chain)
  if (cached?.head === head) return cached.tip
  const tip = computeTip(chain, head)
  tipCache.set(chain, { head, tip })
  return tip
}

const tipCache = new WeakMap<ChainCore, { head: bigint; tip: bigint }>()

function computeTip(chain: ChainCore, head: bigint): bigint {
  const tips: bigint[] = []
  for (let n = head; n >= 0n && n > head - 20n; n--)
    for (const t of blockFees(chain, n).tips) tips.push(t.tip)
  if (!tips.length) return MIN_SUGGESTED_TIP
  tips.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const tip = tips[Math.floor((tips.length - 1) * 0.6)]
  return tip > MIN_SUGGESTED_TIP ? tip : MIN_SUGGESTED_TIP
}
