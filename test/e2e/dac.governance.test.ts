import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeFunctionData, toHex, type Hex } from 'viem'
import type { HDAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { dacGovernorAbi } from '../../generated/contracts/DacGovernor.js'
import { dacTimelockAbi } from '../../generated/contracts/DacTimelock.js'
import { systemConfigAbi } from '../../generated/contracts/SystemConfig.js'
import { devnetDac } from '../../scripts/dac-params.js'
import { runGov } from '../../scripts/gov.js'
import {
  castVote,
  execute,
  explainRevert,
  propose,
  proposalStatus,
  queue,
  type ProposalState,
} from '../../scripts/governance.js'
import { revertOf, startDacDevnet, type DacDevnet } from './dac.fixtures.js'
import { devAccount } from './l1.fixtures.js'

/**
 * The DAC's proposal lifecycle on a devnet L1 that mines a block a second, in real time (no time
 * travel): three proposals run side by side. One changes two real parameters of two shards'
 * SystemConfig and passes propose → vote → queue → execute (through the `npm run gov` CLI), cannot
 * execute before the timelock delay, and is done in under a minute; one misses the quorum and one is
 * voted down, and neither can be queued.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
let devnet: DacDevnet

beforeAll(async () => {
  devnet = await startDacDevnet({ blockTime: 1 })
})

afterAll(async () => {
  await devnet?.stop()
})

/** Resolves once `poll` returns true, checking every 250 ms, or throws after `ms`. */
async function until(what: string, poll: () => Promise<boolean>, ms = 60_000) {
  const deadline = Date.now() + ms
  while (!(await poll())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

describe('DacGovernor', () => {
  test('default', async () => {
    const { dac, dev, deployment } = devnet
    const read = { address: dac.governor, abi: dacGovernorAbi } as const
    expect(
      await Promise.all([
        dev[0].readContract({ ...read, functionName: 'CLOCK_MODE' }),
        dev[0].readContract({ ...read, functionName: 'votingDelay' }),
        dev[0].readContract({ ...read, functionName: 'votingPeriod' }),
        dev[0].readContract({ ...read, functionName: 'proposalThreshold' }),
        dev[0].readContract({ ...read, functionName: 'quorumNumerator' }),
        dev[0].readContract({ ...read, functionName: 'timelock' }),
        dev[0].readContract({
          address: dac.timelock,
          abi: dacTimelockAbi,
          functionName: 'getMinDelay',
        }),
      ]),
    ).toEqual([
      'mode=timestamp',
      devnetDac.votingDelay,
      devnetDac.votingPeriod,
      devnetDac.proposalThreshold,
      devnetDac.quorumPercent,
      dac.timelock,
      devnetDac.timelockDelay,
    ])
    // The devnet promise: delay + period + timelock, plus a few one-second blocks, under a minute.
    expect(devnetDac.votingDelay + devnetDac.votingPeriod + devnetDac.timelockDelay).toBeLessThan(
      50n,
    )
    expect(deployment.shards).toHaveLength(2)
  })

  test('behavior: passes, misses quorum, is defeated; executes only after the delay, within a minute', async () => {
    const { dac, dev, deployment } = devnet
    const [shardA, shardB] = deployment.shards
    const newBatcher = devAccount(7).address
    const gov = (argv: string[], signer = 0) =>
      runGov([...argv, '--rpc', devnet.anvil.url, '--governor', dac.governor], {
        GOV_PRIVATE_KEY: privateKeyOf(signer),
      })
    const setGasLimit = (gasLimit: bigint) => [
      {
        target: shardA.systemConfig,
        data: encodeFunctionData({
          abi: systemConfigAbi,
          functionName: 'setGasLimit',
          args: [gasLimit],
        }),
      },
    ]
    const started = Date.now()

    // Three proposals at once. `passes` goes through the CLI: two actions on two shards.
    const [passesOut, missesQuorum, defeated] = await Promise.all([
      gov([
        'propose',
        '--target',
        shardA.systemConfig,
        '--function',
        'setGasLimit(uint64)',
        '--args',
        '60000000',
        '--target',
        shardB.systemConfig,
        '--function',
        'setBatcher(address)',
        '--args',
        newBatcher,
        '--description',
        'Raise 901 gas limit to 60M; rotate 902 batcher',
      ]),
      propose(dev[1], dac.governor, setGasLimit(70_000_000n), 'only one voter'),
      propose(dev[2], dac.governor, setGasLimit(80_000_000n), 'voted down'),
    ])
    const passes = BigInt(/^proposal (\d+)$/m.exec(passesOut)![1])
    expect(passesOut).toMatch(/state {4}Pending\n {2}next {5}voting opens in \d+s/)
    const state = async (id: bigint) => (await proposalStatus(dev[0], dac.governor, id)).state
    await until('the votes to open', async () => (await state(passes)) === 'Active')

    // passes: 1,000,000 for (the quorum, 10% of 10M) and an abstention; missesQuorum: 500,000 for;
    // defeated: 1,000,000 for (quorum reached) and 1,500,000 against.
    const votes: [number, bigint, 'for' | 'against' | 'abstain'][] = [
      [0, passes, 'for'],
      [1, passes, 'for'],
      [8, passes, 'abstain'],
      [2, missesQuorum.proposalId, 'for'],
      [3, defeated.proposalId, 'for'],
      [4, defeated.proposalId, 'for'],
      [5, defeated.proposalId, 'against'],
      [6, defeated.proposalId, 'against'],
      [7, defeated.proposalId, 'against'],
    ]
    await Promise.all(votes.map(([i, id, support]) => castVote(dev[i], dac.governor, id, support)))
    const active = await proposalStatus(dev[0], dac.governor, passes)
    expect(active).toMatchObject({
      state: 'Active',
      votes: { for: 10n ** 24n, against: 0n, abstain: 5n * 10n ** 23n },
      quorum: 10n ** 24n,
      next: { what: 'voting closes' },
    })

    await until('the votes to close', async () => (await state(passes)) !== 'Active')
    const states: ProposalState[] = []
    for (const id of [passes, missesQuorum.proposalId, defeated.proposalId])
      states.push(await state(id))
    expect(states).toEqual(['Succeeded', 'Defeated', 'Defeated'])
    for (const id of [missesQuorum.proposalId, defeated.proposalId]) {
      expect((await revertOf(queue(dev[0], dac.governor, id))).errorName).toBe(
        'GovernorUnexpectedProposalState',
      )
      // What the CLI prints for it.
      const err = await queue(dev[0], dac.governor, id).catch((e: unknown) => e)
      expect(explainRevert(err)).toMatch(/: the proposal is Defeated; this needs Succeeded$/)
    }

    const queued = await gov(['queue', String(passes)], 3)
    expect(queued).toMatch(/state {4}Queued\n {2}next {5}executable in \d+s/)
    // Queued is not executable: the timelock refuses before its delay.
    const early = await revertOf(execute(dev[0], dac.governor, passes))
    expect(early.errorName).toBe('TimelockUnexpectedOperationState')
    const { eta } = await proposalStatus(dev[0], dac.governor, passes)
    expect(eta).toBeGreaterThan(0n)

    await until('the timelock delay', async () => {
      const { now } = await proposalStatus(dev[0], dac.governor, passes)
      return now >= eta
    })
    const executed = await gov(['execute', String(passes)], 4)
    expect(executed).toContain('state    Executed')
    const elapsed = Date.now() - started
    expect(elapsed).toBeLessThan(60_000)

    expect(
      await dev[0].readContract({
        address: shardA.systemConfig,
        abi: systemConfigAbi,
        functionName: 'gasLimit',
      }),
    ).toBe(60_000_000n)
    expect(
      await dev[0].readContract({
        address: shardB.systemConfig,
        abi: systemConfigAbi,
        functionName: 'batcher',
      }),
    ).toBe(newBatcher)
    // The defeated ones changed nothing, and the executed one cannot run twice.
    expect((await revertOf(execute(dev[0], dac.governor, passes))).errorName).toBe(
      'GovernorUnexpectedProposalState',
    )
  })

  test('behavior: the CLI lists every proposal with its state', async () => {
    const { dac } = devnet
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/gov.ts',
        'status',
        '--rpc',
        devnet.anvil.url,
        '--governor',
        dac.governor,
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    )
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout.match(/^proposal \d+$/gm)).toHaveLength(3)
    // Proposed in the same second, so in any order.
    expect(run.stdout.match(/state {4}\w+/g)?.sort()).toEqual([
      'state    Defeated',
      'state    Defeated',
      'state    Executed',
    ])
    const missingKey = await runGov(
      ['vote', '1', 'for', '--rpc', devnet.anvil.url, '--governor', dac.governor],
      {},
    ).catch((e: unknown) => String(e))
    expect(missingKey).toContain('GOV_PRIVATE_KEY')
  })
})

/** Dev account `i`'s private key (what a person puts in GOV_PRIVATE_KEY). */
function privateKeyOf(i: number): Hex {
  return toHex((devAccount(i) as HDAccount).getHdKey().privateKey!)
}
