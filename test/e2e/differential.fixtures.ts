import { createHash, generateKeyPairSync, sign as ecdsaSign } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  concat,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeErrorResult,
  encodeFunctionData,
  keccak256,
  numberToHex,
  parseAbi,
  parseGwei,
  parseSignature,
  toHex,
  type Address,
  type ContractFunctionName,
  type Hex,
  type TransactionSerializable,
} from 'viem'
import { sign as signAsHex } from 'viem/accounts'
import { probeAbi } from '../../generated/contracts/Probe.js'
import { devAccount, rpc } from './node.fixtures.js'
import { startAnvil, startNode, type Anvil, type L2Node } from './processes.js'

/**
 * The differential harness: our node and anvil side by side, the same signed bytes sent to both, views
 * of receipts and call outcomes that keep exactly what must be equal, and the table of Probe calls with
 * outcomes worked out independently of both chains. Pure Node, no test framework.
 */

/** The two chains under test. */
export const SIDES = ['ours', 'anvil'] as const
export type Side = (typeof SIDES)[number]
export type Both<T> = Record<Side, T>

/** The chain id both run. */
export const CHAIN_ID = 901

/**
 * anvil's `--base-fee` is the base fee of its genesis *and* of block 1 (it only starts to move from
 * block 2 on), while our block 1 already has the EIP-1559 successor of our 1 gwei genesis: 0.875 gwei
 * after an empty genesis. Starting anvil at 0.875 gwei makes every block from 1 on carry the same base
 * fee on both chains (same formula, same gas used per block), so effectiveGasPrice, and balances, are
 * comparable. Only the genesis base fees differ (1 gwei against 0.875 gwei); no transaction sees them.
 */
export const ANVIL_BASE_FEE = 875_000_000n

/** Both processes, started once per file; automine on both (one block per transaction). */
export async function startPair(): Promise<{ node: L2Node; anvil: Anvil; urls: Both<string> }> {
  const [node, anvil] = await Promise.all([
    startNode({ vars: { BLOCK_TIME_MS: '0' } }),
    startAnvil({
      chainId: CHAIN_ID,
      hardfork: 'osaka',
      extraArgs: ['--base-fee', String(ANVIL_BASE_FEE), '--gas-limit', '30000000'],
    }),
  ])
  return { node, anvil, urls: { ours: `${node.url}/chain/${CHAIN_ID}`, anvil: anvil.url } }
}

/** EIP-1559 fees for every type-2/4 transaction: far above any base fee here, with a fixed tip. */
export const FEES = { maxFeePerGas: parseGwei('100'), maxPriorityFeePerGas: parseGwei('1') }
/** The gas price of legacy and EIP-2930 transactions. */
export const GAS_PRICE = parseGwei('10')

type Unsigned = Omit<TransactionSerializable, 'chainId' | 'nonce'>

/** A dev account that signs each transaction once, with the next nonce it keeps itself. */
export function createSigner(index: number) {
  const account = devAccount(index)
  let nonce = 0
  return {
    account,
    address: account.address,
    /** The nonce the next signed transaction gets. */
    get nonce() {
      return nonce
    },
    /** Signs `tx` (EIP-1559 by default) with chain id 901 and the next nonce. */
    async sign(tx: Unsigned): Promise<Hex> {
      const priced = 'gasPrice' in tx && tx.gasPrice !== undefined ? {} : FEES
      const raw = await account.signTransaction({
        ...priced,
        ...tx,
        chainId: CHAIN_ID,
        nonce,
      } as TransactionSerializable)
      nonce++
      return raw
    },
  }
}
export type Signer = ReturnType<typeof createSigner>

/** A mined transaction: its receipt and the base fee of its block, as one side served them. */
export type Mined = { receipt: any; baseFeePerGas: bigint }

/**
 * Polls for the receipt of `hash`. On our node a transaction the sequencer dropped never gets one, so
 * `edge_getTransactionStatus` turns that into an error with the node's reason instead of a timeout.
 */
