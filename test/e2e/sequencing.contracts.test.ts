import {
  decodeErrorResult,
  decodeFunctionData,
  encodeAbiParameters,
  encodeFunctionData,
  hexToBigInt,
  isAddressEqual,
  keccak256,
  parseAbiParameters,
  parseEther,
  zeroAddress,
  type Address,
  type Hex,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { multicall3Abi } from '../../generated/contracts/Multicall3.js'
import { sequencerPoolAbi, sequencerPoolBytecode } from '../../generated/contracts/SequencerPool.js'
import { verifierStakingAbi } from '../../generated/contracts/VerifierStaking.js'
import { AdminKeyError, assertNoAdminKeys } from '../../scripts/deploy-dac.js'
import { toL1Config } from '../../scripts/deploy-l1.js'
import { stakeOperators } from '../../scripts/devnet-verifiers.js'
import {
  devnetSequencingParams,
  parseSequencingParams,
  poolParamsArray,
  sequencingParamsFiles,
} from '../../scripts/sequencing-params.js'
import { timelockWallet } from './l1.fixtures.js'
import {
  BATCH,
  Change,
  PARAMS,
  STAKES,
  beforeBootstrap,
  bootEpoch,
  eventsOf,
  latestBlock,
  mineTo,
  nextEpoch,
  operatorOf,
  pool,
  read,
  seedBlockOf,
  seed,
  skip,
  stakeOf,
  submit,
  useSequencingDevnet,
} from './sequencing.fixtures.js'
import {
  A,
  B,
  C,
  D,
  anvil,
  chain,
  d,
  dev,
  expectError,
  mined,
  relayer,
  staking,
} from './verifiers.fixtures.js'

/**
 * SequencerPool on anvil (issue 13, DESIGN.md invariant 8: no single key halts the chain past a
 * failover): the deployment, epochs, seeding, the stake-weighted draw every node computes alike, URLs,
 * the batch entry point, forced inclusion (the sequencing window on a batch's declared L1 origin),
 * failover after silence or inactivity (ejection and slashing by equivocation proof and by challenge
 * and vote, the bond of a frivolous challenge: sequencing.challenges.test.ts; the reward's credit and
 * payout: sequencing.rewards.test.ts). The devnet of sequencing.fixtures.ts: operators A, B, C
 * (devnet keys 10-12) bond 100,000, 200,000 and 300,000 EDGE; the first epoch is bootstrapped with
 * them; every test starts from that state (an anvil snapshot, reverted after each test). Automine:
 * one transaction, one L1 block, and eth_estimateGas (hence `expectError` on a write) runs in that
 * block too (the latest + 1).
 */
useSequencingDevnet('sequencing', { fundD: true })

// ---------------------------------------------------------------------------------------- helpers

/** The draw as a node would compute it: rank r takes keccak256(seed, chainId, r) mod the stake left. */
function referenceOrder(
  seedHex: Hex,
  chainId: bigint,
  accounts: readonly Address[],
  weights: readonly bigint[],
) {
  const w = [...weights]
  let total = w.reduce((a, b) => a + b, 0n)
  const order: Address[] = []
  for (let r = 0n; r < BigInt(accounts.length); r++) {
    const draw = keccak256(
      encodeAbiParameters(parseAbiParameters('bytes32, uint256, uint256'), [seedHex, chainId, r]),
    )
    let u = hexToBigInt(draw) % total
    let i = 0
    while (u >= w[i]) u -= w[i++]
    order.push(accounts[i])
    total -= w[i]
    w[i] = 0n
  }
  return order
}

// ---------------------------------------------------------------------------------------- tests

describe('SequencerPool', () => {
  test('default: deployL1 wires the pool, owned by the Timelock, with the parameter files', async () => {
    expect(await relayer.readContract({ ...pool(), functionName: 'owner' })).toBe(d.dac.timelock)
    expect(await relayer.readContract({ ...pool(), functionName: 'STAKING' })).toBe(
      d.verifiers.staking,
    )
    for (const [i, s] of d.shards.entries()) {
      expect(
        await relayer.readContract({ ...pool(), functionName: 'chainIds', args: [BigInt(i)] }),
      ).toBe(BigInt(s.chainId))
      expect(await read.shard(BigInt(s.chainId))).toMatchObject({
        oracle: s.l2OutputOracle,
        l2BlockTime: 1n,
      })
    }
    const names = [
      'epochLength',
      'maxSilence',
      'challengeBond',
      'disputePeriod',
      'rewardPerBlock',
      'sequencingWindow',
    ] as const
    expect(
      await Promise.all(
        names.map((functionName) => relayer.readContract({ ...pool(), functionName })),
      ),
    ).toEqual([...poolParamsArray(PARAMS)])
    const config = toL1Config(d, anvil.url)
    expect(config.shards['901'].sequencerPool).toBe(d.sequencing.pool)
    expect(config.shards['902'].sequencerPool).toBe(d.sequencing.pool)

    expect(parseSequencingParams(sequencingParamsFiles.mainnet)).toEqual({
      epochLength: 300n,
      maxSilence: 10n,
      challengeBond: parseEther('1'),
      // 28 days: a Governor proposal takes 22 (2 days' delay, 5 of voting, the Timelock's 15).
      disputePeriod: 2_419_200n,
      rewardPerBlock: parseEther('0.005'),
      // One hour of 12 s L1 blocks (the OP Stack's window is 12 hours).
      sequencingWindow: 300n,
    })
    // Devnet: a silent sequencer is replaced within 10 s of blocks, well inside its 20 s epoch.
    expect(devnetSequencingParams).toMatchObject({
      epochLength: 20n,
      maxSilence: 8n,
      sequencingWindow: 24n,
      disputePeriod: 60n,
    })
    const short = structuredClone(sequencingParamsFiles.devnet)
    short.sequencing.disputePeriodSeconds = 35
    expect(() => parseSequencingParams(short)).toThrow(/whole Governor proposal \(36 s\)/)
    const bad = structuredClone(sequencingParamsFiles.devnet)
    bad.sequencing.maxSilenceBlocks = 20
    expect(() => parseSequencingParams(bad)).toThrow(/less than epochLengthBlocks/)
    expect(() => parseSequencingParams({})).toThrow(/no sequencing section/)
    const narrow = structuredClone(sequencingParamsFiles.devnet)
    narrow.sequencing.sequencingWindowBlocks = narrow.sequencing.maxSilenceBlocks
    expect(() => parseSequencingParams(narrow)).toThrow(/more than maxSilenceBlocks/)

    // VerifierStaking's slashers: the OutputQuorum and this pool.
    expect(await relayer.readContract({ ...staking(), functionName: 'QUORUM' })).toBe(
      d.verifiers.quorum,
    )
    expect(await relayer.readContract({ ...staking(), functionName: 'POOL' })).toBe(
      d.sequencing.pool,
    )
    // assertNoAdminKeys checks the pool's owner and that the staking names it as its POOL: a second
    // pool, otherwise sound (Timelock-owned, on the same staking), is not the one the staking trusts.
    await assertNoAdminKeys(relayer as never, d, 0n)
    const other = await mined(
      await dev[6].deployContract({
        abi: sequencerPoolAbi,
        bytecode: sequencerPoolBytecode,
        args: [
          d.verifiers.staking,
          d.dac.timelock,
          [901n],
          [d.shards[0].l2OutputOracle],
          poolParamsArray(PARAMS),
        ],
      }),
    )
    const stranger = await assertNoAdminKeys(
      relayer as never,
      { ...d, sequencing: { pool: other.contractAddress! } },
      0n,
    ).catch((e: unknown) => e)
    expect(stranger).toBeInstanceOf(AdminKeyError)
    expect(
      String((stranger as Error).message)
        .trim()
        .split('\n')
        .slice(1),
    ).toEqual([`  VerifierStaking.POOL() is ${d.sequencing.pool}, not ${other.contractAddress}`])
    const timelock = await timelockWallet(chain, d.dac.timelock)
    await timelock.writeContract({
      ...pool(),
      functionName: 'transferOwnership',
      args: [dev[5].account.address],
    })
    const err = await assertNoAdminKeys(relayer as never, d, 0n).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AdminKeyError)
    expect(String((err as Error).message)).toContain(
      `SequencerPool.pendingOwner() is ${dev[5].account.address}, not ${zeroAddress}`,
    )
  })

  test('behavior: epochs are epochLength L1 blocks from the deployment; a new length starts with the next epoch', async () => {
    const e = await nextEpoch()
    const start = await read.epochStart(e)
    expect(await read.epochAt(start)).toBe(e)
    expect(await read.epochAt(start - 1n)).toBe(e - 1n)
    expect(await read.epochStart(e + 1n)).toBe(start + PARAMS.epochLength)
    expect(await read.epochAt(0n)).toBe(0n)

    await expectError(
      relayer.writeContract({
        ...pool(),
        functionName: 'setParameters',
        args: [poolParamsArray({ ...PARAMS, epochLength: 10n })],
      }),
      'OwnableUnauthorizedAccount',
      [relayer.account.address],
    )
    const timelock = await timelockWallet(chain, d.dac.timelock)
    // maxSilence below the epoch; the sequencing window above maxSilence (hence above 0).
    for (const bad of [
      { epochLength: 5n, maxSilence: 5n },
      { sequencingWindow: PARAMS.maxSilence },
      { sequencingWindow: 0n },
    ])
      await expectError(
        timelock.writeContract({
          ...pool(),
          functionName: 'setParameters',
          args: [poolParamsArray({ ...PARAMS, ...bad })],
        }),
        'InvalidParameters',
      )
    const receipt = await timelock.waitForTransactionReceipt({
      hash: await timelock.writeContract({
        ...pool(),
        functionName: 'setParameters',
        args: [poolParamsArray({ ...PARAMS, epochLength: 10n, sequencingWindow: 6n })],
      }),
    })
    expect(eventsOf(receipt, 'ParametersUpdated')[0].args).toEqual({
      epochLength: 10n,
      maxSilence: PARAMS.maxSilence,
      challengeBond: PARAMS.challengeBond,
      disputePeriod: PARAMS.disputePeriod,
      rewardPerBlock: PARAMS.rewardPerBlock,
      sequencingWindow: 6n,
    })
    expect(await relayer.readContract({ ...pool(), functionName: 'sequencingWindow' })).toBe(6n)
    const c = await read.currentEpoch()
    const [scheduled] = eventsOf(receipt, 'EpochLengthScheduled')
    const next = await read.epochStart(c + 1n)
    expect(scheduled.args).toEqual({ fromEpoch: c + 1n, fromBlock: next, length: 10n })
    // The current epoch keeps its length; past blocks keep their epochs.
    expect(next).toBe((await read.epochStart(c)) + PARAMS.epochLength)
    expect(await read.epochAt(start)).toBe(e)
    expect(await read.epochStart(c + 3n)).toBe(next + 20n)
    expect(await read.epochAt(next + 25n)).toBe(c + 3n)
  })

  test('behavior: the first seedEpoch in the epoch before fixes its seed; candidates are fixed an epoch before their seed', async () => {
    expect(beforeBootstrap.sequencer).toBe(zeroAddress)
    expect((await read.candidatesOf(bootEpoch))[0]).toEqual([A.address, B.address, C.address])
    const c = await nextEpoch()
    const staking = { token: d.dac.token, staking: d.verifiers.staking }
    const seedNow = (e: bigint) =>
      relayer.writeContract({ ...pool(), functionName: 'seedEpoch', args: [e] })
    await expectError(seedNow(c + 2n), 'NotSeedable', [c + 2n, c])
    // Not before c + 1's seed block (half an epoch before it starts), whose hash is its seed.
    expect(await seedBlockOf(c + 1n)).toBe(
      (await read.epochStart(c + 1n)) - PARAMS.epochLength / 2n,
    )
    await expectError(seedNow(c + 1n), 'NotSeedable', [c + 1n, c])
    // The current epoch has candidates (the bootstrap's): no seeding during itself.
    await expectError(seed(c), 'NotSeedable', [c, c])
    expect((await read.seedOf(c + 1n))[1]).toBe(false)
    // D stakes before c + 1's seed is known: c + 1's candidates were fixed already, c + 2's are not.
    await stakeOperators(dev[6], staking, [D.address], STAKES[0])
    const receipt = await mined(await seed(c + 1n))
    const [event] = eventsOf(receipt, 'EpochSeeded')
    expect(event.args).toMatchObject({
      epoch: c + 1n,
      snapshotFrom: c + 2n,
      candidates: 4n,
      by: relayer.account.address,
    })
    await expectError(seed(c + 1n, dev[6]), 'AlreadySeeded', [c + 1n])
    const [seed1, seeded, snapshot1] = await read.seedOf(c + 1n)
    expect([seed1, seeded]).toEqual([event.args.seed, true])
    expect(snapshot1).not.toBe(event.args.snapshot)
    const [accounts, weights] = await read.candidatesOf(c + 1n)
    expect(accounts).toEqual([A.address, B.address, C.address])
    expect(weights).toEqual(STAKES)
    const order = await read.orderOf(901n, c + 1n)
    expect(new Set(order)).toEqual(new Set(accounts))
    const [, , snapshot2] = await read.seedOf(c + 2n)
    expect(snapshot2).toBe(event.args.snapshot)
    expect((await read.candidatesOf(c + 2n))[0]).toEqual([...accounts, D.address])

    // Stake moved once the seed is known changes neither c + 1 nor c + 2.
    await mined(
      await C.wallet.writeContract({
        address: d.verifiers.staking,
        abi: verifierStakingAbi,
        functionName: 'unbond',
        args: [STAKES[2] / 2n],
      }),
    )
    expect(await read.orderOf(901n, c + 1n)).toEqual(order)
    expect((await read.candidatesOf(c + 2n))[1]).toEqual([...STAKES, STAKES[0]])

    // An epoch nobody seeds derives its seed from the latest one; the next seed takes C's new stake.
    await nextEpoch()
    expect(await read.seedOf(c + 7n)).toEqual([
      keccak256(encodeAbiParameters(parseAbiParameters('bytes32, uint256'), [seed1, c + 7n])),
      false,
      snapshot2,
    ])
    await mined(await seed(c + 2n))
    const [, , snapshot3] = await read.seedOf(c + 3n)
    expect(snapshot3).toBe(snapshot2 + 1n)
    expect((await read.candidatesOf(c + 3n))[1]).toEqual([
      STAKES[0],
      STAKES[1],
      STAKES[2] / 2n,
      STAKES[0],
    ])
    // An unchanged active set reuses its snapshot.
    await nextEpoch()
    await mined(await seed(c + 3n))
    expect((await read.seedOf(c + 4n))[2]).toBe(snapshot3)
  })

  test('behavior: the schedule is a stake-weighted draw every node computes alike from L1', async () => {
    const [recorded, seeded] = await read.seedOf(bootEpoch)
    expect(seeded).toBe(true)
    const [accounts, weights] = await read.candidatesOf(bootEpoch)
    const first = new Map<Address, number>()
    const epochs = Array.from({ length: 300 }, (_, i) => bootEpoch + 1n + BigInt(i))
    const at = await latestBlock()
    for (const chainId of [901n, 902n])
      for (let i = 0; i < epochs.length; i += 50) {
        const slice = epochs.slice(i, i + 50)
        const orders = await Promise.all(slice.map((e) => read.orderOf(chainId, e, at)))
        slice.forEach((e, j) => {
          const derived = keccak256(
            encodeAbiParameters(parseAbiParameters('bytes32, uint256'), [recorded, e]),
          )
          expect(orders[j]).toEqual(referenceOrder(derived, chainId, accounts, weights))
          first.set(orders[j][0], (first.get(orders[j][0]) ?? 0) + 1)
        })
      }
    // 600 draws with stakes 1 : 2 : 3 expect 100, 200, 300 first places (σ ≈ 9, 12, 12).
    const counts = [A, B, C].map((o) => first.get(o.address) ?? 0)
    counts.forEach((n, i) => expect(Math.abs(n - 100 * (i + 1))).toBeLessThan(60))
    expect(counts[0]).toBeLessThan(counts[1])
    expect(counts[1]).toBeLessThan(counts[2])

    // The current epoch's turn, read before and after unrelated stake changes, is the same.
    const e = await read.currentEpoch()
    const turn = await read.turnOf(901n, e)
    expect(turn.sequencer).toBe((await read.orderOf(901n, e))[0])
    await stakeOperators(
      dev[6],
      { token: d.dac.token, staking: d.verifiers.staking },
      [D.address],
      STAKES[2],
    )
    expect(await read.turnOf(901n, e)).toEqual(turn)
    expect(await read.orderOf(901n, e)).toEqual(await read.orderOf(901n, e, at))
    const [sequencers, urls] = await relayer.readContract({
      ...pool(),
      functionName: 'schedule',
      args: [901n, e, 4n],
    })
    for (let i = 0; i < 4; i++)
      expect(sequencers[i]).toBe((await read.orderOf(901n, e + BigInt(i)))[0])
    expect(urls).toEqual(['', '', '', ''])
    expect((await read.turnOf(902n, e)).sequencer).toBe((await read.orderOf(902n, e))[0])
  })

  test('behavior: a staked verifier publishes its URL; nobody else can', async () => {
    const url = 'https://node-a.example.org/rpc'
    const receipt = await mined(
      await A.wallet.writeContract({ ...pool(), functionName: 'setUrl', args: [url] }),
    )
    expect(eventsOf(receipt, 'UrlSet')[0].args).toEqual({ verifier: A.address, url })
    expect(
      await relayer.readContract({ ...pool(), functionName: 'urlOf', args: [A.address] }),
    ).toBe(url)
    await expectError(
      relayer.writeContract({ ...pool(), functionName: 'setUrl', args: ['https://evil.example'] }),
      'NotVerifier',
      [relayer.account.address],
    )
    await expectError(
      B.wallet.writeContract({
        ...pool(),
        functionName: 'setUrl',
        args: [`https://${'a'.repeat(250)}`],
      }),
      'TooLong',
      [258n, 256n],
    )
    const e = await read.currentEpoch()
    const epochOfA = await (async () => {
      for (let k = 0n; k < 60n; k++)
        if (isAddressEqual((await read.turnOf(901n, e + k)).sequencer, A.address)) return e + k
      throw new Error('A holds no turn in 60 epochs')
    })()
    expect((await read.turnOf(901n, epochOfA)).url).toBe(url)
  })

  test("behavior: only the scheduled sequencer's batch is accepted, and nodes find it in the transaction input", async () => {
    const e = await nextEpoch()
    const holder = operatorOf((await read.turnOf(901n, e)).sequencer)
    for (const other of [A, B, C].filter((o) => o !== holder))
      await expectError(submit(other), 'NotScheduled', [other.address, holder.address])
    const origin = await latestBlock()
    await expectError(
      relayer.writeContract({
        ...pool(),
        functionName: 'submitBatch',
        args: [901n, 1n, origin, BATCH],
      }),
      'NotScheduled',
      [relayer.account.address, holder.address],
    )
    await expectError(submit(holder, 1n, 901n, '0x'), 'EmptyBatch')
    await expectError(submit(holder, 1n, 903n), 'UnknownShard', [903n])
    // Through a contract the batch would not be the transaction's input: refused.
    const {
      result: [result],
    } = await relayer.simulateContract({
      address: d.multicall3,
      abi: multicall3Abi,
      functionName: 'aggregate3',
      args: [
        [
          {
            target: d.sequencing.pool,
            allowFailure: true,
            callData: encodeFunctionData({
              abi: sequencerPoolAbi,
              functionName: 'submitBatch',
              args: [901n, 1n, origin, BATCH],
            }),
          },
        ],
      ],
      account: holder.address,
    })
    expect(result.success).toBe(false)
    expect(decodeErrorResult({ abi: sequencerPoolAbi, data: result.returnData }).errorName).toBe(
      'NotEOA',
    )

    const receipt = await mined(await submit(holder, 7n, 901n, BATCH, origin))
    const [event] = eventsOf(receipt, 'BatchSubmitted')
    expect(event.args).toEqual({
      chainId: 901n,
      batchHash: keccak256(BATCH),
      sequencer: holder.address,
      epoch: e,
      lastL2Block: 7n,
      lastL1Origin: origin,
    })
    const tx = await relayer.getTransaction({ hash: receipt.transactionHash })
    expect(isAddressEqual(tx.to!, d.sequencing.pool)).toBe(true)
    const call = decodeFunctionData({ abi: sequencerPoolAbi, data: tx.input })
    expect(call.functionName).toBe('submitBatch')
    const [, lastL2Block, lastL1Origin, data] = call.args as readonly [bigint, bigint, bigint, Hex]
    expect({ lastL2Block, lastL1Origin }).toEqual({ lastL2Block: 7n, lastL1Origin: origin })
    expect(keccak256(data)).toBe(event.args.batchHash)
    expect((await read.turnOf(901n, e)).since).toBe(receipt.blockNumber)
    // The other shard has its own turn.
    const other = await read.turnOf(902n, e)
    if (!isAddressEqual(other.sequencer, holder.address))
      await expectError(submit(holder, 1n, 902n), 'NotScheduled', [holder.address, other.sequencer])
  })

  test('behavior: forced inclusion: a batch whose last L1 origin is outside the sequencing window is refused, so a sequencer that keeps its origin old goes silent and is replaced', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    const holder = order[0]
    const w = PARAMS.sequencingWindow
    // The batch's own L1 block: its origin must be one of the w blocks before it.
    const n = (await latestBlock()) + 1n
    await expectError(submit(holder, 1n, 901n, BATCH, n), 'FutureOrigin', [n])
    await expectError(submit(holder, 1n, 901n, BATCH, n + 100n), 'FutureOrigin', [n + 100n])
    await expectError(submit(holder, 1n, 901n, BATCH, n - w - 1n), 'StaleOrigin', [
      n - w - 1n,
      n - w,
    ])
    // The refused batches left the silence clock alone.
    expect((await read.turnOf(901n, e)).since).toBe(await read.epochStart(e))
    const oldest = await mined(await submit(holder, 1n, 901n, BATCH, n - w))
    expect(oldest.blockNumber).toBe(n)
    expect(eventsOf(oldest, 'BatchSubmitted')[0].args.lastL1Origin).toBe(n - w)

    // Its blocks stay on origin `o`, leaving out a deposit made in the L1 block after: batches
    // declaring `o` land up to block o + w, and none after.
    const o = n
    await mineTo(o + w - 1n)
    const last = await mined(await submit(holder, 2n, 901n, BATCH, o))
    expect(last.blockNumber).toBe(o + w)
    await expectError(submit(holder, 3n, 901n, BATCH, o), 'StaleOrigin', [o, o + 1n])
    // Silent from its last batch: replaced maxSilence blocks later, within w + maxSilence of `o`.
    await expectError(skip(), 'NotSilent', [o + w + PARAMS.maxSilence])
    await mineTo(o + w + PARAMS.maxSilence - 1n)
    const skipped = await mined(await skip())
    expect(skipped.blockNumber).toBe(o + w + PARAMS.maxSilence)
    expect(eventsOf(skipped, 'SequencerChanged')[0].args).toMatchObject({
      previous: holder.address,
      next: order[1].address,
      reason: Change.Silent,
    })
    // The next one builds on a recent origin (its blocks bring the deposit) and its batch lands.
    const next = await mined(await submit(order[1], 3n))
    expect(eventsOf(next, 'BatchSubmitted')[0].args).toMatchObject({
      sequencer: order[1].address,
      lastL1Origin: next.blockNumber - 1n,
    })
    expect(await read.currentEpoch()).toBe(e)
  })

  test('behavior: failover: a sequencer silent for maxSilence blocks is replaced by the next in the draw, for the rest of the epoch', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    const posted = await mined(await submit(order[0]))
    const b = posted.blockNumber
    expect((await read.turnOf(901n, e)).skippableAt).toBe(b + PARAMS.maxSilence)
    await mineTo(b + PARAMS.maxSilence - 2n)
    await expectError(skip(), 'NotSilent', [b + PARAMS.maxSilence])

    await mineTo(b + PARAMS.maxSilence)
    let receipt = await mined(await skip())
    expect(eventsOf(receipt, 'SequencerChanged')[0].args).toEqual({
      chainId: 901n,
      epoch: e,
      previous: order[0].address,
      next: order[1].address,
      reason: Change.Silent,
    })
    expect(await read.turnOf(901n, e)).toMatchObject({
      sequencer: order[1].address,
      position: 1n,
      since: receipt.blockNumber,
    })
    await expectError(submit(order[0]), 'NotScheduled', [order[0].address, order[1].address])
    const b1 = (await mined(await submit(order[1]))).blockNumber
    // Every candidate silent in turn: the turn goes round the draw.
    await mineTo(b1 + PARAMS.maxSilence)
    await mined(await skip())
    expect((await read.turnOf(901n, e)).sequencer).toBe(order[2].address)
    await mineTo((await read.turnOf(901n, e)).skippableAt)
    receipt = await mined(await skip())
    expect(eventsOf(receipt, 'SequencerChanged')[0].args).toMatchObject({
      previous: order[2].address,
      next: order[0].address,
    })
    // The other shard's turn did not move; the next epoch starts again from its draw's first.
    expect((await read.turnOf(902n, e)).position).toBe(0n)
    const next = await nextEpoch()
    expect(await read.turnOf(901n, next)).toMatchObject({
      sequencer: (await read.orderOf(901n, next))[0],
      position: 0n,
      since: await read.epochStart(next),
    })
  })

  test('behavior: a sequencer that stops being an active verifier is skipped at once, or never gets the turn', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    await mined(await submit(order[0]))
    const stake = stakeOf(order[0])
    await mined(
      await order[0].wallet.writeContract({
        address: d.verifiers.staking,
        abi: verifierStakingAbi,
        functionName: 'unbond',
        args: [stake],
      }),
    )
    await expectError(submit(order[0]), 'NotActiveVerifier', [order[0].address])
    const turn = await read.turnOf(901n, e)
    expect(turn.skippableAt).toBe(turn.since)
    const receipt = await mined(await skip())
    expect(eventsOf(receipt, 'SequencerChanged')[0].args).toMatchObject({
      previous: order[0].address,
      next: order[1].address,
      reason: Change.Inactive,
    })
    // On the other shard nobody acted yet: its turn passes the inactive candidate by.
    const order902 = await read.orderOf(902n, e)
    const expected = order902.find((a) => !isAddressEqual(a, order[0].address))
    expect((await read.turnOf(902n, e)).sequencer).toBe(expected)
  })
})
