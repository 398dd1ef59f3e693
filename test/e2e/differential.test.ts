import {
  concat,
  decodeEventLog,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  keccak256,
  numberToHex,
  parseTransaction,
  toHex,
  type Address,
  type Hex,
} from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { probeAbi, probeBytecode, probeDeployedBytecode } from '../../generated/contracts/Probe.js'
import { probeChildAbi, probeChildBytecode } from '../../generated/contracts/ProbeChild.js'
import { testTokenAbi, testTokenBytecode } from '../../generated/contracts/TestToken.js'
import {
  CHAIN_ID,
  GAS_PRICE,
  SIDES,
  abiOut,
  buildProbeCases,
  callBoth,
  callOn,
  callPrecompile,
  calldataFloor,
  createSigner,
  decodeProbe,
  errorString,
  outcomeView,
  p256VerifyInput,
  probeCall,
  receiptView,
  sendBoth,
  startPair,
  succeedsWithGas,
  word,
  zeros,
  type Both,
  type CallOutcome,
  type CallRequest,
  type Mined,
  type Signer,
} from './differential.fixtures.js'
import { rpcResult } from './node.fixtures.js'
import type { Anvil, L2Node } from './processes.js'

/**
 * Differential tests: every transaction is signed once and the same bytes go to our node and to anvil
 * (both Osaka, chain 901, automine); receipts, eth_call outcomes and eth_estimateGas must agree.
 * Runs in file order: later tests use the state earlier ones built, identically on both chains.
 */

let node: L2Node
let anvil: Anvil
let urls: Both<string>

const deployer = createSigner(0) // deploys Probe (nonce 0) and TestToken, and sends the Probe calls
const payer = createSigner(1) // plain ETH transfers
const sponsor = createSigner(4) // sends the EIP-7702 transaction
const authority = createSigner(5) // delegates to Probe by authorization; never sends
const kzgSender = createSigner(8) // the transaction our node cannot execute, sent last and alone

let probe: Address
const estimates: { name: string; ours: bigint; anvil: bigint }[] = []

beforeAll(async () => {
  ;({ node, anvil, urls } = await startPair())
})

afterAll(async () => {
  if (estimates.length) console.table(estimates)
  await Promise.all([node?.stop(), anvil?.stop()])
})

const EMPTY_CODE_HASH = keccak256('0x')
/** Receives ETH and tokens in these tests. */
const NEVER_USED: Address = '0x000000000000000000000000000000000000dEaD'
/** Never touched by any transaction: no account on either chain. */
const UNTOUCHED: Address = '0x000000000000000000000000000000000000bEEF'
/** EIP-2935's block hash history contract (a Prague system contract). */
const HISTORY: Address = '0x0000F90827F1C53a10cb7A02335B175320002935'

/** Signs `tx` once, sends it to both chains, asserts equal receipts and returns both. */
async function expectSameReceipt(
  signer: Signer,
  tx: Parameters<Signer['sign']>[0],
): Promise<Both<Mined>> {
  const mined = await sendBoth(urls, await signer.sign(tx))
  expect(receiptView(mined.ours)).toEqual(receiptView(mined.anvil))
  return mined
}

/** The same eth_call (from the deployer unless given) on both; asserts equal outcomes, returns ours. */
async function expectSameCall(req: CallRequest): Promise<CallOutcome> {
  const out = await callBoth(urls, { from: deployer.address, ...req })
  const seen = `ours ${JSON.stringify(out.ours)}, anvil ${JSON.stringify(out.anvil)}`
  expect(outcomeView(out.ours), seen).toEqual(outcomeView(out.anvil))
  return out.ours
}

const probeTx = (data: Hex, gas = 1_000_000n, value?: bigint) => ({ to: probe, data, gas, value })

