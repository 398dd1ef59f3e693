import {
  concat,
  decodeEventLog,
  encodePacked,
  keccak256,
  pad,
  parseAbiItem,
  type Hex,
  type Log,
} from 'viem'
import {
  getSourceHash,
  opaqueDataToDepositData,
  parseTransaction,
  serializeTransaction,
} from 'viem/op-stack'

/**
 * An OP Stack deposit transaction (type 0x7e): minted on L2 from an L1 portal log, or the L1-info
 * system deposit that opens every L2 block. No signature; its hash is keccak256 of the encoding.
 */
export type DepositTx = {
  sourceHash: Hex
  from: Hex
  /** undefined for a contract creation */
  to?: Hex
  mint: bigint
  value: bigint
  gas: bigint
  isSystemTx: boolean
  data: Hex
}

/** An L1 block as an L2 block's origin: what the L1-info deposit records. */
export type L1Origin = { number: bigint; hash: Hex; timestamp: bigint; baseFee: bigint }

/** The system address that sends L1-info deposits (OP's depositor account). */
export const DEPOSITOR_ACCOUNT: Hex = '0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001'
/** OP's L1Block predeploy, written by the L1-info deposit. */
export const L1_BLOCK_ADDRESS: Hex = '0x4200000000000000000000000000000000000015'
/** Gas of the L1-info deposit (OP's value). */
const L1_INFO_GAS = 1_000_000n
/** `setL1BlockValuesEcotone()` */
const SET_L1_BLOCK_VALUES_ECOTONE: Hex = '0x440a5e20'

export const transactionDepositedEvent = parseAbiItem(
  'event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData)',
)

/** The 0x7e encoding (what the transactions trie and batches' neighbours hash). */
export function encodeDeposit(d: DepositTx): Hex {
  return serializeTransaction({
    type: 'deposit',
    sourceHash: d.sourceHash,
    from: d.from,
    to: d.to,
    mint: d.mint,
    value: d.value,
    gas: d.gas,
    isSystemTx: d.isSystemTx,
    data: d.data,
  })
}

/** Parses a 0x7e encoding back; throws on anything else. */
export function decodeDeposit(raw: Hex): DepositTx {
  const t = parseTransaction(raw) as {
    type: string
    sourceHash: Hex
    from: Hex
    to?: Hex | null
    mint?: bigint
    value?: bigint
    gas?: bigint
    isSystemTx?: boolean
    data?: Hex
  }
  if (t.type !== 'deposit') throw new Error('not a deposit transaction')
  return {
    sourceHash: t.sourceHash,
    from: t.from.toLowerCase() as Hex,
    to: t.to ? (t.to.toLowerCase() as Hex) : undefined,
    mint: t.mint ?? 0n,
    value: t.value ?? 0n,
    gas: t.gas ?? 0n,
    isSystemTx: t.isSystemTx ?? false,
    data: t.data ?? '0x',
  }
}

/** Whether raw transaction bytes are a deposit. */
export function isDepositRaw(raw: Uint8Array): boolean {
  return raw[0] === 0x7e
}

/**
 * The deposit a portal `TransactionDeposited` log (version 0) makes on L2, with OP's user-deposit
 * source hash (L1 block hash, log index), so its L2 hash is the one viem's getL2TransactionHashes gives.
 */
export function depositFromLog(
  log: Pick<Log, 'topics' | 'data' | 'blockHash' | 'logIndex'>,
): DepositTx {
  const { args } = decodeEventLog({
    abi: [transactionDepositedEvent],
    topics: log.topics as [Hex, ...Hex[]],
    data: log.data,
  })
  if (args.version !== 0n) throw new Error(`unsupported deposit version ${args.version}`)
  const { mint, value, gas, isCreation, data } = opaqueDataToDepositData(args.opaqueData)
  return {
    sourceHash: getSourceHash({
      domain: 'userDeposit',
      l1BlockHash: log.blockHash!,
      l1LogIndex: log.logIndex!,
    }),
    from: args.from.toLowerCase() as Hex,
    to: isCreation ? undefined : (args.to.toLowerCase() as Hex),
    mint,
    value,
    gas,
    isSystemTx: false,
    data,
  }
}

/**
 * The L1-info deposit that opens an L2 block: sets L1Block's values (Ecotone packed calldata) from
 * the block's L1 origin and its sequence number within that origin's epoch. Fee scalars are zero.
 */
export function l1InfoDeposit(origin: L1Origin, sequenceNumber: bigint, batcher: Hex): DepositTx {
  const data = concat([
    SET_L1_BLOCK_VALUES_ECOTONE,
    encodePacked(
      [
        'uint32',
        'uint32',
        'uint64',
        'uint64',
        'uint64',
        'uint256',
        'uint256',
        'bytes32',
        'bytes32',
      ],
      [
        0, // baseFeeScalar
        0, // blobBaseFeeScalar
        sequenceNumber,
        origin.timestamp,
        origin.number,
        origin.baseFee,
        0n, // blobBaseFee
        origin.hash,
        pad(batcher, { size: 32 }),
      ],
    ),
  ])
  return {
    sourceHash: getSourceHash({
      domain: 'l1InfoDeposit',
      l1BlockHash: origin.hash,
      sequenceNumber: Number(sequenceNumber),
    }),
    from: DEPOSITOR_ACCOUNT,
    to: L1_BLOCK_ADDRESS,
    mint: 0n,
    value: 0n,
    gas: L1_INFO_GAS,
    isSystemTx: false,
    data,
  }
}

/** keccak256 of the encoding: the deposit's L2 transaction hash. */
export function depositHash(d: DepositTx): Hex {
  return keccak256(encodeDeposit(d))
}
