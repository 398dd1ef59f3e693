import { createRequire } from 'node:module'
import { createBlock, type Block } from '@ethereumjs/block'
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { createFeeMarket1559Tx, type FeeMarket1559Tx } from '@ethereumjs/tx'
import {
  Address,
  bigIntToBytes,
  bytesToHex,
  createAccount,
  createAddressFromPrivateKey,
  createAddressFromString,
  generateAddress,
  hexToBytes,
} from '@ethereumjs/util'
import { createVM, runTx, type VM } from '@ethereumjs/vm'
import {
  encodeAbiParameters,
  encodeErrorResult,
  encodeFunctionData,
  keccak256,
  toHex,
  type Abi,
  type Hex,
} from 'viem'
import { beforeAll, describe, expect, test } from 'vitest'
import { traceTransaction, type TraceConfig } from './traceTransaction.js'

const source = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract Child {
    uint256 public touched;
    event Ping(address indexed from, uint256 value);

    function ping(uint256 v) external payable returns (uint256) {
        emit Ping(msg.sender, v);
        return v + 1;
    }
    function fail() external {
        touched = 1;
        revert("nope");
    }
    function peek() external view returns (uint256) {
        return 7;
    }
    function die(address payable to) external {
        selfdestruct(to);
    }
}

contract Parent {
    Child public child;
    event Done(uint256 result);

    constructor(Child c) {
        child = c;
    }

    function run() external payable returns (uint256 r) {
        r = child.ping{value: msg.value}(41);
        try child.fail() {} catch {}
        r += child.peek();
        (bool ok, ) = address(child).delegatecall(abi.encodeCall(Child.ping, (1)));
        require(ok);
        new Child();
        emit Done(r);
    }

    function boom() external {
        emit Done(0);
        child.fail();
    }

    function broke() external returns (bool ok) {
        (ok, ) = address(child).call{value: 1 ether}("");
    }
}
`

type Compiled = { abi: Abi; bytecode: Hex; deployed: Hex }

function compile(): Record<'Child' | 'Parent', Compiled> {
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string }
  const input = {
    language: 'Solidity',
    sources: { 'T.sol': { content: source } },
    settings: {
      evmVersion: 'osaka',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: {
        '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
      },
    },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input)))
  const errors = (out.errors ?? []).filter((e: { severity: string }) => e.severity === 'error')
  if (errors.length) throw new Error(JSON.stringify(errors))
  const get = (name: string): Compiled => {
    const c = out.contracts['T.sol'][name]
    return {
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
      deployed: `0x${c.evm.deployedBytecode.object}`,
    }
  }
  return { Child: get('Child'), Parent: get('Parent') }
}

const common = createCustomCommon({ chainId: 901 }, Mainnet, { hardfork: Hardfork.Osaka })
const privateKey = hexToBytes(`0x${'42'.repeat(32)}`)
const sender = createAddressFromPrivateKey(privateKey)
const coinbase = createAddressFromString(`0x${'c0'.repeat(20)}`)
const tiny = createAddressFromString(`0x${'aa'.repeat(20)}`)
const caller = createAddressFromString(`0x${'bb'.repeat(20)}`)
/** PUSH1 2 PUSH1 3 ADD PUSH1 0 SSTORE, and no STOP: execution runs off the end of the code. */
const tinyCode = '0x6002600301600055'
/** CALL(GAS, tiny, 0, 0, 0, 0, 0) POP STOP */
const callerCode = `0x6000600060006000600073${'aa'.repeat(20)}5af15000` as Hex

let vm: VM
let block: Block
let contracts: Record<'Child' | 'Parent', Compiled>
let child: Address
let parent: Address

async function sign(to: Address | undefined, data: Hex, value = 0n): Promise<FeeMarket1559Tx> {
  const nonce = (await vm.stateManager.getAccount(sender))?.nonce ?? 0n
  return createFeeMarket1559Tx(
    {
      nonce,
      to,
      data,
      value,
      gasLimit: 1_000_000n,
      maxFeePerGas: 10n ** 9n,
      maxPriorityFeePerGas: 1n,
      chainId: 901n,
    },
    { common },
  ).sign(privateKey)
}

/** Traces a transaction and reverts what it did, as the JSON-RPC handler does. */
async function trace(tx: FeeMarket1559Tx, config: TraceConfig): Promise<any> {
  await vm.stateManager.checkpoint()
  try {
    return await traceTransaction(vm, { tx, block }, config)
  } finally {
    await vm.stateManager.revert()
  }
}

const call = (name: string, args: unknown[] = [], abi = contracts.Parent.abi) =>
  encodeFunctionData({ abi, functionName: name, args } as never)
const hex = (a: Address) => a.toString()

beforeAll(async () => {
  contracts = compile()
  vm = await createVM({ common })
  block = createBlock(
    { header: { number: 1n, timestamp: 1n, gasLimit: 30_000_000n, baseFeePerGas: 7n, coinbase } },
    { common },
  )
  await vm.stateManager.putAccount(sender, createAccount({ balance: 10n ** 21n }))
  const deploy = async (data: Hex) =>
    (await runTx(vm, { tx: await sign(undefined, data), block })).createdAddress!
  child = await deploy(contracts.Child.bytecode)
  const arg = encodeAbiParameters([{ type: 'address' }], [hex(child) as Hex])
  parent = await deploy(`${contracts.Parent.bytecode}${arg.slice(2)}`)
  await vm.stateManager.putCode(tiny, hexToBytes(tinyCode))
  await vm.stateManager.putCode(caller, hexToBytes(callerCode))
  await vm.stateManager.modifyAccountFields(child, { balance: 1000n })
}, 60_000)

describe('callTracer', () => {
  test('default', async () => {
    const tx = await sign(parent, call('run'), 5n)
    const result = await trace(tx, { tracer: 'callTracer' })
    expect(result).toMatchObject({
      type: 'CALL',
      from: hex(sender),
      to: hex(parent),
      value: '0x5',
      gas: '0xf4240',
      input: call('run'),
      output: encodeAbiParameters([{ type: 'uint256' }], [49n]),
    })
    expect(result.error).toBeUndefined()
    expect(result.logs).toBeUndefined()
    const [ping, fail, peek, delegate, create] = result.calls
    expect(result.calls.map((c: { type: string }) => c.type)).toEqual([
      'CALL',
      'CALL',
      'STATICCALL',
      'DELEGATECALL',
      'CREATE',
    ])
    expect(ping).toMatchObject({
      from: hex(parent),
      to: hex(child),
      value: '0x5',
      output: toHex(42n, { size: 32 }),
    })
    expect(ping.input).toBe(call('ping', [41n], contracts.Child.abi))
    // geth's field order
    expect(Object.keys(ping)).toEqual([
      'from',
      'gas',
      'gasUsed',
      'to',
      'input',
      'output',
      'value',
      'type',
    ])
    expect(fail).toMatchObject({
      from: hex(parent),
      to: hex(child),
      value: '0x0',
      error: 'execution reverted',
      revertReason: 'nope',
      output: encodeErrorResult({
        abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string' }] }],
        errorName: 'Error',
        args: ['nope'],
      }),
    })
    expect(peek).toMatchObject({
      from: hex(parent),
      to: hex(child),
      output: toHex(7n, { size: 32 }),
    })
    expect(peek).not.toHaveProperty('value')
    // geth: DELEGATECALL carries the caller's value; `from` is the contract that delegates
    expect(delegate).toMatchObject({ from: hex(parent), to: hex(child), value: '0x5' })
    expect(create).toMatchObject({
      from: hex(parent),
      value: '0x0',
      input: contracts.Child.bytecode,
      output: contracts.Child.deployed,
    })
    expect(create.to).toMatch(/^0x[0-9a-f]{40}$/)
    for (const c of [result, ...result.calls]) {
      expect(c.gas).toMatch(/^0x[0-9a-f]+$/)
      expect(BigInt(c.gasUsed)).toBeLessThanOrEqual(BigInt(c.gas))
    }
    // the top frame's gasUsed is the receipt's
    await vm.stateManager.checkpoint()
    const receipt = await runTx(vm, { tx, block })
    await vm.stateManager.revert()
    expect(result.gasUsed).toBe(`0x${receipt.totalGasSpent.toString(16)}`)
  })

  test('behavior: withLog puts logs in their frames with their position among the calls', async () => {
    const result = await trace(await sign(parent, call('run'), 5n), {
      tracer: 'callTracer',
      tracerConfig: { withLog: true },
    })
    const ping = keccak256(toHex('Ping(address,uint256)'))
    expect(result.calls[0].logs).toEqual([
      {
        address: hex(child),
        topics: [ping, encodeAbiParameters([{ type: 'address' }], [hex(parent) as Hex])],
        data: toHex(41n, { size: 32 }),
        position: '0x0',
      },
    ])
    // the delegated code logs as the contract that delegates
    expect(result.calls[3].logs).toEqual([
      {
        address: hex(parent),
        topics: [ping, encodeAbiParameters([{ type: 'address' }], [hex(sender) as Hex])],
        data: toHex(1n, { size: 32 }),
        position: '0x0',
      },
    ])
    expect(result.calls[1].logs).toBeUndefined()
    expect(result.logs).toEqual([
      {
        address: hex(parent),
        topics: [keccak256(toHex('Done(uint256)'))],
        data: toHex(49n, { size: 32 }),
        position: '0x5',
      },
    ])
  })

  test('behavior: onlyTopCall keeps the top frame and its own logs only', async () => {
    const tx = await sign(parent, call('run'), 5n)
    const result = await trace(tx, {
      tracer: 'callTracer',
      tracerConfig: { onlyTopCall: true, withLog: true },
    })
    expect(result.calls).toBeUndefined()
    expect(result.logs).toHaveLength(1)
    expect(result.logs[0]).toMatchObject({ address: hex(parent), position: '0x0' })
  })

  test('behavior: a reverted transaction reports the reason and drops its logs', async () => {
    const result = await trace(await sign(parent, call('boom')), {
      tracer: 'callTracer',
      tracerConfig: { withLog: true },
    })
    expect(result).toMatchObject({ error: 'execution reverted', revertReason: 'nope' })
    expect(result.logs).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expect(result.calls[0]).toMatchObject({
      type: 'CALL',
      error: 'execution reverted',
      revertReason: 'nope',
    })
  })

  test('behavior: a call with more value than the balance fails without entering, as in geth', async () => {
    const result = await trace(await sign(parent, call('broke')), { tracer: 'callTracer' })
    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expect(result.calls[0]).toMatchObject({
      type: 'CALL',
      from: hex(parent),
      to: hex(child),
      value: '0xde0b6b3a7640000',
      gasUsed: '0x0',
      input: '0x',
      error: 'insufficient balance for transfer',
    })
    expect(BigInt(result.calls[0].gas)).toBeGreaterThan(2300n)
  })

  test('behavior: SELFDESTRUCT is a frame with the balance sent', async () => {
    const to = createAddressFromString(`0x${'be'.repeat(20)}`)
    const data = call('die', [hex(to)], contracts.Child.abi)
    const result = await trace(await sign(child, data), { tracer: 'callTracer' })
    expect(result.calls).toEqual([
      {
        from: hex(child),
        gas: '0x0',
        gasUsed: '0x0',
        to: hex(to),
        input: '0x',
        value: '0x3e8',
        type: 'SELFDESTRUCT',
      },
    ])
  })

  test('behavior: a contract creation is a CREATE frame to the new address', async () => {
    const tx = await sign(undefined, contracts.Child.bytecode)
    const result = await trace(tx, { tracer: 'callTracer' })
    expect(result).toMatchObject({
      type: 'CREATE',
      from: hex(sender),
      value: '0x0',
      output: contracts.Child.deployed,
    })
    const nonce = (await vm.stateManager.getAccount(sender))!.nonce
    expect(result.to).toBe(bytesToHex(generateAddress(sender.bytes, bigIntToBytes(nonce))))
  })
})

describe('struct logger', () => {
  test('default', async () => {
    const result = await trace(await sign(tiny, '0x'), {})
    expect(result).toMatchObject({ gas: 21000 + 22112, failed: false, returnValue: '0x' })
    const start = 1_000_000 - 21000
    expect(result.structLogs).toEqual([
      { pc: 0, op: 'PUSH1', gas: start, gasCost: 3, depth: 1, stack: [] },
      { pc: 2, op: 'PUSH1', gas: start - 3, gasCost: 3, depth: 1, stack: ['0x2'] },
      { pc: 4, op: 'ADD', gas: start - 6, gasCost: 3, depth: 1, stack: ['0x2', '0x3'] },
      { pc: 5, op: 'PUSH1', gas: start - 9, gasCost: 3, depth: 1, stack: ['0x5'] },
      {
        pc: 7,
        op: 'SSTORE',
        gas: start - 12,
        gasCost: 22100,
        depth: 1,
        stack: ['0x5', '0x0'],
        storage: { ['0'.repeat(64)]: `${'0'.repeat(63)}5` },
      },
      // geth reads a STOP past the end of the code
      { pc: 8, op: 'STOP', gas: start - 22112, gasCost: 0, depth: 1, stack: [] },
    ])
  })

  test('behavior: disableStack, disableStorage and enableMemory', async () => {
    const result = await trace(await sign(tiny, '0x'), {
      disableStack: true,
      disableStorage: true,
      enableMemory: true,
    })
    for (const log of result.structLogs) {
      expect(log).not.toHaveProperty('stack')
      expect(log).not.toHaveProperty('storage')
      expect(log).not.toHaveProperty('memory') // the code never touches memory
    }
    const withMemory = await trace(await sign(parent, call('run'), 5n), { enableMemory: true })
    const mstore = withMemory.structLogs.findIndex((l: { op: string }) => l.op === 'MSTORE')
    expect(withMemory.structLogs[mstore + 1].memory[2]).toBe(`${'0'.repeat(62)}80`)
  })

  test('behavior: nested calls change depth and the CALL cost includes the gas handed over', async () => {
    const result = await trace(await sign(caller, '0x'), {})
    const logs = result.structLogs as { op: string; depth: number; gas: number; gasCost: number }[]
    expect(logs.map((l) => `${l.depth}:${l.op}`)).toEqual([
      ...['PUSH1', 'PUSH1', 'PUSH1', 'PUSH1', 'PUSH1', 'PUSH20', 'GAS', 'CALL'].map(
        (op) => `1:${op}`,
      ),
      ...['PUSH1', 'PUSH1', 'ADD', 'PUSH1', 'SSTORE', 'STOP'].map((op) => `2:${op}`),
      '1:POP',
      '1:STOP',
    ])
    const [callStep, calleeFirst] = [logs[7], logs[8]]
    const cold = 2600
    expect(callStep.gasCost - cold).toBe(calleeFirst.gas)
    expect(logs[14].gas).toBe(callStep.gas - cold - 22112)
  })

  test('behavior: a revert is failed with its data as returnValue', async () => {
    const result = await trace(await sign(parent, call('boom')), {})
    expect(result.failed).toBe(true)
    expect(result.returnValue).toBe(
      encodeErrorResult({
        abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string' }] }],
        errorName: 'Error',
        args: ['nope'],
      }),
    )
    const depths = new Set(result.structLogs.map((l: { depth: number }) => l.depth))
    expect([...depths]).toEqual([1, 2])
    expect(result.structLogs.at(-1).op).toBe('REVERT')
  })
})

describe('prestateTracer', () => {
  test('default', async () => {
    const before = (await vm.stateManager.getAccount(sender))!
    const result = await trace(await sign(parent, call('run'), 5n), { tracer: 'prestateTracer' })
    expect(before.nonce).toBe(2n)
    expect(result[hex(sender)]).toEqual({ balance: toHex(before.balance), nonce: 2 })
    expect(result[hex(parent)]).toEqual({
      balance: '0x0',
      code: contracts.Parent.deployed,
      nonce: 1,
      storage: {
        [toHex(0n, { size: 32 })]: encodeAbiParameters([{ type: 'address' }], [hex(child) as Hex]),
      },
    })
    expect(result[hex(child)]).toMatchObject({
      balance: '0x3e8',
      code: contracts.Child.deployed,
      nonce: 1,
    })
    const fees = (await vm.stateManager.getAccount(coinbase))!.balance
    expect(fees).toBeGreaterThan(0n)
    expect(result[hex(coinbase)]).toEqual({ balance: toHex(fees) })
    // the contract the transaction creates did not exist before it
    expect(Object.keys(result)).toHaveLength(4)
  })
})

describe('traceTransaction', () => {
  test('behavior: an unknown tracer is rejected', async () => {
    await expect(trace(await sign(tiny, '0x'), { tracer: '4byteTracer' })).rejects.toThrow(
      'tracer not supported: 4byteTracer',
    )
  })

  test('behavior: listeners are removed, also when the transaction is invalid', async () => {
    const events = vm.evm.events!
    await trace(await sign(tiny, '0x'), { tracer: 'callTracer' })
    const stale = createFeeMarket1559Tx(
      { nonce: 0n, to: tiny, gasLimit: 100_000n, maxFeePerGas: 10n ** 9n, chainId: 901n },
      { common },
    ).sign(privateKey)
    await expect(trace(stale, {})).rejects.toThrow(/nonce/)
    for (const name of ['step', 'beforeMessage', 'afterMessage'] as const)
      expect(events.listenerCount(name)).toBe(0)
  })
})
