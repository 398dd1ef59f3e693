import { Block, createBlock, createBlockHeader, type BlockHeader } from '@ethereumjs/block'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Address, bigIntToBytes, hexToBytes, intToBytes, setLengthLeft } from '@ethereumjs/util'
import { keccak256 } from 'viem'
import { batchUpdate, type TrieWrite } from '../state/batchTrie.js'
import { encodeDeposit, type DepositTx } from '../chain/depositTx.js'
import { runDeposit, succeeded, type DepositOutcome } from './runDeposit.js'
import { Bloom, encodeReceipt, runTx, type RunTxResult } from '@ethereumjs/vm'
import type { Address as Hex20 } from 'viem'
import type { Execution } from './createExecution.js'
import { RetryableError } from '../errors.js'
import { gethWording } from './simulate.js'

/** A transaction ready to execute: decoded, with its sender already recovered. */
export type ReadyTx = {
  hash: `0x${string}`
  sender: `0x${string}`
  tx: TypedTransaction
  /** The transaction's EIP-2718 bytes, as signed. */
  raw: Uint8Array
}

/**
 * Candidates in block order (geth's `TransactionsByPriceAndNonce`): `peek` the best, `shift` to take
 * it and move to its sender's next nonce, `pop` to skip the rest of its sender's transactions.
 */
export type TxCandidates = { peek(): ReadyTx | undefined; shift(): void; pop(): void }

/**
 * What runTx throws for a transaction that cannot run on this state (its sender's fault: nonce,
 * funds, gas, fees, an EOA check, a type this chain lacks), as opposed to a node fault.
 */
const INVALID_TX = new RegExp(
  [
    "doesn't have enough funds",
    "doesn't have the correct nonce",
    'INTRINSIC_GAS_TOO_LOW',
    'intrinsic regular gas',
    'higher gas limit than the block',
    "is less than the block's baseFeePerGas",
    'is not EOA',
    'value field cannot be negative',
    'blob transactions are only valid',
    'maxFeePerBlobGas',
    'Cannot run transaction: EIP',
    'different hardfork',
  ].join('|'),
)

/** Whether runTx threw because the transaction is invalid here (see INVALID_TX). */
export function isTransactionInvalid(err: unknown): boolean {
  return err instanceof Error && INVALID_TX.test(err.message)
}

/**
 * A node fault while a block was built (an exception that is not the transaction's invalidity): the
 * block was abandoned with its state reverted; `hash` names the transaction it ran, which stays
 * pooled. The sequencer tries the block again later.
 */
export class BlockBuildFault extends RetryableError {
  override name = 'BlockBuildFault'
  constructor(
    readonly hash: `0x${string}`,
    cause: unknown,
  ) {
    super(`node fault while running transaction ${hash}; the block is retried`, { cause })
  }
}

/** What happened to each candidate. */
export type BlockOutcome = {
  block: Block
  /** The deposits, first in the block, in order. */
  deposits: DepositOutcome[]
  included: { ready: ReadyTx; result: RunTxResult }[]
  /** Invalid against the state at their turn; they leave the pool with this reason. */
  dropped: { ready: ReadyTx; reason: string }[]
}

/** EIP-2935's history contract and ring size: the parent hash is stored before the first transaction. */
const HISTORY_STORAGE = new Address(hexToBytes('0x0000F90827F1C53a10cb7A02335B175320002935'))
const HISTORY_SERVE_WINDOW = 8191n

/**
 * The system writes a block makes before its transactions (EIP-2935: the parent hash into the history
 * contract, if deployed), as ethereumjs's runBlock does. Every re-execution of a block runs it too.
 */
export async function applyBlockPrelude(exec: Execution, header: BlockHeader): Promise<void> {
  if (header.number === 0n || !exec.common.isActivatedEIP(2935)) return
  if ((await exec.state.getCode(HISTORY_STORAGE)).length === 0) return
  const slot = setLengthLeft(bigIntToBytes((header.number - 1n) % HISTORY_SERVE_WINDOW), 32)
  await exec.state.putStorage(HISTORY_STORAGE, slot, header.parentHash)
}

export type BuildBlockOpts = {
  timestamp: bigint
  coinbase: Hex20
  gasLimit: bigint
  /** Deposits that open the block (the L1-info deposit, then user deposits in L1 order). */
  deposits?: readonly DepositTx[]
}

/**
 * The block with a zero base fee, which deposits execute in: they pay no gas price (OP Stack). The
 * BASEFEE opcode therefore reads 0 inside a deposit.
 */
export function depositEnv(header: BlockHeader): Block {
  return createBlock(
    { header: { ...header.toJSON(), baseFeePerGas: 0n, gasUsed: 0n } },
    { common: header.common },
  )
}

