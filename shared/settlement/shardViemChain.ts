import { defineChain, type Address } from 'viem'
import { chainConfig } from 'viem/op-stack'
import { shardL1, type L1Config, type ShardConfig } from '../config.js'

/**
 * A shard's viem chain definition as plain JSON (what GET /chains serves and `npm start` prints):
 * OP Stack style, `sourceId` the L1 and the portal, oracle and system config keyed by the L1's chain
 * id. Undefined when the shard has no contracts on that L1.
 */
export function shardViemChain(
  l1: L1Config,
  shard: ShardConfig,
  rpcUrls: { http: string[]; webSocket?: string[] },
) {
  const contracts = shardL1({ l1 }, shard.chainId)
  if (!contracts) return undefined
  const onL1 = (address: string) => ({ [l1.chainId]: { address: address as Address } })
  return {
    id: shard.chainId,
    name: shard.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: rpcUrls },
    sourceId: l1.chainId,
    contracts: {
      portal: onL1(contracts.portal),
      l2OutputOracle: onL1(contracts.l2OutputOracle),
      systemConfig: onL1(contracts.systemConfig),
    },
  }
}

/**
 * What GET /chains adds for a shard that settles on the L1: the L1 with the shard's contracts, and
 * the viem chain definition. Nothing for a shard without contracts there.
 */
export function shardSettlement(
  l1: L1Config | undefined,
  shard: ShardConfig,
  rpcUrls: { http: string[]; webSocket?: string[] },
) {
  const contracts = l1 && shardL1({ l1 }, shard.chainId)
  if (!l1 || !contracts) return {}
  return {
    l1: { chainId: l1.chainId, rpcUrl: l1.rpcUrl, multicall3: l1.multicall3, ...contracts },
    viem: shardViemChain(l1, shard, rpcUrls),
  }
}

/**
 * The same definition as a live viem chain, with viem's op-stack formatters (so deposits format)
 * and predeploy addresses merged in.
 */
export function buildShardChain(l1: L1Config, shard: ShardConfig) {
  const def = shardViemChain(l1, shard, { http: [] })
  if (!def) return undefined
  return defineChain({
    ...chainConfig,
    ...def,
    contracts: { ...chainConfig.contracts, ...def.contracts },
  })
}

/** A shard chain as `buildShardChain` makes it. */
export type ShardViemChain = NonNullable<ReturnType<typeof buildShardChain>>