export async function waitMined(
  side: Side,
  url: string,
  hash: Hex,
  timeoutMs = 30_000,
): Promise<Mined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { result: receipt, error } = await rpc(url, 'eth_getTransactionReceipt', [hash])
    if (error) throw new Error(`${side}: eth_getTransactionReceipt: ${JSON.stringify(error)}`)
    if (receipt) {
      const block = await rpc(url, 'eth_getBlockByNumber', [receipt.blockNumber, false])
      return { receipt, baseFeePerGas: BigInt(block.result.baseFeePerGas) }
    }
    if (side === 'ours') {
      const status = (await rpc(url, 'edge_getTransactionStatus', [hash])).result
      if (status?.status === 'dropped')
        throw new Error(`ours: transaction ${hash} dropped: ${status.reason}`)
    }
    if (Date.now() > deadline) throw new Error(`${side}: no receipt for ${hash}`)
    await sleep(50)
  }
}

/** Sends the same raw transaction to both chains and waits for both receipts. */
export async function sendBoth(urls: Both<string>, raw: Hex): Promise<Both<Mined>> {
  const sent = await Promise.all(
    SIDES.map((side) => rpc(urls[side], 'eth_sendRawTransaction', [raw])),
  )
  SIDES.forEach((side, i) => {
    if (sent[i].error)
      throw new Error(`${side} rejected the transaction: ${JSON.stringify(sent[i].error)}`)
  })
  const [ours, anvil] = await Promise.all(
    SIDES.map((side, i) => waitMined(side, urls[side], sent[i].result)),
  )
  return { ours, anvil }
}

const lower = (a: string | null | undefined) => (a ? a.toLowerCase() : null)

/**
 * What must be equal between the two receipts of one transaction. Left out on purpose: blockHash
 * (the headers differ in coinbase, timestamp and mixHash, so the hashes do), blockNumber,
 * transactionIndex and logIndex (block building, not execution: both mine one transaction per block
 * here, so they would match, but they say nothing about the EVM), and anvil's extra blockTimestamp and
 * blobGasPrice. Kept: the base fee of the block, which makes effectiveGasPrice deterministic.
 */
export function receiptView({ receipt: r, baseFeePerGas }: Mined) {
  return {
    transactionHash: r.transactionHash,
    type: r.type,
    status: r.status,
    from: lower(r.from),
    to: lower(r.to),
    contractAddress: lower(r.contractAddress),
    gasUsed: BigInt(r.gasUsed),
    cumulativeGasUsed: BigInt(r.cumulativeGasUsed),
    effectiveGasPrice: BigInt(r.effectiveGasPrice),
    baseFeePerGas,
    logsBloom: r.logsBloom,
    logs: (r.logs as any[]).map((l) => ({
      address: lower(l.address),
      topics: l.topics,
      data: l.data,
    })),
  }
}

/** A JSON-RPC call request (hex quantities), as eth_call and eth_estimateGas take it. */
export type CallRequest = { from?: Address; to?: Address; data?: Hex; value?: Hex; gas?: Hex }

/**
 * How an eth_call ended: its return data, a revert (code 3) with its data, or another failure. The
 * wording of failures that are not reverts differs by design (ours follows geth: -32000 "out of gas";
 * anvil says -32603 "EVM error OutOfGas"), so only the fact of failing is compared; `error` keeps it.
 */
export type CallOutcome =
  { ok: Hex } | { reverted: Hex } | { failed: true; error?: { code: number; message: string } }

/** One eth_call (or eth_estimateGas) on one side, as a `CallOutcome`. */
export async function callOn(
  url: string,
  req: CallRequest,
  method = 'eth_call',
): Promise<CallOutcome> {
  const { result, error } = await rpc(url, method, [req, 'latest'])
  if (!error) return { ok: result }
  if (error.code === 3) return { reverted: (error.data ?? '0x') as Hex }
  return { failed: true, error: { code: error.code, message: error.message } }
}

/** The same eth_call on both sides. */
export async function callBoth(urls: Both<string>, req: CallRequest): Promise<Both<CallOutcome>> {
  const [ours, anvil] = await Promise.all(SIDES.map((side) => callOn(urls[side], req)))
  return { ours, anvil }
}

