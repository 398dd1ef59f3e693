import {
  ContractFactory,
  HDNodeWallet,
  JsonRpcProvider,
  isError,
  parseEther,
  parseUnits,
  solidityPackedKeccak256,
  zeroPadValue,
  type BaseContract,
  type ContractEventPayload,
  type ContractTransactionResponse,
  type EventLog,
} from 'ethers'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { testTokenAbi, testTokenBytecode } from '../../generated/contracts/TestToken.js'
import { MNEMONIC, freshAddress, getShards, rpcResult } from './node.fixtures.js'
import { startNode, type L2Node } from './processes.js'

/**
 * The node through ethers v6 (JsonRpcProvider + Wallet), with real block timing (BLOCK_TIME_MS=1000):
 * deployment by ContractFactory, transfers and their events (queryFilter, `contract.on` over
 * eth_newFilter), CALL_EXCEPTION errors with the reason and the custom error, fee data, and legacy
 * (type 0) and access-list (type 1) transactions.
 */

/** The typed surface of TestToken this file calls (ethers contracts are untyped without typechain). */
type Token = BaseContract & {
  name(): Promise<string>
  balanceOf(who: string): Promise<bigint>
  transfer(to: string, value: bigint): Promise<ContractTransactionResponse>
  guarded: { (): Promise<boolean>; staticCall(): Promise<boolean> }
  failWithReason: { (): Promise<ContractTransactionResponse>; staticCall(): Promise<void> }
  getAddress(): Promise<string>
  connect(runner: HDNodeWallet): Token
}

const SUPPLY = parseUnits('1000000', 18)
const wallet = (i: number, provider: JsonRpcProvider) =>
  HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(provider)

let node: L2Node
let rpcUrl: string
let provider: JsonRpcProvider
let deployer: HDNodeWallet
let other: HDNodeWallet
let token: Token

beforeAll(async () => {
  node = await startNode({ vars: { BLOCK_TIME_MS: '1000' } })
  rpcUrl = (await getShards(node.url)).find((s) => s.chainId === 901)!.rpcUrl
  provider = new JsonRpcProvider(rpcUrl, 901, {
    staticNetwork: true,
    pollingInterval: 100,
    cacheTimeout: -1,
  })
  deployer = wallet(4, provider)
  other = wallet(5, provider)
  const factory = new ContractFactory(testTokenAbi, testTokenBytecode, deployer)
  const deployed = await factory.deploy('Ethers Token', 'ETK', SUPPLY)
  await deployed.waitForDeployment()
  token = deployed as unknown as Token
})

afterAll(async () => {
  provider?.destroy()
  await node?.stop()
})

describe('ethers: contract', () => {
  test('default: ContractFactory deployment, then a transfer read back with queryFilter', async () => {
    const address = await token.getAddress()
    expect(await provider.getCode(address)).toMatch(/^0x6080/)
    expect(await token.name()).toBe('Ethers Token')
    expect(await token.balanceOf(deployer.address)).toBe(SUPPLY)
    const to = freshAddress()
    const tx = await token.transfer(to, 1234n)
    const receipt = (await tx.wait())!
    expect(receipt.status).toBe(1)
    expect(await token.balanceOf(to)).toBe(1234n)
    const events = (await token.queryFilter(
      token.filters.Transfer(deployer.address, to),
      0,
      'latest',
    )) as EventLog[]
    expect(events).toHaveLength(1)
    expect(events[0].args.toObject()).toEqual({ from: deployer.address, to, value: 1234n })
    expect(events[0]).toMatchObject({
      transactionHash: tx.hash,
      blockHash: receipt.blockHash,
      blockNumber: receipt.blockNumber,
      index: receipt.logs[0].index,
    })
    // The mint of the deployment is the first Transfer.
    const mint = (await token.queryFilter(token.filters.Transfer(), 0)) as EventLog[]
    expect(mint[0].args.toObject()).toEqual({
      from: '0x0000000000000000000000000000000000000000',
      to: deployer.address,
      value: SUPPLY,
    })
  })

  test('behavior: contract.on("Transfer") delivers a later transfer (eth_newFilter polling)', async () => {
    const to = freshAddress()
    let resolve!: (v: { from: string; to: string; value: bigint; hash: string }) => void
    const seen = new Promise<{ from: string; to: string; value: bigint; hash: string }>(
      (r) => (resolve = r),
    )
    // `on` resolves once ethers has sent eth_newFilter, before the transfer below is even estimated.
    // With a filter object ethers passes the payload (ContractEventPayload) as the last argument.
    await token.on(token.filters.Transfer(null, to), (...args: unknown[]) => {
      const payload = args.at(-1) as ContractEventPayload
      const [from, t, value] = payload.args
      resolve({ from, to: t, value, hash: payload.log.transactionHash })
    })
    try {
      const tx = await token.transfer(to, 77n)
      await tx.wait()
      expect(await seen).toEqual({ from: deployer.address, to, value: 77n, hash: tx.hash })
    } finally {
      await token.removeAllListeners()
    }
  })

  test('behavior: a reason string is a CALL_EXCEPTION with reason "token: nope"', async () => {
    const err = await token.failWithReason.staticCall().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isError(err, 'CALL_EXCEPTION')).toBe(true)
    if (!isError(err, 'CALL_EXCEPTION')) return
    expect(err.reason).toBe('token: nope')
    expect(err.revert).toEqual({ signature: 'Error(string)', name: 'Error', args: ['token: nope'] })
    // Sending it fails in estimation with the same error, before anything is signed.
    const nonce = await provider.getTransactionCount(deployer.address, 'pending')
    const sent = await token.failWithReason().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isError(sent, 'CALL_EXCEPTION') && sent.reason).toBe('token: nope')
    expect(await provider.getTransactionCount(deployer.address, 'pending')).toBe(nonce)
  })

  test('behavior: a custom error is a CALL_EXCEPTION whose data parseError decodes', async () => {
    expect(await token.guarded.staticCall()).toBe(true)
    const err = await (token.connect(other) as Token).guarded.staticCall().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isError(err, 'CALL_EXCEPTION')).toBe(true)
    if (!isError(err, 'CALL_EXCEPTION')) return
    const parsed = token.interface.parseError(err.data!)
    expect(parsed?.name).toBe('NotAllowed')
    expect(parsed?.args.toArray()).toEqual([other.address])
    expect(err.revert).toMatchObject({ name: 'NotAllowed', args: [other.address] })
  })
})

