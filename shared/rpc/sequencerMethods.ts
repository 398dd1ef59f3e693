import { createBlock } from '@ethereumjs/block'
import { getMerkleStateProof } from '@ethereumjs/statemanager'
import { runTx } from '@ethereumjs/vm'
import { Address, bytesToHex, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { numberToHex, type Hex, type RpcTransactionReceipt } from 'viem'
import type { ChainCore } from '../chain/chainCore.js'
import type { Config } from '../config.js'
import { withEvmDeadline } from '../execution/evmDeadline.js'
import type { StoredBlock } from '../chain/chainStore.js'
import type { BlockHeader } from '@ethereumjs/block'
import type { Execution } from '../execution/createExecution.js'
import { InvalidParamsError, ResourceNotFoundError } from '../errors.js'
import { applyBlockPrelude, depositEnv } from '../execution/buildBlock.js'
import { depositCall, mintDeposit, runDeposit } from '../execution/runDeposit.js'
import { decodeDeposit, isDepositRaw } from '../chain/depositTx.js'
import { createAccessList, estimateGas } from '../execution/estimateGas.js'
import {
  applyStateOverride,
  assertCallSucceeded,
  buildCallTx,
  callGasCap,
  simulate,
} from '../execution/simulate.js'
import { traceTransaction, type TraceConfig } from '../execution/traceTransaction.js'
import { restoreTransaction } from '../txpool/decodeRawTransaction.js'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Forwarded, Outbox } from '../forwarding/outbox.js'
import { pendingNonce as nextNonce } from '../forwarding/forwardPolicy.js'
import { formatTransaction } from './format.js'
import { feeHistory, suggestTip } from './feeHistory.js'
import * as p from './params.js'
import { optimismMethods } from './optimismMethods.js'
import { stallMethods } from './stallMethods.js'

/** The per-request bounds of the EVM methods (wrangler.toml vars; see `Config`). */
export type CallLimits = Pick<Config, 'rpcGasCap' | 'rpcEvmTimeoutMs' | 'rpcTraceMaxBytes'>

/**
 * What a node forwarded to the sequencer and has not seen safely mined (its `Outbox`): pending-state
 * reads count it, so any node answers them as the sequencer would (invariant 9).
 */
export type ForwardedView = Pick<Outbox, 'get' | 'ofSender' | 'all' | 'droppedReason'>

/** A method the sequencer answers from its own storage: decode params, call the domain, format. */
export type SequencerMethod = (
  chain: ChainCore,
  params: unknown[],
  limits: CallLimits,
  forwarded?: ForwardedView,
) => Promise<unknown>

const q = (n: bigint | number) => numberToHex(n)

function blockJson(chain: ChainCore, b: StoredBlock | undefined, full: boolean) {
  if (!b) return null
  const rpc = JSON.parse(b.rpc)
  if (full) rpc.transactions = chain.store.txsOfBlock(b.number).map((t) => JSON.parse(t.rpc))
  return rpc
}

/**
 * The next nonce counting pooled and forwarded transactions (`pendingNonce` of the forwarding
 * policy): on a node that is not sequencing, what it forwarded stands in for the sequencer's pool.
 */
async function pendingNonce(
  chain: ChainCore,
  address: Hex,
  forwarded?: ForwardedView,
): Promise<bigint> {
  const sender = address.toLowerCase() as Hex
  const { nonce } = await chain.headAccount(sender)
  const sent = new Set(forwarded?.ofSender(sender, nonce).map((f) => f.nonce))
  const pool = chain.sequencing?.pool
  return nextNonce(nonce, (n) => sent.has(n) || pool?.at(sender, n) !== undefined)
}

/** A forwarded transaction as eth_getTransactionByHash answers a pending one (no block yet). */
function forwardedTx(chain: ChainCore, forwarded: ForwardedView | undefined, hash: Hex) {
  const f = forwarded?.get(hash)
  if (!f?.sender) return undefined
  return {
    raw: f.raw,
    tx: restoreTransaction(f.raw, { address: f.sender }, chain.chainId),
    sender: f.sender,
  }
}

type PoolView = { sender: Hex; nonce: bigint; tx: TypedTransaction }

/**
 * The pool's executable and queued entries; on a node that is not sequencing, what it forwarded
 * and has not seen mined stands in for the pool (pending from the state nonce in a row, else queued).
 */
