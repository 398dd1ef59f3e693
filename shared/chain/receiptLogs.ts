import type { RpcLog, RpcTransactionReceipt } from 'viem'
import { matchLog, type LogCriteria } from '../rpc/logFilter.js'
import type { ChainStore } from './chainStore.js'

/**
 * Logs of blocks `from..to` read from the sequencer's own receipts: serves the newest blocks that the
 * D1 index has not caught up with yet, so eth_getLogs never misses a mined log.
 */
export function receiptLogs(
  store: ChainStore,
  from: bigint,
  to: bigint,
  criteria: Pick<LogCriteria, 'address' | 'topics'>,
): RpcLog[] {
  const out: RpcLog[] = []
  for (let n = from; n <= to; n++)
    for (const t of store.txsOfBlock(n))
      for (const log of (JSON.parse(t.receipt) as RpcTransactionReceipt).logs as RpcLog[])
        if (matchLog(log, criteria)) out.push(log)
  return out
}