describe('deployment', () => {
  test('default: Probe at the same address with equal receipts and code', async () => {
    expect(deployer.nonce).toBe(0)
    const mined = await expectSameReceipt(deployer, { data: probeBytecode, gas: 3_000_000n })
    expect(mined.ours.receipt.status).toBe('0x1')
    probe = mined.ours.receipt.contractAddress
    expect(probe).toBe(getContractAddress({ from: deployer.address, nonce: 0n }).toLowerCase())
    const code = await Promise.all(
      SIDES.map((s) => rpcResult(urls[s], 'eth_getCode', [probe, 'latest'])),
    )
    expect(code).toEqual([probeDeployedBytecode, probeDeployedBytecode])
  })

  test('behavior: TestToken deployment, then an ERC-20 transfer with its Transfer log', async () => {
    const args = encodeAbiParameters(
      [{ type: 'string' }, { type: 'string' }, { type: 'uint256' }],
      ['Test Token', 'TST', 10n ** 24n],
    )
    const deployed = await expectSameReceipt(deployer, {
      data: concat([testTokenBytecode, args]),
      gas: 3_000_000n,
    })
    const token = deployed.ours.receipt.contractAddress as Address
    expect(deployed.ours.receipt.logs).toHaveLength(1) // the mint
    const data = encodeFunctionData({
      abi: testTokenAbi,
      functionName: 'transfer',
      args: [NEVER_USED, 5n],
    })
    const mined = await expectSameReceipt(deployer, { to: token, data, gas: 100_000n })
    const [log] = mined.ours.receipt.logs
    expect(decodeEventLog({ abi: testTokenAbi, ...log }).args).toEqual({
      from: deployer.address,
      to: NEVER_USED,
      value: 5n,
    })
  })

  test('behavior: init code that reverts mines with status 0', async () => {
    // PUSH1 0 PUSH1 0 REVERT
    const mined = await expectSameReceipt(deployer, { data: '0x60006000fd', gas: 100_000n })
    expect(mined.ours.receipt.status).toBe('0x0')
  })

  test('behavior: out of gas paying for the code deposit consumes the whole gas limit', async () => {
    // Enough for the EIP-7623 calldata floor and the init code, not for 200 gas per byte of code.
    const mined = await expectSameReceipt(deployer, { data: probeBytecode, gas: 400_000n })
    expect(mined.ours.receipt.status).toBe('0x0')
    expect(BigInt(mined.ours.receipt.gasUsed)).toBe(400_000n)
  })
})

