import { isAddress, isHex, type Address, type Hex } from 'viem'
import { InvalidParamsError } from '../errors.js'

/**
 * Parameter decoders for JSON-RPC methods. Each names the argument it rejects, in geth's style
 * ("invalid argument 1: hex string without 0x prefix"), and never lets a bad value through.
 */

const fail = (i: number, why: string): never => {
  throw new InvalidParamsError(`invalid argument ${i}: ${why}`)
}

/** A hex quantity (EIP-1474: 0x-prefixed, no leading zeros required to be absent, as geth accepts). */
export function quantity(v: unknown, i: number): bigint {
  if (typeof v !== 'string') return fail(i, `expected hex quantity, got ${typeof v}`)
  if (!/^0x[0-9a-fA-F]{1,64}$/.test(v))
    return fail(i, `invalid hex quantity ${JSON.stringify(v).slice(0, 80)}`)
  return BigInt(v)
}

export function optionalQuantity(v: unknown, i: number): bigint | undefined {
  return v === undefined || v === null ? undefined : quantity(v, i)
}

export function address(v: unknown, i: number): Address {
  if (typeof v !== 'string' || !isAddress(v, { strict: false }))
    return fail(i, `invalid address ${JSON.stringify(v)?.slice(0, 80)}`)
  return v.toLowerCase() as Address
}

export function hash32(v: unknown, i: number): Hex {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v))
    return fail(i, `invalid 32-byte hash ${JSON.stringify(v)?.slice(0, 80)}`)
  return v.toLowerCase() as Hex
}

export function data(v: unknown, i: number): Hex {
  if (typeof v !== 'string' || !isHex(v, { strict: true }) || v.length % 2 !== 0)
    return fail(i, `invalid hex data ${JSON.stringify(v)?.slice(0, 80)}`)
  return v.toLowerCase() as Hex
}

/** A storage slot: geth accepts any hex up to 32 bytes and left-pads it. */
export function slot(v: unknown, i: number): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{0,64}$/.test(v))
    return fail(i, `invalid storage slot ${JSON.stringify(v)?.slice(0, 80)}`)
  return v === '0x' ? 0n : BigInt(v)
}

export type BlockTag = 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest'
/** A block parameter: a tag, a number, or an EIP-1898 hash object. */
export type BlockRef =
  { tag: BlockTag } | { number: bigint } | { hash: Hex; requireCanonical: boolean }

const TAGS = new Set(['latest', 'pending', 'safe', 'finalized', 'earliest'])

export function blockRef(v: unknown, i: number, fallback: BlockTag = 'latest'): BlockRef {
  if (v === undefined || v === null) return { tag: fallback }
  if (typeof v === 'string') {
    if (TAGS.has(v)) return { tag: v as BlockTag }
    return { number: quantity(v, i) }
  }
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>
    if (o.blockHash !== undefined) {
      if (o.blockNumber !== undefined)
        return fail(i, 'cannot specify both blockHash and blockNumber')
      return { hash: hash32(o.blockHash, i), requireCanonical: o.requireCanonical === true }
    }
    if (o.blockNumber !== undefined) return blockRef(o.blockNumber, i)
  }
  return fail(i, `invalid block parameter ${JSON.stringify(v)?.slice(0, 80)}`)
}

/** A transaction-like call object for eth_call / eth_estimateGas / eth_createAccessList. */
export type CallRequest = {
  from?: Address
  to?: Address
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  data?: Hex
  nonce?: bigint
  accessList?: { address: Address; storageKeys: Hex[] }[]
  authorizationList?: unknown[]
}

export function callRequest(v: unknown, i: number): CallRequest {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return fail(i, 'expected a transaction call object')
  const o = v as Record<string, unknown>
  if (o.data !== undefined && o.input !== undefined && o.data !== o.input)
    return fail(
      i,
      'both "data" and "input" are set and not equal. Please use "input" to pass transaction call data',
    )
  const input = o.input ?? o.data
  const out: CallRequest = {
    from: o.from == null ? undefined : address(o.from, i),
    to: o.to == null ? undefined : address(o.to, i),
    gas: optionalQuantity(o.gas, i),
    gasPrice: optionalQuantity(o.gasPrice, i),
    maxFeePerGas: optionalQuantity(o.maxFeePerGas, i),
    maxPriorityFeePerGas: optionalQuantity(o.maxPriorityFeePerGas, i),
    value: optionalQuantity(o.value, i),
    data: input == null ? undefined : data(input, i),
    nonce: optionalQuantity(o.nonce, i),
  }
  if (
    out.gasPrice !== undefined &&
    (out.maxFeePerGas !== undefined || out.maxPriorityFeePerGas !== undefined)
  )
    return fail(i, 'both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  if (o.accessList != null) {
    if (!Array.isArray(o.accessList)) return fail(i, 'accessList must be an array')
    out.accessList = o.accessList.map((e: { address?: unknown; storageKeys?: unknown }) => ({
      address: address(e?.address, i),
      storageKeys: Array.isArray(e?.storageKeys) ? e.storageKeys.map((k) => hash32(k, i)) : [],
    }))
  }
  if (o.authorizationList != null) {
    if (!Array.isArray(o.authorizationList)) return fail(i, 'authorizationList must be an array')
    out.authorizationList = o.authorizationList
  }
  return out
}

/** eth_call's state override set: per address balance, nonce, code, and full or partial storage. */
export type StateOverride = Record<
  Address,
  {
    balance?: bigint
    nonce?: bigint
    code?: Hex
    state?: Record<Hex, Hex>
    stateDiff?: Record<Hex, Hex>
  }
>

export function stateOverride(v: unknown, i: number): StateOverride | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) return fail(i, 'expected a state override object')
  const out: StateOverride = {}
  for (const [addr, raw] of Object.entries(v as Record<string, unknown>)) {
    const o = (raw ?? {}) as Record<string, unknown>
    if (o.state != null && o.stateDiff != null)
      return fail(i, `account ${addr} has both 'state' and 'stateDiff'`)
    const slots = (s: unknown) => {
      if (s == null) return undefined
      if (typeof s !== 'object') return fail(i, 'storage override must be an object')
      const m: Record<Hex, Hex> = {}
      for (const [k, val] of Object.entries(s as Record<string, unknown>))
        m[hash32(k, i)] = hash32(val, i)
      return m
    }
    out[address(addr, i)] = {
      balance: optionalQuantity(o.balance, i),
      nonce: optionalQuantity(o.nonce, i),
      code: o.code == null ? undefined : data(o.code, i),
      state: slots(o.state),
      stateDiff: slots(o.stateDiff),
    }
  }
  return out
}

/** Checks the argument count: at most `max`, at least `min`. */
export function arity(params: unknown[], min: number, max: number): void {
  if (params.length < min)
    throw new InvalidParamsError(`missing value for required argument ${params.length}`)
  if (params.length > max) throw new InvalidParamsError(`too many arguments, want at most ${max}`)
}

export function bool(v: unknown, i: number, fallback = false): boolean {
  if (v === undefined || v === null) return fallback
  if (typeof v !== 'boolean') return fail(i, `expected boolean, got ${typeof v}`)
  return v
}