async function poolSplit(chain: ChainCore, forwarded?: ForwardedView) {
  const s = chain.sequencing
  if (s) return s.pool.split(await s.senderNonces())
  const pending: PoolView[] = []
  const queued: PoolView[] = []
  const bySender = new Map<Hex, Forwarded[]>()
  for (const f of forwarded?.all() ?? [])
    if (f.sender && !chain.store.tx(f.hash))
      bySender.set(f.sender, [...(bySender.get(f.sender) ?? []), f])
  for (const [sender, entries] of bySender) {
    let next = (await chain.headAccount(sender)).nonce
    for (const f of entries.sort((a, b) => (a.nonce < b.nonce ? -1 : 1))) {
      if (f.nonce < next) continue
      const e = {
        sender,
        nonce: f.nonce,
        tx: restoreTransaction(f.raw, { address: sender }, chain.chainId),
      }
      if (f.nonce === next) {
        pending.push(e)
        next++
      } else queued.push(e)
    }
  }
  return { pending, queued }
}

/**
 * Runs `fn` on the state after the block `ref` names, under the EVM deadline (RPC_EVM_TIMEOUT): past
 * it the run stops and the answer is geth's "execution aborted (timeout = 5s)".
 */
function withState<T>(
  chain: ChainCore,
  ref: p.BlockRef,
  limits: CallLimits,
  fn: (exec: Execution, header: BlockHeader) => Promise<T>,
) {
  return withStateOf(chain, chain.resolveOrThrow(ref), limits, fn)
}

function withStateOf<T>(
  chain: ChainCore,
  block: StoredBlock,
  limits: CallLimits,
  fn: (exec: Execution, header: BlockHeader) => Promise<T>,
) {
  return chain.withStateAt(block, (exec, header) =>
    withEvmDeadline(exec.vm, limits.rpcEvmTimeoutMs, () => fn(exec, header)),
  )
}

/** The gas a call gets without a `gas` field, and the most it may ask: RPC_GAS_CAP within the chain's own cap. */
function gasCap(exec: Execution, header: BlockHeader, limits: CallLimits): bigint {
  const cap = callGasCap(exec.common, header)
  return limits.rpcGasCap > 0n && limits.rpcGasCap < cap ? limits.rpcGasCap : cap
}

async function readState(chain: ChainCore, ref: p.BlockRef) {
  return chain.stateOnlyAt(chain.resolveOrThrow(ref))
}

