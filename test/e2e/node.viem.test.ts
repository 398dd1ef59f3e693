import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  getAddress,
  hashDomain,
  http,
  parseEther,
  parseGwei,
  parseSignature,
  parseUnits,
  webSocket,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { testTokenAbi, testTokenBytecode } from '../../generated/contracts/TestToken.js'
import {
  devAccount,
  freshAddress,
  getShards,
  rpc,
  rpcResult,
  shardChain,
  waitFor,
  type ShardInfo,
} from './node.fixtures.js'
import { startAnvil, startNode, type Anvil, type L2Node } from './processes.js'

/**
 * The node through viem, as a dapp uses it: public and wallet clients over HTTP and over WebSocket,
 * an ERC-20 with permit, revert errors decoded as from anvil, and the transaction pool (nonce gaps,
 * replacement). Events and subscriptions are in node.viemEvents.test.ts. Automine (BLOCK_TIME_MS=0).
 */

const owner = devAccount(0)
const spender = devAccount(1)
const relayer = devAccount(2)
const gapper = devAccount(3)
const SUPPLY = parseUnits('1000000', 18)

let node: L2Node
let anvil: Anvil
let shard: ShardInfo
let chain: Chain
let pub: PublicClient
let pubWs: PublicClient
/** A wallet client with its account and chain set, so that writes need neither. */
type Wallet = WalletClient<Transport, Chain, Account>

const wallet: Record<'owner' | 'spender' | 'relayer', Wallet> = {} as never
let walletWs: Wallet
let anvilPub: PublicClient
let token: Address
let anvilToken: Address
let deployBlock: bigint

beforeAll(async () => {
  ;[node, anvil] = await Promise.all([
    startNode({ vars: { BLOCK_TIME_MS: '0' } }),
    startAnvil({ chainId: 901, hardfork: 'osaka' }),
  ])
  shard = (await getShards(node.url)).find((s) => s.chainId === 901)!
  chain = shardChain(shard)
  const transport = http(shard.rpcUrl, { retryCount: 0 })
  const ws = webSocket(shard.wsUrl, { retryCount: 0 })
  pub = createPublicClient({ chain, transport, pollingInterval: 50 })
  pubWs = createPublicClient({ chain, transport: ws, pollingInterval: 50 })
  wallet.owner = createWalletClient({ chain, transport, account: owner })
  wallet.spender = createWalletClient({ chain, transport, account: spender })
  wallet.relayer = createWalletClient({ chain, transport, account: relayer })
  walletWs = createWalletClient({ chain, transport: ws, account: spender })
  const anvilChain = { ...chain, rpcUrls: { default: { http: [anvil.url] } } }
  anvilPub = createPublicClient({
    chain: anvilChain,
    transport: http(anvil.url, { retryCount: 0 }),
    pollingInterval: 50,
  })
  // The same deployer at nonce 0 on both chains: the token has the same address on both.
  const anvilWallet = createWalletClient({
    chain: anvilChain,
    transport: http(anvil.url),
    account: owner,
  })
  const args = ['Test Token', 'TST', SUPPLY] as const
  const [hash, anvilHash] = await Promise.all([
    wallet.owner.deployContract({ abi: testTokenAbi, bytecode: testTokenBytecode, args, chain }),
    anvilWallet.deployContract({
      abi: testTokenAbi,
      bytecode: testTokenBytecode,
      args,
      chain: anvilChain,
    }),
  ])
  const receipt = await pub.waitForTransactionReceipt({ hash })
  token = receipt.contractAddress!
  deployBlock = receipt.blockNumber
  anvilToken = (await anvilPub.waitForTransactionReceipt({ hash: anvilHash })).contractAddress!
})

afterAll(async () => {
  await pubWs?.transport
    .getRpcClient?.()
    .then((c: { close(): void }) => c.close())
    .catch(() => {})
  await walletWs?.transport
    .getRpcClient?.()
    .then((c: { close(): void }) => c.close())
    .catch(() => {})
  await Promise.all([node?.stop(), anvil?.stop()])
})

const erc20 = () => ({ address: token, abi: testTokenAbi }) as const
const balanceOf = (who: Address, client: PublicClient = pub) =>
  client.readContract({ ...erc20(), functionName: 'balanceOf', args: [who] })