describe('transfers and transaction types', () => {
  test('default: EIP-1559 transfer from an EOA to a new account', async () => {
    const mined = await expectSameReceipt(payer, {
      to: NEVER_USED,
      value: 10n ** 18n,
      gas: 21_000n,
    })
    expect(mined.ours.receipt).toMatchObject({ status: '0x1', type: '0x2', gasUsed: '0x5208' })
    const balances = await Promise.all(
      SIDES.map((s) => rpcResult(urls[s], 'eth_getBalance', [NEVER_USED, 'latest'])),
    )
    expect(balances.map(BigInt)).toEqual([10n ** 18n, 10n ** 18n])
  })

  test('behavior: transfer to the contract (receive)', async () => {
    const mined = await expectSameReceipt(payer, { to: probe, value: 12_345n, gas: 50_000n })
    expect(mined.ours.receipt.status).toBe('0x1')
    expect(BigInt(mined.ours.receipt.gasUsed)).toBeGreaterThan(21_000n)
  })

  test('behavior: transfer to the contract with only 21000 gas runs out of gas in receive', async () => {
    const mined = await expectSameReceipt(payer, { to: probe, value: 1n, gas: 21_000n })
    expect(mined.ours.receipt).toMatchObject({ status: '0x0', gasUsed: '0x5208' })
  })

  test('behavior: legacy (type 0, EIP-155) transfer and contract call', async () => {
    const raw = await payer.sign({
      type: 'legacy',
      gasPrice: GAS_PRICE,
      to: NEVER_USED,
      value: 1n,
      gas: 21_000n,
    })
    expect(parseTransaction(raw)).toMatchObject({ type: 'legacy', chainId: CHAIN_ID })
    const mined = await sendBoth(urls, raw)
    expect(receiptView(mined.ours)).toEqual(receiptView(mined.anvil))
    expect(mined.ours.receipt).toMatchObject({
      type: '0x0',
      effectiveGasPrice: numberToHex(GAS_PRICE),
    })
    const call = await expectSameReceipt(deployer, {
      type: 'legacy',
      gasPrice: GAS_PRICE,
      ...probeTx(probeCall('requireNonZero', [3n]), 100_000n),
    })
    expect(call.ours.receipt.status).toBe('0x1')
  })

  test('behavior: EIP-2930 transaction with an access list of the slots it writes', async () => {
    const slotKey = (i: bigint) => keccak256(abiOut(['uint256', 'uint256'], [i, 0n]))
    const mined = await expectSameReceipt(deployer, {
      type: 'eip2930',
      gasPrice: GAS_PRICE,
      accessList: [{ address: probe, storageKeys: [slotKey(0n), slotKey(1n)] }],
      ...probeTx(probeCall('fillSlots', [2n]), 200_000n),
    })
    expect(mined.ours.receipt).toMatchObject({ status: '0x1', type: '0x1' })
    const stored = await Promise.all(
      SIDES.map((s) => rpcResult(urls[s], 'eth_getStorageAt', [probe, slotKey(1n), 'latest'])),
    )
    expect(stored).toEqual([word(2), word(2)])
  })

  test('behavior: EIP-7702 authorization, then calls to the delegated EOA', async () => {
    const auth = await authority.account.signAuthorization!({
      chainId: CHAIN_ID,
      address: probe,
      nonce: 0,
    })
    const mined = await expectSameReceipt(sponsor, {
      type: 'eip7702',
      authorizationList: [auth],
      to: authority.address,
      data: probeCall('emitLogs', [1n, '7702', 2n, '0x']),
      gas: 200_000n,
    })
    expect(mined.ours.receipt).toMatchObject({ status: '0x1', type: '0x4' })
    expect(mined.ours.receipt.logs[0].address.toLowerCase()).toBe(authority.address.toLowerCase())
    const code = await Promise.all(
      SIDES.map((s) => rpcResult(urls[s], 'eth_getCode', [authority.address, 'latest'])),
    )
    expect(code).toEqual(Array(2).fill(concat(['0xef0100', probe]).toLowerCase()))
    // The EOA now runs Probe's code in its own context: storage, reverts and transient storage.
    const stored = await expectSameReceipt(deployer, {
      to: authority.address,
      data: probeCall('fillSlots', [1n]),
      gas: 100_000n,
    })
    expect(stored.ours.receipt.status).toBe('0x1')
    expect(await expectSameCall({ to: authority.address, data: probeCall('slots', [0n]) })).toEqual(
      { ok: word(1) },
    )
    expect(
      await expectSameCall({ to: authority.address, data: probeCall('requireNonZero', [0n]) }),
    ).toEqual({
      reverted: errorString('probe: zero'),
    })
    expect(
      await expectSameCall({ to: authority.address, data: probeCall('transientRoundTrip', [4n]) }),
    ).toEqual({
      ok: abiOut(['uint256', 'uint256'], [4n, 4n]),
    })
  })
})

const probeCases = await buildProbeCases(deployer.address)

for (const c of probeCases)
  describe(`Probe: ${c.name}`, () => {
    test('eth_call: same outcome on both', async () => {
      expect(await expectSameCall({ to: probe, data: c.data })).toEqual(c.call)
    })

    if (!c.callOnly)
      test('transaction: same receipt on both', async () => {
        const mined = await expectSameReceipt(deployer, probeTx(c.data))
        expect(mined.ours.receipt.status).toBe(c.status)
      })
  })