/** A `CallOutcome` without the wording of non-revert failures, for equality across sides. */
export function outcomeView(o: CallOutcome) {
  return 'failed' in o ? { failed: true } : o
}

/** Whether a call with exactly `gas` succeeds on the side at `url`. */
export async function succeedsWithGas(
  url: string,
  req: CallRequest,
  gas: bigint,
): Promise<boolean> {
  return 'ok' in (await callOn(url, { ...req, gas: numberToHex(gas) }))
}

/** `n` as a 32-byte big-endian word. */
export const word = (n: bigint | number) => numberToHex(BigInt(n), { size: 32 })

/** EIP-7623: the calldata floor of a transaction, 21000 + 10 per token (zero byte 1, other byte 4). */
export function calldataFloor(data: Hex): bigint {
  let tokens = 0n
  for (let i = 2; i < data.length; i += 2) tokens += data.slice(i, i + 2) === '00' ? 1n : 4n
  return 21_000n + 10n * tokens
}

/**
 * A valid P-256 (secp256r1) verification input for the EIP-7951 precompile at 0x100:
 * hash ‖ r ‖ s ‖ x ‖ y, 160 bytes, signed with a fresh key (the same bytes go to both chains).
 */
export function p256VerifyInput(message = 'edge-l2 differential'): Hex {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const hash = createHash('sha256').update(message).digest()
  const rs = ecdsaSign('sha256', Buffer.from(message), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  })
  const jwk = publicKey.export({ format: 'jwk' })
  const coord = (v: string | undefined) => toHex(Buffer.from(v!, 'base64url'))
  return concat([toHex(hash), toHex(rs), coord(jwk.x), coord(jwk.y)])
}

/** sha256 of `data` as hex, computed locally. */
export function sha256Hex(data: Hex): Hex {
  return toHex(
    createHash('sha256')
      .update(Buffer.from(data.slice(2), 'hex'))
      .digest(),
  )
}

// ---- Probe calls: encoders and the table of cases run as eth_call and as transactions ----

type ProbeFn = ContractFunctionName<typeof probeAbi>

/** Calldata of a Probe function. */
export const probeCall = (functionName: ProbeFn, args: readonly unknown[] = []) =>
  encodeFunctionData({ abi: probeAbi, functionName, args } as never)

/** A Probe function's return data, decoded. */
export const decodeProbe = (functionName: ProbeFn, data: Hex) =>
  decodeFunctionResult({ abi: probeAbi, functionName, data } as never) as any

/** Calldata of `Probe.callPrecompile(target, input)`. */
export const callPrecompile = (target: number, input: Hex) =>
  probeCall('callPrecompile', [numberToHex(target, { size: 20 }), input])

/** ABI-encoded values of the given types. */
export const abiOut = (types: string[], values: unknown[]) =>
  encodeAbiParameters(
    types.map((type) => ({ type })),
    values as never,
  )

const standardErrors = parseAbi(['error Error(string)', 'error Panic(uint256)'])
/** Revert data of `require(false, reason)`. */
export const errorString = (reason: string) =>
  encodeErrorResult({ abi: standardErrors, errorName: 'Error', args: [reason] })
/** Revert data of a Solidity panic. */
export const panic = (code: bigint) =>
  encodeErrorResult({ abi: standardErrors, errorName: 'Panic', args: [code] })

/** `n` zero bytes. */
export const zeros = (n: number) => toHex(new Uint8Array(n))

const precompileOut = (success: boolean, output: Hex) =>
  abiOut(['bool', 'bytes'], [success, output])
const G1 = [1n, 2n] as const
/** 2·G1 on alt_bn128. */
const G1x2 = [
  0x030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3n,
  0x15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4n,
] as const

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n % modulus
  for (let b = base % modulus, e = exponent; e > 0n; e >>= 1n, b = (b * b) % modulus)
    if (e & 1n) result = (result * b) % modulus
  return result
}

/**
 * BLAKE2b's F with 0 rounds over h = 0, m = 0, t = 0 and the final flag: v = 0 ‖ IV with v[14]
 * inverted, so h' = IV with IV[6] inverted, as eight little-endian words (EIP-152).
 */