describe('viem: ERC-20 over http and webSocket', () => {
  test('default: deploy, transfer, approve and transferFrom over http', async () => {
    expect(await pub.getCode({ address: token })).toMatch(/^0x6080/)
    expect(await pub.readContract({ ...erc20(), functionName: 'name' })).toBe('Test Token')
    expect(await balanceOf(owner.address)).toBe(SUPPLY)
    const bob = freshAddress()
    const r1 = await pub.waitForTransactionReceipt({
      hash: await wallet.owner.writeContract({
        ...erc20(),
        functionName: 'transfer',
        args: [bob, 100n],
        chain,
      }),
    })
    expect(r1.status).toBe('success')
    await pub.waitForTransactionReceipt({
      hash: await wallet.owner.writeContract({
        ...erc20(),
        functionName: 'approve',
        args: [spender.address, 50n],
        chain,
      }),
    })
    const r3 = await pub.waitForTransactionReceipt({
      hash: await wallet.spender.writeContract({
        ...erc20(),
        functionName: 'transferFrom',
        args: [owner.address, bob, 30n],
        chain,
      }),
    })
    expect(r3.status).toBe('success')
    expect(await balanceOf(bob)).toBe(130n)
    expect(await balanceOf(owner.address)).toBe(SUPPLY - 130n)
    expect(
      await pub.readContract({
        ...erc20(),
        functionName: 'allowance',
        args: [owner.address, spender.address],
      }),
    ).toBe(20n)
  })

  test('behavior: writeContractSync (eth_sendRawTransactionSync, EIP-7966) returns the receipt anvil returns', async () => {
    const anvilWallet = createWalletClient({
      chain: anvilPub.chain,
      transport: http(anvil.url, { retryCount: 0 }),
      account: owner,
    })
    const bob = freshAddress()
    const args = { abi: testTokenAbi, functionName: 'transfer', args: [bob, 7n] } as const
    const [ours, theirs] = await Promise.all([
      wallet.owner.writeContractSync({ ...args, address: token, chain }),
      anvilWallet.writeContractSync({ ...args, address: anvilToken, chain: anvilPub.chain }),
    ])
    expect(ours.status).toBe('success')
    expect(await pub.getTransactionReceipt({ hash: ours.transactionHash })).toEqual(ours)
    const shape = (r: typeof ours) => ({
      status: r.status,
      gasUsed: r.gasUsed,
      type: r.type,
      from: r.from,
      logs: r.logs.map((l) => ({ topics: l.topics, data: l.data })),
    })
    expect(shape(ours)).toEqual(shape(theirs))
    expect(await balanceOf(bob)).toBe(7n)
  })

  test('behavior: the same calls over the webSocket transport', async () => {
    expect(await pubWs.getChainId()).toBe(901)
    expect(await pubWs.getBlockNumber()).toBe(await pub.getBlockNumber())
    const carol = freshAddress()
    await pub.waitForTransactionReceipt({
      hash: await wallet.owner.writeContract({
        ...erc20(),
        functionName: 'transfer',
        args: [spender.address, 1_000n],
        chain,
      }),
    })
    // Written and awaited over the socket: eth_sendRawTransaction and the receipt go through the feed object.
    const hash = await walletWs.writeContract({
      ...erc20(),
      functionName: 'transfer',
      args: [carol, 7n],
      chain,
    })
    const receipt = await pubWs.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    expect(await balanceOf(carol, pubWs)).toBe(7n)
    expect(await pubWs.getTransaction({ hash })).toMatchObject({
      hash,
      from: spender.address.toLowerCase(),
      blockNumber: receipt.blockNumber,
    })
  })

  test('behavior: permit (EIP-2612) signed with signTypedData, then transferFrom by the spender', async () => {
    const { domain: read } = await pub.getEip712Domain({ address: token })
    const domain = {
      name: 'Test Token',
      version: '1',
      chainId: 901,
      verifyingContract: getAddress(token),
    } as const
    expect(read).toMatchObject(domain)
    // The separator the contract computes (block.chainid, address(this)) is the one viem computes.
    const types = {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
    } as const
    expect(await pub.readContract({ ...erc20(), functionName: 'DOMAIN_SEPARATOR' })).toBe(
      hashDomain({ domain: { ...domain, chainId: 901n }, types }),
    )
    const nonce = await pub.readContract({
      ...erc20(),
      functionName: 'nonces',
      args: [owner.address],
    })
    const deadline = (await pub.getBlock()).timestamp + 3600n
    const value = 500n
    const signature = await wallet.owner.signTypedData({
      account: owner,
      domain,
      types: {
        Permit: [
          { name: 'owner', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'deadline', type: 'uint256' },
        ],
      },
      primaryType: 'Permit',
      message: { owner: owner.address, spender: relayer.address, value, nonce, deadline },
    })
    const { r, s, v } = parseSignature(signature)
    // The relayer submits the owner's signature: the owner sends nothing.
    const ownerNonce = await pub.getTransactionCount({ address: owner.address })
    const permit = await pub.waitForTransactionReceipt({
      hash: await wallet.relayer.writeContract({
        ...erc20(),
        functionName: 'permit',
        args: [owner.address, relayer.address, value, deadline, Number(v), r, s],
        chain,
      }),
    })
    expect(permit.status).toBe('success')
    expect(await pub.getTransactionCount({ address: owner.address })).toBe(ownerNonce)
    expect(
      await pub.readContract({
        ...erc20(),
        functionName: 'allowance',
        args: [owner.address, relayer.address],
      }),
    ).toBe(value)
    expect(
      await pub.readContract({ ...erc20(), functionName: 'nonces', args: [owner.address] }),
    ).toBe(nonce + 1n)
    const dave = freshAddress()
    await pub.waitForTransactionReceipt({
      hash: await wallet.relayer.writeContract({
        ...erc20(),
        functionName: 'transferFrom',
        args: [owner.address, dave, 200n],
        chain,
      }),
    })
    expect(await balanceOf(dave)).toBe(200n)
    expect(
      await pub.readContract({
        ...erc20(),
        functionName: 'allowance',
        args: [owner.address, relayer.address],
      }),
    ).toBe(300n)
    // The same signature cannot be used twice: the nonce moved on.
    await expect(
      pub.simulateContract({
        ...erc20(),
        account: relayer,
        functionName: 'permit',
        args: [owner.address, relayer.address, value, deadline, Number(v), r, s],
      }),
    ).rejects.toThrow(/ERC2612InvalidSigner/)
  })
})

