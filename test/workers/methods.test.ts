import {
  encodeFunctionData,
  keccak256,
  numberToHex,
  parseEther,
  parseGwei,
  parseUnits,
  type Hex,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { testTokenAbi } from '../../generated/contracts/TestToken.js'
import { call, clients, deployToken, KEYS } from './helpers.js'

const alice = clients(901, KEYS[0])
const bob = clients(901, KEYS[1])

async function transfer(value = parseEther('1')) {
  const hash = await alice.wallet.sendTransaction({
    to: bob.account.address,
    value,
    maxPriorityFeePerGas: parseGwei('1'),
  })
  return alice.public.waitForTransactionReceipt({ hash })
}

describe('static methods', () => {
  test('default: identity and network', async () => {
    expect((await call('web3_clientVersion')).result).toMatch(/^edge-l2\//)
    expect((await call('web3_sha3', ['0x68656c6c6f'])).result).toBe(keccak256('0x68656c6c6f'))
    expect((await call('net_version')).result).toBe('901')
    expect((await call('net_version', [], '/chain/902')).result).toBe('902')
    expect((await call('eth_syncing')).result).toBe(false)
    expect((await call('eth_accounts')).result).toEqual([])
    expect(Object.keys((await call('rpc_modules')).result)).toEqual(
      expect.arrayContaining(['eth', 'net', 'web3', 'debug', 'txpool']),
    )
  })
})

describe('blocks and transactions', () => {
  test('default: lookups by number, hash and index agree', async () => {
    const r = await transfer()
    const byNum = (await call('eth_getBlockByNumber', [numberToHex(r.blockNumber), true])).result
    const byHash = (await call('eth_getBlockByHash', [r.blockHash, true])).result
    expect(byHash).toEqual(byNum)
    expect(byNum.transactions[0].hash).toBe(r.transactionHash)
    expect((await call('eth_getBlockTransactionCountByHash', [r.blockHash])).result).toBe('0x1')
    expect(
      (await call('eth_getBlockTransactionCountByNumber', [numberToHex(r.blockNumber)])).result,
    ).toBe('0x1')
    expect(
      (await call('eth_getTransactionByBlockHashAndIndex', [r.blockHash, '0x0'])).result.hash,
    ).toBe(r.transactionHash)
    expect(
      (await call('eth_getTransactionByBlockNumberAndIndex', [numberToHex(r.blockNumber), '0x0']))
        .result.hash,
    ).toBe(r.transactionHash)
    expect(
      (await call('eth_getTransactionByBlockNumberAndIndex', [numberToHex(r.blockNumber), '0x5']))
        .result,
    ).toBeNull()
    const receipts = (await call('eth_getBlockReceipts', [numberToHex(r.blockNumber)])).result
    expect(receipts.map((x: { transactionHash: Hex }) => x.transactionHash)).toEqual([
      r.transactionHash,
    ])
    expect((await call('eth_getBlockByNumber', ['0xffffff', false])).result).toBeNull()
    expect((await call('edge_getTransactionStatus', [r.transactionHash])).result.status).toBe(
      'mined',
    )
  })

  test('behavior: archive reads at past blocks and EIP-1898 hash objects', async () => {
    const r1 = await transfer(1n)
    const before = await alice.public.getBalance({
      address: bob.account.address,
      blockNumber: r1.blockNumber,
    })
    await transfer(5n)
    expect(
      await alice.public.getBalance({ address: bob.account.address, blockNumber: r1.blockNumber }),
    ).toBe(before)
    const viaHash = (
      await call('eth_getBalance', [bob.account.address, { blockHash: r1.blockHash }])
    ).result
    expect(BigInt(viaHash)).toBe(before)
    expect(
      (await call('eth_getBalance', [bob.account.address, { blockHash: `0x${'11'.repeat(32)}` }]))
        .error.message,
    ).toBe('header not found')
  })

  test('behavior: pending nonce counts pooled transactions', async () => {
    const latest = await alice.public.getTransactionCount({ address: alice.account.address })
    const pending = await alice.public.getTransactionCount({
      address: alice.account.address,
      blockTag: 'pending',
    })
    expect(pending).toBeGreaterThanOrEqual(latest)
  })
})

describe('calls', () => {
  test('behavior: eth_call with state overrides', async () => {
    const nobody = '0x000000000000000000000000000000000000dead'
    // Runtime code that returns BALANCE(ADDRESS) (SELFBALANCE is 0x47).
    const code = '0x4760005260206000f3'
    const out = (
      await call('eth_call', [{ to: nobody }, 'latest', { [nobody]: { code, balance: '0x1234' } }])
    ).result
    expect(BigInt(out)).toBe(0x1234n)
    expect((await call('eth_getCode', [nobody])).result).toBe('0x')
  })

  test('default: eth_createAccessList lists the touched storage', async () => {
    const token = await deployToken(alice, parseUnits('1000', 18))
    const data = encodeFunctionData({
      abi: testTokenAbi,
      functionName: 'transfer',
      args: [bob.account.address, 1n],
    })
    const out = (
      await call('eth_createAccessList', [{ from: alice.account.address, to: token, data }])
    ).result
    // geth leaves out the sender, the recipient (with its slots) and precompiles: a plain transfer needs no list.
    expect(out.accessList).toEqual([])
    const est = BigInt(
      (await call('eth_estimateGas', [{ from: alice.account.address, to: token, data }])).result,
    )
    expect(BigInt(out.gasUsed)).toBeLessThanOrEqual(est)
  })

  test('default: debug_traceTransaction callTracer', async () => {
    const token = await deployToken(alice, parseUnits('1000', 18))
    const hash = await alice.wallet.writeContract({
      address: token,
      abi: testTokenAbi,
      functionName: 'transfer',
      args: [bob.account.address, 7n],
    })
    const r = await alice.public.waitForTransactionReceipt({ hash })
    const trace = (await call('debug_traceTransaction', [hash, { tracer: 'callTracer' }])).result
    expect(trace.type).toBe('CALL')
    expect(trace.to).toBe(token.toLowerCase())
    expect(BigInt(trace.gasUsed)).toBe(r.gasUsed)
    expect((await call('debug_traceTransaction', [hash, { tracer: 'nope' }])).error.code).toBe(
      -32602,
    )
  })
})

describe('fees', () => {
  test('default: feeHistory shape and gas price', async () => {
    await transfer()
    const head = await alice.public.getBlockNumber()
    const fh = (await call('eth_feeHistory', ['0x3', 'latest', [25, 75]])).result
    expect(fh.baseFeePerGas).toHaveLength(Math.min(3, Number(head) + 1) + 1)
    expect(fh.reward[0]).toHaveLength(2)
    expect(BigInt(fh.oldestBlock)).toBe(head - BigInt(fh.gasUsedRatio.length) + 1n)
    const gasPrice = BigInt((await call('eth_gasPrice')).result)
    const tip = BigInt((await call('eth_maxPriorityFeePerGas')).result)
    const next = BigInt(fh.baseFeePerGas.at(-1))
    expect(gasPrice).toBe(next + tip)
    expect((await call('eth_feeHistory', ['0x3', 'latest', [75, 25]])).error.code).toBe(-32602)
  })
})

describe('pool', () => {
  test('behavior: queued gap, replacement, txpool views', async () => {
    const nonce = await bob.public.getTransactionCount({
      address: bob.account.address,
      blockTag: 'pending',
    })
    const sign = (n: number, tip: bigint, maxFee = parseGwei('100')) =>
      bob.account.signTransaction({
        chainId: 901,
        type: 'eip1559',
        nonce: n,
        gas: 21000n,
        maxFeePerGas: maxFee,
        maxPriorityFeePerGas: tip,
        to: alice.account.address,
        value: 1n,
      })
    const gapped = await sign(nonce + 1, parseGwei('1'))
    const hash = (await call('eth_sendRawTransaction', [gapped])).result
    expect(hash).toMatch(/^0x/)
    const content = (await call('txpool_content')).result
    expect(content.queued[bob.account.address.toLowerCase()][String(nonce + 1)].hash).toBe(hash)
    expect((await call('eth_sendRawTransaction', [gapped])).error.message).toBe('already known')
    expect(
      (await call('eth_sendRawTransaction', [await sign(nonce + 1, parseGwei('1') + 1n)])).error
        .message,
    ).toBe('replacement transaction underpriced')
    expect(
      (
        await call('eth_sendRawTransaction', [
          await sign(nonce + 1, parseGwei('2'), parseGwei('110')),
        ])
      ).result,
    ).toMatch(/^0x/)
    // Filling the gap makes both executable.
    await bob.public.waitForTransactionReceipt({
      hash: (await call('eth_sendRawTransaction', [await sign(nonce, parseGwei('1'))])).result,
    })
    expect(await bob.public.getTransactionCount({ address: bob.account.address })).toBe(nonce + 2)
    expect((await call('edge_getTransactionStatus', [hash])).result).toMatchObject({
      status: 'dropped',
      reason: expect.stringMatching(/^replaced by 0x/),
    })
    expect((await call('txpool_status')).result).toEqual({ pending: '0x0', queued: '0x0' })
  })
})