describe('ethers: transactions', () => {
  test('default: getFeeData agrees with eth_gasPrice, eth_maxPriorityFeePerGas and the next base fee', async () => {
    const fee = await provider.getFeeData()
    const block = (await provider.getBlock('latest'))!
    expect(fee.gasPrice).toBeTypeOf('bigint')
    expect(fee.maxPriorityFeePerGas).toBeTypeOf('bigint')
    // ethers: maxFeePerGas = 2 * latest base fee + priority fee.
    expect(fee.maxFeePerGas).toBe(block.baseFeePerGas! * 2n + fee.maxPriorityFeePerGas!)
    const [gasPrice, tip] = await Promise.all([
      rpcResult(rpcUrl, 'eth_gasPrice'),
      rpcResult(rpcUrl, 'eth_maxPriorityFeePerGas'),
    ])
    expect(BigInt(tip)).toBe(fee.maxPriorityFeePerGas)
    // eth_gasPrice is the next base fee plus the suggested tip; the head may have moved in between.
    expect(BigInt(gasPrice)).toBeGreaterThanOrEqual(BigInt(tip))
    expect(fee.gasPrice! >= fee.maxPriorityFeePerGas!).toBe(true)
  })

  test('behavior: a legacy (type 0, EIP-155) transaction is mined and priced at its gas price', async () => {
    const to = freshAddress()
    const before = await provider.getBalance(other.address)
    const tx = await other.sendTransaction({ type: 0, to, value: parseEther('1.5') })
    expect(tx.type).toBe(0)
    const receipt = (await tx.wait())!
    expect(receipt).toMatchObject({ status: 1, type: 0 })
    expect(receipt.gasPrice).toBe(tx.gasPrice)
    const mined = (await provider.getTransaction(tx.hash))!
    expect(mined).toMatchObject({
      type: 0,
      chainId: 901n,
      gasPrice: tx.gasPrice,
      blockHash: receipt.blockHash,
    })
    expect(await provider.getBalance(to)).toBe(parseEther('1.5'))
    expect(await provider.getBalance(other.address)).toBe(
      before - parseEther('1.5') - receipt.gasUsed * receipt.gasPrice,
    )
  })

  test('behavior: an access-list (type 1) transaction is mined with its access list', async () => {
    const address = await token.getAddress()
    const to = freshAddress()
    // OpenZeppelin 5 ERC20: balances is a mapping at slot 0.
    const slotOf = (who: string) =>
      solidityPackedKeccak256(['bytes32', 'uint256'], [zeroPadValue(who, 32), 0])
    const accessList = [{ address, storageKeys: [slotOf(deployer.address), slotOf(to)] }]
    const data = token.interface.encodeFunctionData('transfer', [to, 5n])
    const tx = await deployer.sendTransaction({ type: 1, to: address, data, accessList })
    expect(tx.type).toBe(1)
    const receipt = (await tx.wait())!
    expect(receipt).toMatchObject({ status: 1, type: 1 })
    const mined = (await provider.getTransaction(tx.hash))!
    expect(mined.type).toBe(1)
    expect(
      mined.accessList?.map((e) => ({
        address: e.address.toLowerCase(),
        storageKeys: e.storageKeys,
      })),
    ).toEqual(
      accessList.map((e) => ({ address: e.address.toLowerCase(), storageKeys: e.storageKeys })),
    )
    expect(await token.balanceOf(to)).toBe(5n)
  })

  test('behavior: a default (type 2) transfer between two sends of other types keeps nonces in order', async () => {
    const start = await provider.getTransactionCount(other.address, 'latest')
    const t0 = await other.sendTransaction({ type: 0, to: freshAddress(), value: 1n })
    const t2 = await other.sendTransaction({ to: freshAddress(), value: 1n })
    expect(t2.type).toBe(2)
    expect([t0.nonce, t2.nonce]).toEqual([start, start + 1])
    const [r0, r2] = await Promise.all([t0.wait(), t2.wait()])
    expect([r0?.status, r2?.status]).toEqual([1, 1])
    expect(await provider.getTransactionCount(other.address, 'latest')).toBe(start + 2)
  })
})