describe('viem: revert errors', () => {
  /** The decoded revert as viem reports it, from the node or from anvil. */
  async function revertOf(
    client: PublicClient,
    address: Address,
    functionName: 'guarded' | 'failWithReason',
    how: 'read' | 'simulate',
  ) {
    const call = { address, abi: testTokenAbi, functionName, account: spender } as const
    const err = await (
      how === 'read' ? client.readContract(call) : client.simulateContract(call as never)
    ).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(BaseError)
    const reverted = (err as BaseError).walk((e) => e instanceof ContractFunctionRevertedError)
    expect(reverted).toBeInstanceOf(ContractFunctionRevertedError)
    const r = reverted as ContractFunctionRevertedError
    // Not `message`: its "Details:" line quotes the node's own words, which follow geth ("execution reverted")
    // where anvil adds "custom error 0x…".
    return {
      shortMessage: r.shortMessage,
      metaMessages: r.metaMessages,
      reason: r.reason,
      data: r.data,
      raw: r.raw,
      signature: r.signature,
    }
  }

  test('default: a custom error is decoded with its name and arguments, as from anvil', async () => {
    expect(anvilToken).toBe(token)
    const fromNode = await revertOf(pub, token, 'guarded', 'read')
    expect(fromNode.data).toMatchObject({ errorName: 'NotAllowed', args: [spender.address] })
    expect(fromNode).toEqual(await revertOf(anvilPub, anvilToken, 'guarded', 'read'))
    expect(await revertOf(pubWs, token, 'guarded', 'simulate')).toEqual(
      await revertOf(anvilPub, anvilToken, 'guarded', 'simulate'),
    )
    // On the wire: code 3 with the revert data, as geth and anvil answer.
    const call = [
      {
        from: spender.address,
        to: token,
        data: encodeFunctionData({ abi: testTokenAbi, functionName: 'guarded' }),
      },
      'latest',
    ]
    const [wire, anvilWire] = await Promise.all([
      rpc(shard.rpcUrl, 'eth_call', call),
      rpc(anvil.url, 'eth_call', call),
    ])
    expect(wire.error).toEqual({ code: 3, message: 'execution reverted', data: fromNode.raw })
    expect(anvilWire.error).toMatchObject({ code: 3, data: fromNode.raw })
  })

  test('behavior: a reason string reaches viem as the reason, as from anvil', async () => {
    const fromNode = await revertOf(pub, token, 'failWithReason', 'simulate')
    expect(fromNode.reason).toBe('token: nope')
    expect(fromNode.shortMessage).toContain('token: nope')
    expect(fromNode).toEqual(await revertOf(anvilPub, anvilToken, 'failWithReason', 'simulate'))
    expect(await revertOf(pubWs, token, 'failWithReason', 'read')).toEqual(
      await revertOf(anvilPub, anvilToken, 'failWithReason', 'read'),
    )
  })

  test('behavior: writeContract of a reverting call fails in gas estimation with the decoded error', async () => {
    // failWithReason is `pure`: viem still sends it as a transaction when asked to write it.
    const write = (w: Wallet, c: Chain) =>
      w
        .writeContract({
          address: token,
          abi: testTokenAbi,
          functionName: 'failWithReason',
          account: spender,
          chain: c,
        } as never)
        .then(
          () => undefined,
          (e: BaseError) =>
            (
              e.walk(
                (x) => x instanceof ContractFunctionRevertedError,
              ) as ContractFunctionRevertedError | null
            )?.reason,
        )
    const anvilWallet: Wallet = createWalletClient({
      chain: anvilPub.chain!,
      transport: http(anvil.url),
      account: spender as Account,
    })
    expect(await write(wallet.spender, chain)).toBe('token: nope')
    expect(await write(anvilWallet, anvilPub.chain!)).toBe('token: nope')
  })
})