/** The methods served by the shard's sequencer Durable Object (state, blocks, pool, tracing). */
const methods: Record<string, SequencerMethod> = {
  ...optimismMethods,
  eth_blockNumber: async (chain) => q(chain.headHeader.number),

  eth_syncing: async () => false,

  eth_gasPrice: async (chain) => q(chain.nextBaseFee() + (await suggestTip(chain))),

  eth_maxPriorityFeePerGas: async (chain) => q(await suggestTip(chain)),

  eth_feeHistory: async (chain, params) => {
    p.arity(params, 2, 3)
    // geth takes the count as a hex quantity or a JSON number (a non-negative integer).
    const n = params[0]
    if (typeof n === 'number' && !(Number.isSafeInteger(n) && n >= 0))
      throw new InvalidParamsError(
        `invalid argument 0: block count ${n} is not a non-negative integer`,
      )
    const count = typeof n === 'number' ? BigInt(n) : p.quantity(n, 0)
    const newest = chain.resolveOrThrow(p.blockRef(params[1], 1))
    const percentiles = params[2] ?? []
    if (
      !Array.isArray(percentiles) ||
      percentiles.some(
        (x, i) => typeof x !== 'number' || x < 0 || x > 100 || (i > 0 && x < percentiles[i - 1]),
      )
    )
      throw new InvalidParamsError(
        'invalid argument 2: reward percentiles must be ascending numbers in [0, 100]',
      )
    return feeHistory(chain, count, newest.number, percentiles as number[])
  },

  eth_getBalance: async (chain, params) => {
    p.arity(params, 1, 2)
    const addr = p.address(params[0], 0)
    const state = await readState(chain, p.blockRef(params[1], 1))
    return q((await state.getAccount(new Address(hexToBytes(addr))))?.balance ?? 0n)
  },

  eth_getTransactionCount: async (chain, params, _limits, forwarded) => {
    p.arity(params, 1, 2)
    const addr = p.address(params[0], 0)
    const ref = p.blockRef(params[1], 1)
    if ('tag' in ref && ref.tag === 'pending') return q(await pendingNonce(chain, addr, forwarded))
    const state = await readState(chain, ref)
    return q((await state.getAccount(new Address(hexToBytes(addr))))?.nonce ?? 0n)
  },

  eth_getCode: async (chain, params) => {
    p.arity(params, 1, 2)
    const addr = p.address(params[0], 0)
    const state = await readState(chain, p.blockRef(params[1], 1))
    return bytesToHex(await state.getCode(new Address(hexToBytes(addr))))
  },

  eth_getStorageAt: async (chain, params) => {
    p.arity(params, 2, 3)
    const addr = p.address(params[0], 0)
    const slot = setLengthLeft(hexToBytes(numberToHex(p.slot(params[1], 1))), 32)
    const state = await readState(chain, p.blockRef(params[2], 2))
    const value = await state.getStorage(new Address(hexToBytes(addr)), slot)
    return bytesToHex(setLengthLeft(value, 32))
  },

  eth_call: async (chain, params, limits) => {
    p.arity(params, 1, 4)
    const req = p.callRequest(params[0], 0)
    const override = p.stateOverride(params[2], 2)
    return withState(chain, p.blockRef(params[1], 1), limits, async (exec, header) => {
      await applyStateOverride(exec, override)
      const cap = gasCap(exec, header, limits)
      const result = await simulate(
        exec,
        header,
        req,
        req.gas !== undefined && req.gas < cap ? req.gas : cap,
      )
      assertCallSucceeded(result)
      return bytesToHex(result.execResult.returnValue)
    })
  },

  eth_estimateGas: async (chain, params, limits) => {
    p.arity(params, 1, 3)
    const req = p.callRequest(params[0], 0)
    const override = p.stateOverride(params[2], 2)
    return withState(chain, p.blockRef(params[1], 1), limits, async (exec, header) => {
      await applyStateOverride(exec, override)
      return q(await estimateGas(exec, header, req, gasCap(exec, header, limits)))
    })
  },

  eth_createAccessList: async (chain, params, limits) => {
    p.arity(params, 1, 2)
    const req = p.callRequest(params[0], 0)
    return withState(chain, p.blockRef(params[1], 1), limits, async (exec, header) => {
      const out = await createAccessList(exec, header, req, gasCap(exec, header, limits))
      return { ...out, gasUsed: q(out.gasUsed) }
    })
  },

  eth_getProof: async (chain, params) => {
    p.arity(params, 2, 3)
    const addr = p.address(params[0], 0)
    if (!Array.isArray(params[1]))
      throw new InvalidParamsError('invalid argument 1: expected an array of storage keys')
    const keys = params[1].map((k) => setLengthLeft(hexToBytes(numberToHex(p.slot(k, 1))), 32))
    const state = await readState(chain, p.blockRef(params[2], 2))
    const proof = await getMerkleStateProof(state, new Address(hexToBytes(addr)), keys)
    return {
      ...proof,
      address: addr,
      storageProof: proof.storageProof.map((s, i) => ({
        ...s,
        key: (params[1] as Hex[])[i],
        value: q(BigInt(s.value)),
      })),
    }
  },

  eth_getBlockByNumber: async (chain, params) => {
    p.arity(params, 1, 2)
    return blockJson(chain, chain.resolve(p.blockRef(params[0], 0)), p.bool(params[1], 1))
  },

  eth_getBlockByHash: async (chain, params) => {
    p.arity(params, 1, 2)
    return blockJson(chain, chain.store.blockByHash(p.hash32(params[0], 0)), p.bool(params[1], 1))
  },

  eth_getBlockTransactionCountByNumber: async (chain, params) => {
    p.arity(params, 1, 1)
    const b = chain.resolve(p.blockRef(params[0], 0))
    return b ? q(JSON.parse(b.rpc).transactions.length) : null
  },

  eth_getBlockTransactionCountByHash: async (chain, params) => {
    p.arity(params, 1, 1)
    const b = chain.store.blockByHash(p.hash32(params[0], 0))
    return b ? q(JSON.parse(b.rpc).transactions.length) : null
  },

  eth_getTransactionByBlockNumberAndIndex: async (chain, params) => {
    p.arity(params, 2, 2)
    const b = chain.resolve(p.blockRef(params[0], 0))
    const t = b && chain.store.txAt(b.number, Number(p.quantity(params[1], 1)))
    return t ? JSON.parse(t.rpc) : null
  },

  eth_getTransactionByBlockHashAndIndex: async (chain, params) => {
    p.arity(params, 2, 2)
    const b = chain.store.blockByHash(p.hash32(params[0], 0))
    const t = b && chain.store.txAt(b.number, Number(p.quantity(params[1], 1)))
    return t ? JSON.parse(t.rpc) : null
  },

  eth_getTransactionByHash: async (chain, params, _limits, forwarded) => {
    p.arity(params, 1, 1)
    const hash = p.hash32(params[0], 0)
    const mined = chain.store.tx(hash)
    if (mined) return JSON.parse(mined.rpc)
    const pending = chain.sequencing?.pool.get(hash) ?? forwardedTx(chain, forwarded, hash)
    return pending ? formatTransaction(pending.tx, pending.sender) : null
  },

  eth_getRawTransactionByHash: async (chain, params, _limits, forwarded) => {
    p.arity(params, 1, 1)
    const hash = p.hash32(params[0], 0)
    const raw =
      chain.store.tx(hash)?.raw ??
      chain.sequencing?.pool.get(hash)?.raw ??
      forwarded?.get(hash)?.raw
    return raw ? bytesToHex(raw) : null
  },

  eth_getTransactionReceipt: async (chain, params) => {
    p.arity(params, 1, 1)
    const t = chain.store.tx(p.hash32(params[0], 0))
    return t ? JSON.parse(t.receipt) : null
  },

  eth_getBlockReceipts: async (chain, params) => {
    p.arity(params, 1, 1)
    const b = chain.resolve(p.blockRef(params[0], 0))
    return b
      ? chain.store.txsOfBlock(b.number).map((t) => JSON.parse(t.receipt) as RpcTransactionReceipt)
      : null
  },

  /** Not in geth: where a transaction stands (invariant 5: mined, pending, or dropped with a reason). */
  edge_getTransactionStatus: async (chain, params, _limits, forwarded) => {
    p.arity(params, 1, 1)
    const hash = p.hash32(params[0], 0)
    const mined = chain.store.tx(hash)
    if (mined) return { status: 'mined', blockNumber: q(mined.blockNumber) }
    if (chain.sequencing?.pool.get(hash) || forwarded?.get(hash)) return { status: 'pending' }
    const reason = chain.sequencing?.droppedReason(hash) ?? forwarded?.droppedReason(hash)
    return reason ? { status: 'dropped', reason } : { status: 'unknown' }
  },

  /** Not in geth: the L1 transaction whose batch carries an L2 block, or null before it is posted. */
  edge_getBatchByBlock: async (chain, params) => {
    p.arity(params, 1, 1)
    const ref = p.blockRef(params[0], 0)
    const block = chain.resolve(ref)
    if (!block) return null
    const batch = chain.store.batchOf(Number(block.number))
    return batch
      ? {
          firstBlock: q(batch.first),
          lastBlock: q(batch.last),
          l1TransactionHash: batch.l1Tx,
          l1BlockNumber: q(batch.l1Block),
          bytes: q(batch.bytes),
        }
      : null
  },

  txpool_status: async (chain, _params, _limits, forwarded) => {
    const { pending, queued } = await poolSplit(chain, forwarded)
    return { pending: q(pending.length), queued: q(queued.length) }
  },

  txpool_content: async (chain, _params, _limits, forwarded) => {
    const { pending, queued } = await poolSplit(chain, forwarded)
    const group = (entries: typeof pending) => {
      const out: Record<string, Record<string, unknown>> = {}
      for (const e of entries)
        (out[e.sender] ??= {})[e.nonce.toString()] = formatTransaction(e.tx, e.sender)
      return out
    }
    return { pending: group(pending), queued: group(queued) }
  },

  debug_traceTransaction: async (chain, params, limits) => {
    p.arity(params, 1, 2)
    const hash = p.hash32(params[0], 0)
    const mined = chain.store.tx(hash)
    if (!mined) throw new ResourceNotFoundError(`transaction ${hash} not found`)
    const block = chain.store.blockByNumber(mined.blockNumber)!
    const parent = chain.store.blockByNumber(mined.blockNumber - 1n)!
    const config = traceConfig(params[1], limits)
    const header = chain.header(block)
    // Replays the block on its parent's state up to the transaction, then traces that one.
    return withStateOf(chain, parent, limits, async (exec) => {
      const env = createBlock(
        { header: { ...header.toJSON(), gasUsed: 0n } },
        { common: exec.common },
      )
      await applyBlockPrelude(exec, header)
      let gasUsed = 0n
      const unpriced = depositEnv(header)
      for (const t of chain.store.txsOfBlock(block.number)) {
        if (isDepositRaw(t.raw)) {
          const d = decodeDeposit(bytesToHex(t.raw))
          if (t.hash === hash) {
            const tx = depositCall(exec, d, await mintDeposit(exec, d))
            const opts = {
              tx,
              block: unpriced,
              blockGasUsed: gasUsed,
              skipHardForkValidation: true,
            }
            return traceTransaction(exec.vm, opts, config)
          }
          gasUsed += (await runDeposit(exec, d, unpriced, gasUsed)).gasUsed
          continue
        }
        const tx = restoreTransaction(t.raw, { address: JSON.parse(t.rpc).from }, chain.chainId)
        const opts = { tx, block: env, blockGasUsed: gasUsed, skipHardForkValidation: true }
        if (t.hash === hash) return traceTransaction(exec.vm, opts, config)
        gasUsed += (await runTx(exec.vm, opts)).totalGasSpent
      }
      throw new ResourceNotFoundError(`transaction ${hash} not found`)
    })
  },

  debug_traceCall: async (chain, params, limits) => {
    p.arity(params, 1, 3)
    const req = p.callRequest(params[0], 0)
    const config = traceConfig(params[2], limits)
    return withState(chain, p.blockRef(params[1], 1), limits, async (exec, header) => {
      const priced = req.gasPrice !== undefined || req.maxFeePerGas !== undefined
      const env = createBlock(
        {
          header: {
            ...header.toJSON(),
            baseFeePerGas: priced ? header.baseFeePerGas : 0n,
            gasUsed: 0n,
          },
        },
        { common: exec.common },
      )
      const cap = gasCap(exec, header, limits)
      const tx = buildCallTx(
        exec.common,
        req,
        req.gas !== undefined && req.gas < cap ? req.gas : cap,
      )
      return traceTransaction(
        exec.vm,
        {
          tx,
          block: env,
          skipNonce: true,
          skipBalance: !priced,
          skipBlockGasLimitValidation: true,
          skipHardForkValidation: true,
        },
        config,
      )
    })
  },
}