describe('CREATE2', () => {
  const salt = keccak256(toHex('probe child 1'))
  const child = () =>
    getContractAddress({
      opcode: 'CREATE2',
      from: probe,
      salt,
      bytecode: concat([probeChildBytecode, word(42)]),
    })

  test('default: predictChild, then deployChild deploys there with its value and log', async () => {
    expect(
      await expectSameCall({ to: probe, data: probeCall('predictChild', [salt, 42n]) }),
    ).toEqual({
      ok: abiOut(['address'], [child()]),
    })
    expect(
      await expectSameCall({ to: probe, data: probeCall('deployChild', [salt, 42n]) }),
    ).toEqual({
      ok: abiOut(['address'], [child()]),
    })
    await expectSameReceipt(deployer, probeTx(probeCall('predictChild', [salt, 42n])))
    const mined = await expectSameReceipt(
      deployer,
      probeTx(probeCall('deployChild', [salt, 42n]), 1_000_000n, 1_000n),
    )
    expect(mined.ours.receipt.status).toBe('0x1')
    expect(decodeEventLog({ abi: probeAbi, ...mined.ours.receipt.logs[0] }).args).toEqual({
      child: child(),
      salt,
      value: 42n,
    })
    for (const side of SIDES) {
      expect(BigInt(await rpcResult(urls[side], 'eth_getBalance', [child(), 'latest']))).toBe(
        1_000n,
      )
      expect(await rpcResult(urls[side], 'eth_getCode', [child(), 'latest'])).toMatch(/^0x6080/)
    }
    const read = (functionName: 'value' | 'deployer') =>
      encodeFunctionData({ abi: probeChildAbi, functionName })
    expect(await expectSameCall({ to: child(), data: read('value') })).toEqual({ ok: word(42) })
    expect(await expectSameCall({ to: child(), data: read('deployer') })).toEqual({
      ok: abiOut(['address'], [probe]),
    })
  })

  test('behavior: deploying again to the same address fails (collision)', async () => {
    expect(
      await expectSameCall({ to: probe, data: probeCall('deployChild', [salt, 42n]) }),
    ).toEqual({ reverted: '0x' })
    const mined = await expectSameReceipt(deployer, probeTx(probeCall('deployChild', [salt, 42n])))
    expect(mined.ours.receipt.status).toBe('0x0')
  })
})

describe('transient storage (EIP-1153)', () => {
  test('default: TSTORE then TLOAD directly and through a call, within one transaction', async () => {
    const mined = await expectSameReceipt(deployer, probeTx(probeCall('transientRoundTrip', [5n])))
    expect(decodeEventLog({ abi: probeAbi, ...mined.ours.receipt.logs[0] }).args).toEqual({
      loaded: 5n,
      loadedByCall: 5n,
    })
    expect(
      await expectSameCall({ to: probe, data: probeCall('transientRoundTrip', [9n]) }),
    ).toEqual({
      ok: abiOut(['uint256', 'uint256'], [9n, 9n]),
    })
  })

  test('behavior: cleared after the transaction', async () => {
    expect(await expectSameCall({ to: probe, data: probeCall('transientValue') })).toEqual({
      ok: word(0),
    })
    await expectSameReceipt(deployer, probeTx(probeCall('transientValue')))
  })
})

describe('gas refunds (EIP-2200, EIP-3529)', () => {
  test('default: fill, clear (refund), fill and clear in one transaction', async () => {
    const fill = await expectSameReceipt(deployer, probeTx(probeCall('fillSlots', [10n])))
    expect(await expectSameCall({ to: probe, data: probeCall('slots', [9n]) })).toEqual({
      ok: word(10),
    })
    const clear = await expectSameReceipt(deployer, probeTx(probeCall('clearSlots', [10n])))
    expect(await expectSameCall({ to: probe, data: probeCall('slots', [9n]) })).toEqual({
      ok: word(0),
    })
    const both = await expectSameReceipt(deployer, probeTx(probeCall('fillAndClear', [10n])))
    for (const m of [fill, clear, both]) expect(m.ours.receipt.status).toBe('0x1')
    for (const fn of ['fillSlots', 'clearSlots', 'fillAndClear'] as const)
      expect(await expectSameCall({ to: probe, data: probeCall(fn, [3n]) })).toEqual({ ok: '0x' })
    expect(BigInt(clear.ours.receipt.gasUsed)).toBeLessThan(BigInt(fill.ours.receipt.gasUsed))
  })
})