describe('viem: transaction pool', () => {
  const fees = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('2') }
  const sign = (nonce: number, over: Partial<typeof fees> & { value?: bigint } = {}) =>
    gapper.signTransaction({
      type: 'eip1559',
      chainId: 901,
      to: relayer.address,
      gas: 21_000n,
      value: 1n,
      nonce,
      ...fees,
      ...over,
    })
  const bump = (pct: bigint) => ({
    maxFeePerGas: (fees.maxFeePerGas * (100n + pct)) / 100n,
    maxPriorityFeePerGas: (fees.maxPriorityFeePerGas * (100n + pct)) / 100n,
  })
  let base: number
  let queuedHash: Hex
  let replacementHash: Hex

  test('default: a nonce gap is queued; txpool_status, txpool_content and the pending nonce agree', async () => {
    base = await pub.getTransactionCount({ address: gapper.address })
    expect(await pub.getTransactionCount({ address: gapper.address, blockTag: 'pending' })).toBe(
      base,
    )
    queuedHash = (await rpcResult(shard.rpcUrl, 'eth_sendRawTransaction', [
      await sign(base + 1),
    ])) as Hex
    expect(await pub.request({ method: 'txpool_status' } as never)).toEqual({
      pending: '0x0',
      queued: '0x1',
    })
    const content = (await pub.request({ method: 'txpool_content' } as never)) as any
    expect(content.pending).toEqual({})
    expect(Object.keys(content.queued)).toEqual([gapper.address.toLowerCase()])
    expect(content.queued[gapper.address.toLowerCase()][String(base + 1)]).toMatchObject({
      hash: queuedHash,
      nonce: `0x${(base + 1).toString(16)}`,
      blockNumber: null,
    })
    // The gap is not counted: the next usable nonce is still `base`.
    expect(await pub.getTransactionCount({ address: gapper.address, blockTag: 'pending' })).toBe(
      base,
    )
    expect(await pub.getTransactionCount({ address: gapper.address })).toBe(base)
    expect(await rpcResult(shard.rpcUrl, 'edge_getTransactionStatus', [queuedHash])).toEqual({
      status: 'pending',
    })
    expect(await pub.getTransaction({ hash: queuedHash })).toMatchObject({
      blockNumber: null,
      nonce: base + 1,
    })
  })

  test('behavior: a replacement needs a 10% bump of both fees', async () => {
    const under = await rpc(shard.rpcUrl, 'eth_sendRawTransaction', [
      await sign(base + 1, { ...bump(9n), value: 2n }),
    ])
    expect(under.error).toMatchObject({
      code: -32000,
      message: 'replacement transaction underpriced',
    })
    const tipOnly = await rpc(shard.rpcUrl, 'eth_sendRawTransaction', [
      await sign(base + 1, { maxFeePerGas: bump(10n).maxFeePerGas, value: 2n }),
    ])
    expect(tipOnly.error?.message).toBe('replacement transaction underpriced')
    replacementHash = (await rpcResult(shard.rpcUrl, 'eth_sendRawTransaction', [
      await sign(base + 1, { ...bump(10n), value: 2n }),
    ])) as Hex
    expect(await pub.request({ method: 'txpool_status' } as never)).toEqual({
      pending: '0x0',
      queued: '0x1',
    })
    const content = (await pub.request({ method: 'txpool_content' } as never)) as any
    expect(content.queued[gapper.address.toLowerCase()][String(base + 1)].hash).toBe(
      replacementHash,
    )
    expect(await rpcResult(shard.rpcUrl, 'eth_getTransactionByHash', [queuedHash])).toBeNull()
  })

  test('behavior: filling the gap mines both, in nonce order, and the replaced one is never mined', async () => {
    const first = (await rpcResult(shard.rpcUrl, 'eth_sendRawTransaction', [
      await sign(base),
    ])) as Hex
    const [r0, r1] = await Promise.all([
      pub.waitForTransactionReceipt({ hash: first }),
      pub.waitForTransactionReceipt({ hash: replacementHash }),
    ])
    expect(
      r0.blockNumber < r1.blockNumber ||
        (r0.blockNumber === r1.blockNumber && r0.transactionIndex < r1.transactionIndex),
    ).toBe(true)
    expect((await pub.getTransaction({ hash: replacementHash })).value).toBe(2n)
    expect(await pub.getTransactionCount({ address: gapper.address })).toBe(base + 2)
    expect(await pub.getTransactionCount({ address: gapper.address, blockTag: 'pending' })).toBe(
      base + 2,
    )
    expect(await pub.request({ method: 'txpool_status' } as never)).toEqual({
      pending: '0x0',
      queued: '0x0',
    })
    expect(await rpcResult(shard.rpcUrl, 'eth_getTransactionReceipt', [queuedHash])).toBeNull()
  })

  test("behavior: a transaction the balance cannot pay on top of the sender's pooled ones is refused at admission", async () => {
    // geth counts what a sender's pooled transactions already commit ("queued cost"): a hash that is
    // returned must be one the node can mine. A fresh account with 1 ETH queues 0.6 ETH at nonce 1,
    // then asks for another 0.6 ETH at nonce 0: together they overshoot the balance.
    const payer = privateKeyToAccount(generatePrivateKey())
    await pub.waitForTransactionReceipt({
      hash: await wallet.owner.sendTransaction({ to: payer.address, value: parseEther('1') }),
    })
    const spend = (nonce: number) =>
      payer.signTransaction({
        chainId: 901,
        type: 'eip1559',
        nonce,
        to: relayer.address,
        gas: 21_000n,
        value: parseEther('0.6'),
        ...fees,
      })
    const queued = (await rpcResult(shard.rpcUrl, 'eth_sendRawTransaction', [
      await spend(1),
    ])) as Hex
    const second = await rpc(shard.rpcUrl, 'eth_sendRawTransaction', [await spend(0)])
    // Whatever the node decides, no acknowledged hash may end up dropped for lack of funds.
    const acknowledged = [queued, ...(second.result ? [second.result as Hex] : [])]
    const statuses = await Promise.all(
      acknowledged.map((h) =>
        waitFor(`a final status of ${h}`, async () => {
          const s = await rpcResult(shard.rpcUrl, 'edge_getTransactionStatus', [h])
          return s.status === 'pending' && second.result ? undefined : s
        }),
      ),
    )
    expect(statuses.filter((s) => s.status === 'dropped')).toEqual([])
    expect(second.error?.message).toMatch(/^insufficient funds for gas \* price \+ value/)
  })

  test('behavior: a replaced transaction is reported dropped with a reason (invariant 5)', async () => {
    // Its hash was returned by eth_sendRawTransaction, so the node must say what became of it.
    expect(await rpcResult(shard.rpcUrl, 'edge_getTransactionStatus', [queuedHash])).toEqual({
      status: 'dropped',
      reason: expect.stringMatching(/replace/i),
    })
  })
})
