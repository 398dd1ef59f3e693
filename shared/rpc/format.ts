import type { Block } from '@ethereumjs/block'
import { RLP, type Input } from '@ethereumjs/rlp'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import type { RunTxResult } from '@ethereumjs/vm'
import { succeeded, type DepositOutcome } from '../execution/runDeposit.js'
import {
  numberToHex,
  type Hex,
  type RpcLog,
  type RpcTransaction,
  type RpcTransactionReceipt,
} from 'viem'

/** A block header as geth serves it, with transactions given by hash (or full objects later). */
export type RpcHeaderJson = Record<string, unknown> & {
  hash: Hex
  parentHash: Hex
  number: Hex
  timestamp: Hex
  transactions: unknown[]
}

const q = (n: bigint | number) => numberToHex(n)

/**
 * A block's size as geth reports it: the length of its RLP [header, transactions, uncles,
 * withdrawals], a typed transaction as its bytes, a legacy one as its list. From the signed bytes:
 * re-serialising the transaction objects cost more than the rest of the block's formatting.
 */
export function blockSize(block: Block, rawTxs: Uint8Array[]): number {
  const txs = rawTxs.map((raw) => (raw[0] >= 0xc0 ? (RLP.decode(raw) as Uint8Array[]) : raw))
  const body: Input[] = [block.header.raw(), txs, block.uncleHeaders.map((u) => u.raw())]
  if (block.withdrawals) body.push(block.withdrawals.map((w) => w.raw()))
  return RLP.encode(body).length
}

/** A block header as newHeads subscribers get it (geth's: no transactions, uncles or size). */
export function newHead(header: RpcHeaderJson): Record<string, unknown> {
  const { transactions: _t, uncles: _u, size: _s, ...head } = header
  return head
}

/**
 * The JSON-RPC block object (geth's field names) for a sealed ethereumjs block whose transactions
 * are `rawTxs` (signed bytes in block order, deposits included: the Block object holds only the
 * others) with hashes `txHashes`.
 */
export function formatBlock(block: Block, txHashes: Hex[], rawTxs: Uint8Array[]): RpcHeaderJson {
  const h = block.header
  const out: RpcHeaderJson = {
    hash: bytesToHex(block.hash()),
    parentHash: bytesToHex(h.parentHash),
    sha3Uncles: bytesToHex(h.uncleHash),
    miner: h.coinbase.toString(),
    stateRoot: bytesToHex(h.stateRoot),
    transactionsRoot: bytesToHex(h.transactionsTrie),
    receiptsRoot: bytesToHex(h.receiptTrie),
    logsBloom: bytesToHex(h.logsBloom),
    difficulty: q(h.difficulty),
    number: q(h.number),
    gasLimit: q(h.gasLimit),
    gasUsed: q(h.gasUsed),
    timestamp: q(h.timestamp),
    extraData: bytesToHex(h.extraData),
    mixHash: bytesToHex(h.mixHash),
    nonce: bytesToHex(h.nonce),
    baseFeePerGas: q(h.baseFeePerGas ?? 0n),
    size: q(blockSize(block, rawTxs)),
    uncles: [],
    transactions: txHashes,
  }
  if (h.withdrawalsRoot) {
    out.withdrawalsRoot = bytesToHex(h.withdrawalsRoot)
    out.withdrawals = []
  }
  if (h.blobGasUsed !== undefined) out.blobGasUsed = q(h.blobGasUsed)
  if (h.excessBlobGas !== undefined) out.excessBlobGas = q(h.excessBlobGas)
  if (h.parentBeaconBlockRoot) out.parentBeaconBlockRoot = bytesToHex(h.parentBeaconBlockRoot)
  if (h.requestsHash) out.requestsHash = bytesToHex(h.requestsHash)
  return out
}

/** Where a transaction sits once mined. */
export type TxLocation = { blockHash: Hex; blockNumber: bigint; index: number; baseFee: bigint }

/** The price a transaction pays per gas under a base fee (EIP-1559), as receipts report it. */
export function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint): bigint {
  if ('maxFeePerGas' in tx) {
    const tip =
      tx.maxFeePerGas - baseFee < tx.maxPriorityFeePerGas
        ? tx.maxFeePerGas - baseFee
        : tx.maxPriorityFeePerGas
    return baseFee + tip
  }
  return (tx as { gasPrice: bigint }).gasPrice
}

/** The JSON-RPC transaction object as geth serves it, pending (no location) or mined. */
export function formatTransaction(
  tx: TypedTransaction,
  from: Hex,
  loc?: TxLocation,
): RpcTransaction {
  const j = tx.toJSON() as Record<string, unknown>
  const out: Record<string, unknown> = {
    blockHash: loc?.blockHash ?? null,
    blockNumber: loc ? q(loc.blockNumber) : null,
    transactionIndex: loc ? q(loc.index) : null,
    from: from.toLowerCase(),
    gas: q(tx.gasLimit),
    hash: bytesToHex(tx.hash()),
    input: bytesToHex(tx.data),
    nonce: q(tx.nonce),
    to: tx.to ? tx.to.toString() : null,
    value: q(tx.value),
    type: q(tx.type),
    v: q(tx.v ?? 0n),
    r: q(tx.r ?? 0n),
    s: q(tx.s ?? 0n),
  }
  if ('maxFeePerGas' in tx) {
    out.maxFeePerGas = q(tx.maxFeePerGas)
    out.maxPriorityFeePerGas = q(tx.maxPriorityFeePerGas)
    out.gasPrice = q(loc ? effectiveGasPrice(tx, loc.baseFee) : tx.maxFeePerGas)
  } else {
    out.gasPrice = q((tx as { gasPrice: bigint }).gasPrice)
  }
  if (tx.type !== 0 || isEip155(tx)) out.chainId = q(tx.common.chainId())
  if (tx.type !== 0) {
    out.accessList = j.accessList ?? []
    out.yParity = q(tx.v ?? 0n)
  }
  if (j.authorizationList !== undefined) out.authorizationList = j.authorizationList
  return out as unknown as RpcTransaction
}

