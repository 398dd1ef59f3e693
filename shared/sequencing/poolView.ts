/**
 * The sequencer pool as L1 states it (`SequencerPool`, one for all shards), for `GET /network`: the
 * current epoch and its L1 blocks, and per shard the current and next epoch's sequencer (address and
 * the node URL it published) and the schedule of the epochs ahead. Read with two Multicall3 calls at
 * one L1 block; `readNetworkWithPool` adds it to the verifier network. Only the view: nodes do not
 * rotate their roles by it yet (issue 13).
 */
import {
  type Address,
  type Chain,
  type Client,
  type ContractFunctionParameters,
  type Transport,
} from 'viem'
import { multicall } from 'viem/actions'
import { sequencerPoolAbi } from '../../generated/contracts/SequencerPool.js'
import type { L1Config } from '../config.js'
import { L1UnavailableError } from '../settlement/withdrawalStatus.js'
import { readNetwork, type NetworkContracts, type NetworkReport } from '../verifiers/network.js'

/** One epoch's sequencer of a shard: its address (zero: nobody yet) and published URL. */
export type PoolTurn = { epoch: string; sequencer: Address; url: string }

/** The pool section of `GET /network`. Numbers are decimal strings. */
export type PoolView = {
  pool: Address
  epoch: string
  epochLength: string
  /** The current epoch's first L1 block and the next epoch's. */
  epochStart: string
  nextEpochStart: string
  shards: {
    chainId: number
    current: PoolTurn & { skippableAt: string }
    next: PoolTurn
    /** The sequencers of `SCHEDULE_EPOCHS` epochs from the current one. */
    schedule: PoolTurn[]
  }[]
}

/** Epochs of schedule shown per shard. */
export const SCHEDULE_EPOCHS = 8

/** Reads the pool at `blockNumber` (the latest when absent) through `multicall3`. */
export async function readPoolView(
  client: Client<Transport, Chain | undefined>,
  at: { pool: Address; multicall3: Address; chainIds: readonly number[] },
  blockNumber?: bigint,
): Promise<PoolView> {
  const call = (functionName: string, args: unknown[] = []) =>
    ({ address: at.pool, abi: sequencerPoolAbi, functionName, args }) as ContractFunctionParameters
  const aggregate = async (calls: ContractFunctionParameters[]) =>
    (await multicall(client, {
      contracts: calls,
      allowFailure: false,
      multicallAddress: at.multicall3,
      batchSize: 0,
      blockNumber,
    })) as unknown[]
  const [epoch, epochLength] = (await aggregate([call('currentEpoch'), call('epochLength')])) as [
    bigint,
    bigint,
  ]
  const reads = await aggregate([
    call('epochStart', [epoch]),
    call('epochStart', [epoch + 1n]),
    ...at.chainIds.flatMap((chainId) => [
      call('turnOf', [BigInt(chainId), epoch]),
      call('turnOf', [BigInt(chainId), epoch + 1n]),
      call('schedule', [BigInt(chainId), epoch, BigInt(SCHEDULE_EPOCHS)]),
    ]),
  ])
  const take = <T>() => reads.shift() as T
  const epochStart = take<bigint>()
  const nextEpochStart = take<bigint>()
  type Turn = readonly [Address, bigint, bigint, bigint, string]
  return {
    pool: at.pool,
    epoch: String(epoch),
    epochLength: String(epochLength),
    epochStart: String(epochStart),
    nextEpochStart: String(nextEpochStart),
    shards: at.chainIds.map((chainId) => {
      const [sequencer, , , skippableAt, url] = take<Turn>()
      const [nextSequencer, , , , nextUrl] = take<Turn>()
      const [sequencers, urls] = take<readonly [readonly Address[], readonly string[]]>()
      return {
        chainId,
        current: { epoch: String(epoch), sequencer, url, skippableAt: String(skippableAt) },
        next: { epoch: String(epoch + 1n), sequencer: nextSequencer, url: nextUrl },
        schedule: sequencers.map((s, i) => ({
          epoch: String(epoch + BigInt(i)),
          sequencer: s,
          url: urls[i],
        })),
      }
    }),
  }
}

/**
 * `GET /network`'s answer: the verifier network (`readNetwork`) and, when the L1 config names a
 * SequencerPool, its view at the same L1 block. Throws `L1UnavailableError` when a read fails.
 */
export async function readNetworkWithPool(
  client: Client<Transport, Chain | undefined>,
  contracts: NetworkContracts,
  l1: L1Config,
): Promise<NetworkReport & { sequencing?: PoolView }> {
  const report = await readNetwork(client, contracts)
  const pool = Object.values(l1.shards).find((s) => s.sequencerPool)?.sequencerPool
  if (!pool) return report
  const at = {
    pool: pool as Address,
    multicall3: contracts.multicall3,
    chainIds: contracts.shards.map((s) => s.chainId),
  }
  const sequencing = await readPoolView(client, at, BigInt(report.l1Block)).catch((err: Error) => {
    throw new L1UnavailableError(`L1 request failed: ${err.message.split('\n')[0]}`, { cause: err })
  })
  return { ...report, sequencing }
}