describe('out of gas', () => {
  const burn = () => probeCall('burnGas', [100_000n])

  test('default: a transaction out of gas mines with status 0 and uses its whole gas limit', async () => {
    const mined = await expectSameReceipt(deployer, probeTx(burn(), 300_000n))
    expect(mined.ours.receipt).toMatchObject({ status: '0x0', gasUsed: numberToHex(300_000n) })
  })

  test('behavior: a small burn succeeds and stores its result', async () => {
    const mined = await expectSameReceipt(deployer, probeTx(probeCall('burnGas', [10n]), 300_000n))
    expect(mined.ours.receipt.status).toBe('0x1')
    const stored = await expectSameCall({ to: probe, data: probeCall('lastBurn') })
    expect(stored).not.toEqual({ ok: word(0) })
    // burnGas returns what it stores: the same eth_call recomputes it.
    expect(await expectSameCall({ to: probe, data: probeCall('burnGas', [10n]) })).toEqual(stored)
  })

  test('behavior: eth_call out of gas fails on both (ours in geth words)', async () => {
    const req = { from: deployer.address, to: probe, data: burn(), gas: numberToHex(300_000n) }
    const [ours, theirs] = await Promise.all(SIDES.map((s) => callOn(urls[s], req)))
    expect(outcomeView(ours)).toEqual({ failed: true })
    expect(outcomeView(theirs)).toEqual({ failed: true })
    expect(ours).toEqual({ failed: true, error: { code: -32000, message: 'out of gas' } })
  })
})

describe('logs', () => {
  test('default: LOG4 with a hashed string topic, then an anonymous LOG0', async () => {
    const mined = await expectSameReceipt(
      deployer,
      probeTx(probeCall('emitLogs', [7n, 'tag', 99n, '0xdeadbeef'])),
    )
    const [logged, anonymous] = mined.ours.receipt.logs
    expect(logged.topics).toHaveLength(4)
    expect(logged.topics[3]).toBe(keccak256(toHex('tag')))
    expect(decodeEventLog({ abi: probeAbi, ...logged }).args).toMatchObject({
      sender: deployer.address,
      id: 7n,
      value: 99n,
      data: '0xdeadbeef',
    })
    expect(anonymous).toMatchObject({ topics: [], data: word(99) })
    const call = probeCall('emitLogs', [7n, 'tag', 99n, '0xdeadbeef'])
    expect(await expectSameCall({ to: probe, data: call })).toEqual({ ok: '0x' })
  })
})

describe('calldata cost (EIP-7623)', () => {
  test('default: calldata at the EIP-7623 floor (4 KiB of zeros) is charged the floor', async () => {
    const data = probeCall('callIdentity', [zeros(4096)])
    const mined = await expectSameReceipt(deployer, probeTx(data, 200_000n))
    expect(BigInt(mined.ours.receipt.gasUsed)).toBe(calldataFloor(data))
  })
})