/** A deposit receipt's consensus encoding (Canyon): 0x7e ‖ rlp([status, cumulative gas, bloom, logs, depositNonce, 1]). */
export function encodeDepositReceipt(o: DepositOutcome, cumulativeGasUsed: bigint): Uint8Array {
  const body = RLP.encode([
    succeeded(o.result) ? intToBytes(1) : new Uint8Array(),
    bigIntToBytes(cumulativeGasUsed),
    o.result ? o.result.bloom.bitvector : new Uint8Array(256),
    o.result ? o.result.receipt.logs : [],
    bigIntToBytes(o.depositNonce),
    intToBytes(1),
  ])
  const out = new Uint8Array(body.length + 1)
  out[0] = 0x7e
  out.set(body, 1)
  return out
}

/**
 * Executes candidates on top of `parent` with `runTx` against one fixed header and computes the
 * roots once (BlockBuilder rebuilds the block per transaction, which is quadratic). The whole block
 * runs inside one state checkpoint, so nothing reaches the trie until the block is complete; on any
 * throw the state is reverted and the parent stays the head.
 */
export async function buildBlock(
  exec: Execution,
  parent: BlockHeader,
  candidates: TxCandidates,
  opts: BuildBlockOpts,
): Promise<BlockOutcome> {
  const { vm, state, common } = exec
  const headerData = {
    parentHash: parent.hash(),
    coinbase: opts.coinbase,
    number: parent.number + 1n,
    gasLimit: opts.gasLimit,
    timestamp: opts.timestamp > parent.timestamp ? opts.timestamp : parent.timestamp + 1n,
    baseFeePerGas: parent.calcNextBaseFee(),
    // Deterministic randomness: every peer derives the same value from the chain alone.
    mixHash: keccak256(parent.hash(), 'bytes'),
    excessBlobGas: 0n,
    blobGasUsed: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
  }
  const env = createBlock({ header: headerData }, { common })
  const baseFee = headerData.baseFeePerGas
  const included: BlockOutcome['included'] = []
  const dropped: BlockOutcome['dropped'] = []
  const deposits: DepositOutcome[] = []
  let gasUsed = 0n

  await state.checkpoint()
  try {
    await applyBlockPrelude(exec, env.header)
    if (opts.deposits?.length) {
      const unpriced = depositEnv(env.header)
      for (const d of opts.deposits) {
        const outcome = await runDeposit(exec, d, unpriced, gasUsed)
        gasUsed += outcome.gasUsed
        deposits.push(outcome)
      }
    }
    for (let next = candidates.peek(); next; next = candidates.peek()) {
      const { tx } = next
      if (gasUsed + tx.gasLimit > opts.gasLimit) {
        candidates.pop() // does not fit; waits for the next block
        continue
      }
      if (
        'maxFeePerGas' in tx
          ? tx.maxFeePerGas < baseFee
          : (tx as { gasPrice: bigint }).gasPrice < baseFee
      ) {
        candidates.pop() // priced below the base fee; waits until the fee falls
        continue
      }
      try {
        const result = await runTx(vm, {
          tx,
          block: env,
          blockGasUsed: gasUsed,
          skipHardForkValidation: true,
        })
        gasUsed += result.totalGasSpent
        included.push({ ready: next, result })
        candidates.shift()
      } catch (err) {
        // The transaction's own fault drops it; a node fault (storage, a bug) ends the block here
        // with nothing committed, and the transaction stays pooled for the next attempt.
        if (!isTransactionInvalid(err)) throw new BlockBuildFault(next.hash, err)
        dropped.push({ ready: next, reason: gethWording((err as Error).message) })
        candidates.pop()
      }
    }
    await state.commit()
    await state.flush()
  } catch (err) {
    await state.revert()
    exec.nodes.discard()
    throw err
  }

  const txs = included.map((i) => i.ready.tx)
  const txWrites: TrieWrite[] = []
  const receiptWrites: TrieWrite[] = []
  const bloom = new Bloom(undefined, common)
  let cumulative = 0n
  for (const o of deposits) {
    cumulative += o.gasUsed
    const key = RLP.encode(txWrites.length)
    txWrites.push({ key, value: hexToBytes(encodeDeposit(o.deposit)) })
    receiptWrites.push({ key, value: encodeDepositReceipt(o, cumulative) })
    if (o.result) bloom.or(o.result.bloom)
  }
  for (const { result, ready } of included) {
    const key = RLP.encode(txWrites.length)
    txWrites.push({ key, value: ready.raw })
    receiptWrites.push({ key, value: encodeReceipt(result.receipt, ready.tx.type) })
    bloom.or(result.bloom)
  }
  const txTrie = new MerklePatriciaTrie({ common })
  const receiptTrie = new MerklePatriciaTrie({ common })
  await batchUpdate(txTrie, txWrites)
  await batchUpdate(receiptTrie, receiptWrites)
  // The transaction objects are the pool's own: `createBlock` would decode each one again.
  const header = createBlockHeader(
    {
      ...headerData,
      stateRoot: await state.getStateRoot(),
      transactionsTrie: txTrie.root(),
      receiptTrie: receiptTrie.root(),
      logsBloom: bloom.bitvector,
      gasUsed,
    },
    { common },
  )
  const block = new Block(header, txs, [], undefined, { common })
  return { block, deposits, included, dropped }
}