/**
 * The sequencer's methods by name: own keys only (a Map), so no name reaches Object.prototype
 * (`toString`, `constructor`, `__proto__` are unknown methods, -32601).
 */
export const sequencerMethods: ReadonlyMap<string, SequencerMethod> = new Map(
  Object.entries({ ...methods, ...stallMethods }),
)

const TRACERS = new Set(['', 'callTracer', 'prestateTracer'])

function traceConfig(v: unknown, limits: CallLimits): TraceConfig {
  if (v === undefined || v === null) return { maxBytes: limits.rpcTraceMaxBytes }
  if (typeof v !== 'object' || Array.isArray(v))
    throw new InvalidParamsError('invalid argument 1: expected a trace config object')
  const config = v as TraceConfig
  if (config.tracer !== undefined && !TRACERS.has(config.tracer))
    throw new InvalidParamsError(
      `tracer not supported: ${String(config.tracer)}; use callTracer or prestateTracer`,
    )
  if (
    config.tracerConfig !== undefined &&
    (typeof config.tracerConfig !== 'object' || config.tracerConfig === null)
  )
    throw new InvalidParamsError('invalid argument 1: tracerConfig must be an object')
  if (config.tracerConfig?.diffMode)
    throw new InvalidParamsError('tracer not supported: prestateTracer (diffMode)')
  return { ...config, maxBytes: limits.rpcTraceMaxBytes }
}