describe('context readers', () => {
  const head = async (url: string) => BigInt(await rpcResult(url, 'eth_blockNumber'))
  const hashOf = async (url: string, n: bigint) =>
    (await rpcResult(url, 'eth_getBlockByNumber', [numberToHex(n), false])).hash as Hex

  test('default: blockInfo, but for what legitimately differs', async () => {
    const out = await callBoth(urls, {
      from: deployer.address,
      to: probe,
      data: probeCall('blockInfo'),
    })
    const info = await Promise.all(
      SIDES.map(async (side) => {
        const o = out[side]
        expect(o).toHaveProperty('ok')
        const i = decodeProbe('blockInfo', (o as { ok: Hex }).ok)
        const n = await head(urls[side])
        // Each side against itself: eth_call runs in the context of the latest block, whose parent's
        // hash BLOCKHASH returns; the hashes themselves differ between the chains (see receiptView).
        expect(i.number).toBe(n)
        expect(i.parentHash).toBe(await hashOf(urls[side], n - 1n))
        // Left out of the comparison: timestamp (wall clock), coinbase (ours 0x4200…0011, anvil's zero
        // address), prevrandao (ours keccak of the parent hash, anvil's own), basefee (ours 0 for a call
        // without fee fields, as geth's doCall lowers it; anvil keeps the block's) and parentHash (above).
        return { number: i.number, chainid: i.chainid, gaslimit: i.gaslimit }
      }),
    )
    expect(info[0]).toEqual(info[1])
    expect(info[0]).toMatchObject({ chainid: BigInt(CHAIN_ID), gaslimit: 30_000_000n })
    await expectSameReceipt(deployer, probeTx(probeCall('blockInfo')))
  })

  test('behavior: blockHashOf the parent, the current block, a future block and genesis', async () => {
    for (const side of SIDES) {
      const n = await head(urls[side])
      const at = async (k: bigint) =>
        callOn(urls[side], { to: probe, data: probeCall('blockHashOf', [k]) })
      expect(await at(n - 1n)).toEqual({ ok: await hashOf(urls[side], n - 1n) })
      expect(await at(0n)).toEqual({ ok: await hashOf(urls[side], 0n) })
      expect(await at(n)).toEqual({ ok: word(0) })
      expect(await at(n + 1n)).toEqual({ ok: word(0) })
    }
    const mined = await expectSameReceipt(deployer, probeTx(probeCall('blockHashOf', [1n])))
    expect(mined.ours.receipt.status).toBe('0x1')
  })

  test('behavior: selfBalance is the ETH the contract received', async () => {
    const balances = await Promise.all(
      SIDES.map((s) => rpcResult(urls[s], 'eth_getBalance', [probe, 'latest'])),
    )
    expect(balances[0]).toBe(balances[1])
    expect(await expectSameCall({ to: probe, data: probeCall('selfBalance') })).toEqual({
      ok: word(BigInt(balances[0])),
    })
    expect(BigInt(balances[0])).toBe(12_345n)
    await expectSameReceipt(deployer, probeTx(probeCall('selfBalance')))
  })

  test('behavior: extCodeHashOf a contract, an EOA, an untouched address and a precompile', async () => {
    const of = (a: Address) => expectSameCall({ to: probe, data: probeCall('extCodeHashOf', [a]) })
    expect(await of(probe)).toEqual({ ok: keccak256(probeDeployedBytecode) })
    expect(await of(payer.address)).toEqual({ ok: EMPTY_CODE_HASH })
    expect(await of(UNTOUCHED)).toEqual({ ok: word(0) })
    expect(await of(numberToHex(1, { size: 20 }))).toEqual({ ok: word(0) })
    await expectSameReceipt(deployer, probeTx(probeCall('extCodeHashOf', [UNTOUCHED])))
  })

  // A Prague system contract (EIP-2935): anvil has it from genesis (mainnet since before Prague), and
  // every block stores its parent's hash in it before its first transaction.
  test('behavior: the EIP-2935 history contract has the same code on both', async () => {
    const codeHash = await expectSameCall({
      to: probe,
      data: probeCall('extCodeHashOf', [HISTORY]),
    })
    expect(codeHash).not.toEqual({ ok: word(0) })
  })

  test('behavior: the EIP-2935 history contract serves the parent block hash', async () => {
    for (const side of SIDES) {
      const n = await head(urls[side])
      const served = await callOn(urls[side], { to: HISTORY, data: word(n - 1n) })
      expect.soft(served, side).toEqual({ ok: await hashOf(urls[side], n - 1n) })
    }
  })
})