function blake2fZeroRounds(): Hex {
  const iv = [
    0x6a09e667f3bcc908n,
    0xbb67ae8584caa73bn,
    0x3c6ef372fe94f82bn,
    0xa54ff53a5f1d36f1n,
    0x510e527fade682d1n,
    0x9b05688c2b3e6c1fn,
    0x1f83d9abfb41bd6bn,
    0x5be0cd19137e2179n,
  ]
  iv[6] ^= 0xffffffffffffffffn
  const out = Buffer.alloc(64)
  iv.forEach((w, i) => out.writeBigUInt64LE(w, i * 8))
  return toHex(out)
}

/** One Probe function call: run as eth_call and then as a transaction from the deployer. */
export type ProbeCase = {
  name: string
  data: Hex
  /** The eth_call outcome expected on both chains, worked out independently of either. */
  call: CallOutcome
  /** The receipt status of the same call as a transaction. */
  status: '0x1' | '0x0'
  /** Not sent as a transaction with the others (the test file sends it last, alone). */
  callOnly?: boolean
}

/** The Probe cases; `caller` is the `from` of the calls (it appears in `ProbeError`). */
export async function buildProbeCases(caller: Address): Promise<ProbeCase[]> {
  const signer = devAccount(1)
  const hash = keccak256(toHex('edge-l2 differential'))
  const privateKey = toHex(signer.getHdKey().privateKey!)
  const { r, s, v } = parseSignature(await signAsHex({ hash, privateKey, to: 'hex' }))
  const bytes100 = toHex(Uint8Array.from({ length: 100 }, (_, i) => i * 2))
  const p256 = p256VerifyInput()
  // The same input with the last byte of the message hash changed: a valid encoding, a wrong signature.
  const p256Wrong = concat([
    p256.slice(0, 64) as Hex,
    p256.slice(64, 66) === 'ff' ? '0x00' : '0xff',
    `0x${p256.slice(66)}`,
  ])
  const modulus = BigInt(`0x${'f1'.repeat(32)}`)
  const ok = (data: Hex): CallOutcome => ({ ok: data })
  return [
    // Reverts: Error(string), a custom error and Panic codes, and the same functions succeeding.
    {
      name: 'requireNonZero(7) returns 7',
      data: probeCall('requireNonZero', [7n]),
      call: ok(word(7)),
      status: '0x1',
    },
    {
      name: 'requireNonZero(0) reverts with Error(string)',
      data: probeCall('requireNonZero', [0n]),
      call: { reverted: errorString('probe: zero') },
      status: '0x0',
    },
    {
      name: 'revertCustom(5) reverts with ProbeError(caller, 5)',
      data: probeCall('revertCustom', [5n]),
      call: {
        reverted: encodeErrorResult({ abi: probeAbi, errorName: 'ProbeError', args: [caller, 5n] }),
      },
      status: '0x0',
    },
    {
      name: 'divide(10, 3) returns 3',
      data: probeCall('divide', [10n, 3n]),
      call: ok(word(3)),
      status: '0x1',
    },
    {
      name: 'divide(1, 0) panics 0x12',
      data: probeCall('divide', [1n, 0n]),
      call: { reverted: panic(0x12n) },
      status: '0x0',
    },
    {
      name: 'panicAssert(true) returns',
      data: probeCall('panicAssert', [true]),
      call: ok('0x'),
      status: '0x1',
    },
    {
      name: 'panicAssert(false) panics 0x01',
      data: probeCall('panicAssert', [false]),
      call: { reverted: panic(1n) },
      status: '0x0',
    },
    // Precompiles, through the typed helpers and through callPrecompile (which returns failures too).
    {
      name: 'ecrecover (0x01) recovers the signer',
      data: probeCall('callEcrecover', [hash, Number(v), r, s]),
      call: ok(abiOut(['address'], [signer.address])),
      status: '0x1',
    },
    {
      name: 'ecrecover (0x01) with v = 29 recovers nothing',
      data: probeCall('callEcrecover', [hash, 29, r, s]),
      call: ok(word(0)),
      status: '0x1',
    },
    {
      name: 'sha256 (0x02)',
      data: probeCall('callSha256', [toHex('hello')]),
      call: ok(sha256Hex(toHex('hello'))),
      status: '0x1',
    },
    {
      name: 'ripemd160 (0x03)',
      data: callPrecompile(0x03, toHex('abc')),
      call: ok(precompileOut(true, `0x${'00'.repeat(12)}8eb208f7e05d987a9b044a8e98c6b087f15a0bfc`)),
      status: '0x1',
    },
    {
      name: 'identity (0x04)',
      data: probeCall('callIdentity', [bytes100]),
      call: ok(abiOut(['bytes'], [bytes100])),
      status: '0x1',
    },
    {
      name: 'modexp (0x05): 3^5 mod 7',
      data: probeCall('callModexp', ['0x03', '0x05', '0x07']),
      call: ok(abiOut(['bytes'], ['0x05'])),
      status: '0x1',
    },
    {
      name: 'modexp (0x05) with 32-byte exponent and modulus (EIP-7883 pricing)',
      data: probeCall('callModexp', ['0x02', `0x${'ff'.repeat(32)}`, numberToHex(modulus)]),
      call: ok(
        abiOut(['bytes'], [numberToHex(modPow(2n, 2n ** 256n - 1n, modulus), { size: 32 })]),
      ),
      status: '0x1',
    },
    {
      name: 'modexp (0x05) with a 1025-byte base fails (EIP-7823)',
      data: callPrecompile(
        0x05,
        concat([word(1025), word(1), word(1), zeros(1025), '0x01', '0x07']),
      ),
      call: ok(precompileOut(false, '0x')),
      status: '0x1',
    },
    {
      name: 'bn256Add (0x06): G1 + G1',
      data: probeCall('callBn256Add', [...G1, ...G1]),
      call: ok(abiOut(['uint256', 'uint256'], [...G1x2])),
      status: '0x1',
    },
    {
      name: 'bn256Add (0x06) off the curve reverts with PrecompileFailed',
      data: probeCall('callBn256Add', [1n, 3n, ...G1]),
      call: {
        reverted: encodeErrorResult({
          abi: probeAbi,
          errorName: 'PrecompileFailed',
          args: [numberToHex(6, { size: 20 })],
        }),
      },
      status: '0x0',
    },
    {
      name: 'bn256ScalarMul (0x07): 2·G1',
      data: callPrecompile(0x07, abiOut(['uint256', 'uint256', 'uint256'], [...G1, 2n])),
      call: ok(precompileOut(true, abiOut(['uint256', 'uint256'], [...G1x2]))),
      status: '0x1',
    },
    {
      name: 'bn256Pairing (0x08) of no pairs is true',
      data: callPrecompile(0x08, '0x'),
      call: ok(precompileOut(true, word(1))),
      status: '0x1',
    },
    {
      name: 'blake2f (0x09) with 0 rounds',
      data: callPrecompile(0x09, concat(['0x00000000', zeros(64 + 128 + 16), '0x01'])),
      call: ok(precompileOut(true, blake2fZeroRounds())),
      status: '0x1',
    },
    {
      name: 'point evaluation (0x0a) of a wrong versioned hash fails',
      data: callPrecompile(0x0a, zeros(192)),
      call: ok(precompileOut(false, '0x')),
      status: '0x1',
      callOnly: true,
    },
    {
      name: 'BLS12-381 G1ADD (0x0b) of two points at infinity',
      data: callPrecompile(0x0b, zeros(256)),
      call: ok(precompileOut(true, zeros(128))),
      status: '0x1',
    },
    {
      name: 'BLS12-381 pairing (0x0f) of empty input fails',
      data: callPrecompile(0x0f, '0x'),
      call: ok(precompileOut(false, '0x')),
      status: '0x1',
    },
    {
      name: 'P256VERIFY (0x100, EIP-7951) of a valid signature',
      data: callPrecompile(0x100, p256),
      call: ok(precompileOut(true, word(1))),
      status: '0x1',
    },
    {
      name: 'P256VERIFY (0x100) of a wrong signature returns nothing',
      data: callPrecompile(0x100, p256Wrong),
      call: ok(precompileOut(true, '0x')),
      status: '0x1',
    },
  ]
}