function isEip155(tx: TypedTransaction): boolean {
  return tx.type === 0 && (tx.v ?? 0n) >= 35n
}

/** The JSON-RPC receipt for a transaction's run result at its place in a block. */
export function formatReceipt(
  tx: TypedTransaction,
  from: Hex,
  result: RunTxResult,
  loc: TxLocation & { timestamp: bigint; firstLogIndex: number },
): RpcTransactionReceipt {
  const hash = bytesToHex(tx.hash())
  const logs = formatLogs(result.receipt.logs, hash, loc)
  return {
    blockHash: loc.blockHash,
    blockNumber: q(loc.blockNumber),
    contractAddress: result.createdAddress ? result.createdAddress.toString() : null,
    cumulativeGasUsed: q(result.receipt.cumulativeBlockGasUsed),
    effectiveGasPrice: q(effectiveGasPrice(tx, loc.baseFee)),
    from: from.toLowerCase() as Hex,
    gasUsed: q(result.totalGasSpent),
    logs,
    logsBloom: bytesToHex(result.bloom.bitvector),
    status: succeeded(result) ? '0x1' : '0x0',
    to: tx.to ? (tx.to.toString() as Hex) : null,
    transactionHash: hash,
    transactionIndex: q(loc.index),
    type: q(tx.type) as RpcTransactionReceipt['type'],
  } as RpcTransactionReceipt
}

/** A deposit (type 0x7e) as op-geth serves it: no signature (v, r, s zero), with its OP fields. */
export function formatDepositTransaction(
  o: DepositOutcome,
  hash: Hex,
  loc: TxLocation,
): RpcTransaction {
  const d = o.deposit
  return {
    blockHash: loc.blockHash,
    blockNumber: q(loc.blockNumber),
    transactionIndex: q(loc.index),
    from: d.from,
    gas: q(d.gas),
    gasPrice: '0x0',
    hash,
    input: d.data,
    nonce: q(o.depositNonce),
    to: d.to ?? null,
    value: q(d.value),
    type: '0x7e',
    v: '0x0',
    r: '0x0',
    s: '0x0',
    sourceHash: d.sourceHash,
    mint: q(d.mint),
    isSystemTx: d.isSystemTx,
    depositReceiptVersion: '0x1',
  } as unknown as RpcTransaction
}

/** A deposit's receipt as op-geth serves it (depositNonce, depositReceiptVersion; no gas price). */
export function formatDepositReceipt(
  o: DepositOutcome,
  hash: Hex,
  loc: TxLocation & { timestamp: bigint; firstLogIndex: number; cumulativeGasUsed: bigint },
): RpcTransactionReceipt {
  const result = o.result
  const logs = formatLogs(result?.receipt.logs ?? [], hash, loc)
  return {
    blockHash: loc.blockHash,
    blockNumber: q(loc.blockNumber),
    contractAddress: result?.createdAddress ? result.createdAddress.toString() : null,
    cumulativeGasUsed: q(loc.cumulativeGasUsed),
    effectiveGasPrice: '0x0',
    from: o.deposit.from,
    gasUsed: q(o.gasUsed),
    logs,
    logsBloom: bytesToHex(result ? result.bloom.bitvector : new Uint8Array(256)),
    status: succeeded(result) ? '0x1' : '0x0',
    to: o.deposit.to ?? null,
    transactionHash: hash,
    transactionIndex: q(loc.index),
    type: '0x7e',
    depositNonce: q(o.depositNonce),
    depositReceiptVersion: '0x1',
  } as unknown as RpcTransactionReceipt
}

/** A transaction's logs as RPC log objects at its place in a block. */
function formatLogs(
  logs: RunTxResult['receipt']['logs'],
  hash: Hex,
  loc: TxLocation & { timestamp: bigint; firstLogIndex: number },
): RpcLog[] {
  return logs.map(([address, topics, data], i) => ({
    address: bytesToHex(address).toLowerCase() as Hex,
    topics: topics.map((t) => bytesToHex(t)) as [Hex, ...Hex[]],
    data: bytesToHex(data),
    blockNumber: q(loc.blockNumber),
    blockHash: loc.blockHash,
    blockTimestamp: q(loc.timestamp),
    transactionHash: hash,
    transactionIndex: q(loc.index),
    logIndex: q(loc.firstLogIndex + i),
    removed: false,
  })) as RpcLog[]
}
