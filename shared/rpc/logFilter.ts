import type { Hex, RpcLog } from 'viem'
import { InvalidParamsError } from '../errors.js'
import * as p from './params.js'

/** An eth_getLogs / eth_newFilter criteria object, decoded (block bounds still unresolved). */
export type LogCriteria = {
  fromBlock: p.BlockRef
  toBlock: p.BlockRef
  blockHash?: Hex
  address?: Hex[]
  topics?: (Hex | Hex[] | null)[]
}

/** Decodes a filter object the way geth does (address one-or-list, topics positional OR-lists). */
export function parseLogCriteria(v: unknown, i: number): LogCriteria {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InvalidParamsError(`invalid argument ${i}: expected a filter object`)
  const o = v as Record<string, unknown>
  let blockHash: Hex | undefined
  if (o.blockHash != null) {
    if (o.fromBlock != null || o.toBlock != null)
      throw new InvalidParamsError(
        `invalid argument ${i}: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other`,
      )
    blockHash = p.hash32(o.blockHash, i)
  }
  const address =
    o.address == null
      ? undefined
      : Array.isArray(o.address)
        ? o.address.map((a) => p.address(a, i))
        : [p.address(o.address, i)]
  let topics: LogCriteria['topics']
  if (o.topics != null) {
    if (!Array.isArray(o.topics))
      throw new InvalidParamsError(`invalid argument ${i}: topics must be an array`)
    if (o.topics.length > 4)
      throw new InvalidParamsError(`invalid argument ${i}: too many topics (max 4)`)
    topics = o.topics.map((t) =>
      t == null ? null : Array.isArray(t) ? t.map((x) => p.hash32(x, i)) : p.hash32(t, i),
    )
  }
  return {
    fromBlock: p.blockRef(o.fromBlock, i),
    toBlock: p.blockRef(o.toBlock, i),
    blockHash,
    address,
    topics,
  }
}

/** Whether a log matches address and topic criteria (eth_getLogs semantics; null and [] are wildcards). */
export function matchLog(
  log: Pick<RpcLog, 'address' | 'topics'>,
  c: Pick<LogCriteria, 'address' | 'topics'>,
): boolean {
  if (c.address?.length && !c.address.includes(log.address.toLowerCase() as Hex)) return false
  const topics = c.topics ?? []
  if (topics.length > log.topics.length) return false
  return topics.every((want, idx) => {
    if (want === null || (Array.isArray(want) && want.length === 0)) return true
    const have = log.topics[idx]?.toLowerCase()
    return Array.isArray(want) ? want.includes(have as Hex) : want === have
  })
}
