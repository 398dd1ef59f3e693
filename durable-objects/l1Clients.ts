import { createClient, defineChain, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Config, L1Config } from '../shared/config.js'
import { classifiedTransport } from '../shared/settlement/l1Transport.js'

/**
 * viem clients for the L1 a shard settles on: a reader, and signers for the batcher and the verifier operator
 * when their keys are configured (a node without them only follows L1). Requests to the same L1 go
 * out as JSON-RPC batches.
 */
export function createL1Clients(
  l1: L1Config,
  config: Partial<Pick<Config, 'batcherKey' | 'verifierKey'>>,
) {
  const chain = defineChain({
    id: l1.chainId,
    name: `L1 ${l1.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [l1.rpcUrl] } },
    // viem's withdrawal status reads the portal and oracle through Multicall3 (getTimeToFinalize).
    contracts: { multicall3: { address: l1.multicall3 as `0x${string}` } },
  })
  // Each failure is classified here, once (retryable or deterministic): the kind decides every catch.
  const transport = classifiedTransport(
    http(l1.rpcUrl, { batch: { wait: 0 }, retryCount: 0, timeout: 10_000 }),
  )
  const wallet = (key?: `0x${string}`) =>
    key ? createClient({ chain, transport, account: privateKeyToAccount(key) }) : undefined
  return {
    l1: createClient({ chain, transport }),
    batcher: wallet(config.batcherKey),
    verifier: wallet(config.verifierKey),
  }
}