describe('eth_estimateGas', () => {
  const cases: { name: string; req: () => CallRequest }[] = [
    {
      name: 'transfer to an EOA',
      req: () => ({ from: payer.address, to: NEVER_USED, value: '0x1' }),
    },
    {
      name: 'transfer to receive()',
      req: () => ({ from: payer.address, to: probe, value: '0x1' }),
    },
    {
      name: 'requireNonZero(1)',
      req: () => ({ to: probe, data: probeCall('requireNonZero', [1n]) }),
    },
    { name: 'fillSlots(12)', req: () => ({ to: probe, data: probeCall('fillSlots', [12n]) }) },
    {
      name: 'fillAndClear(10) (refund)',
      req: () => ({ to: probe, data: probeCall('fillAndClear', [10n]) }),
    },
    {
      name: 'deployChild (CREATE2)',
      req: () => ({
        to: probe,
        data: probeCall('deployChild', [keccak256('0x02'), 7n]),
        value: '0x5',
      }),
    },
    { name: 'burnGas(300)', req: () => ({ to: probe, data: probeCall('burnGas', [300n]) }) },
    {
      name: 'transientRoundTrip(1)',
      req: () => ({ to: probe, data: probeCall('transientRoundTrip', [1n]) }),
    },
    {
      name: 'emitLogs',
      req: () => ({ to: probe, data: probeCall('emitLogs', [1n, 'estimate', 2n, '0x01']) }),
    },
    {
      name: 'P256VERIFY',
      req: () => ({ to: probe, data: callPrecompile(0x100, p256VerifyInput()) }),
    },
    {
      name: 'callIdentity(4 KiB zeros) (EIP-7623 floor)',
      req: () => ({ to: probe, data: probeCall('callIdentity', [zeros(4096)]) }),
    },
    { name: 'deploy Probe', req: () => ({ data: probeBytecode }) },
  ]

  // One test per request: ours must be the exact minimum on both chains (the EVMs agree on gas, so
  // the minimum is the same); anvil's must be enough on both. afterAll prints both as a table.
  for (const { name, req: partial } of cases)
    test(`behavior: ${name}`, async () => {
      const req = { from: deployer.address, ...partial() }
      const [ours, theirs] = await Promise.all(
        SIDES.map((s) => callOn(urls[s], req, 'eth_estimateGas')),
      )
      expect(ours).toHaveProperty('ok')
      expect(theirs).toHaveProperty('ok')
      const est = {
        ours: BigInt((ours as { ok: Hex }).ok),
        anvil: BigInt((theirs as { ok: Hex }).ok),
      }
      estimates.push({ name, ...est })
      for (const side of SIDES) {
        expect.soft(await succeedsWithGas(urls[side], req, est.ours), `ours on ${side}`).toBe(true)
        expect
          .soft(await succeedsWithGas(urls[side], req, est.ours - 1n), `ours - 1 on ${side}`)
          .toBe(false)
        expect
          .soft(await succeedsWithGas(urls[side], req, est.anvil), `anvil's on ${side}`)
          .toBe(true)
      }
      expect(est.anvil).toBeGreaterThanOrEqual(est.ours)
    })

  test('behavior: a call that reverts at any gas gives the revert (code 3) and its data on both', async () => {
    const req = { from: deployer.address, to: probe, data: probeCall('requireNonZero', [0n]) }
    const [ours, theirs] = await Promise.all(
      SIDES.map((s) => callOn(urls[s], req, 'eth_estimateGas')),
    )
    expect(ours).toEqual({ reverted: errorString('probe: zero') })
    expect(theirs).toEqual(ours)
  })
})

describe('precompiles: KZG point evaluation (0x0a) as a transaction', () => {
  // Last, from its own sender: if one chain does not mine it, nothing after depends on it.
  test('default: mined with equal receipts', async () => {
    const mined = await expectSameReceipt(
      kzgSender,
      probeTx(callPrecompile(0x0a, zeros(192)), 200_000n),
    )
    expect(mined.ours.receipt.status).toBe('0x1')
  })
})
