import { describe, expect, test } from 'vitest'
import { keccak256, parseEther, toHex, type Address } from 'viem'
import type { L1Config } from '../config.js'
import {
  buildNetwork,
  buildNetworkContracts,
  type NetworkContracts,
  type NetworkReads,
} from './network.js'

const [a, b, c] = [
  '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
] as const satisfies Address[]
const root = (n: number) => keccak256(toHex(`root ${n}`))
const stake = parseEther('100000')

const contracts: NetworkContracts = {
  l1ChainId: 900,
  multicall3: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  staking: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
  quorum: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
  shards: [
    { chainId: 901, oracle: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9' },
    { chainId: 902, oracle: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707' },
  ],
}

/** A candidate() answer: signers and their active stake out of `active`, open challenge id + 1. */
const candidate = (signers: Address[], signed: bigint, active: bigint, open = 0n) =>
  [1_700_000_000n, 1_700_003_600n, signers, signed, active, false, open] as const

/**
 * Three verifiers (one jailed); shard 901 with outputs 0..2, output 2 challenged and frozen; shard
 * 902 fresh, with one upheld challenge.
 */
const reads: NetworkReads = {
  l1Block: 120n,
  l1Timestamp: 1_700_000_120n,
  staking: {
    minStake: parseEther('10000'),
    unbondingDelay: 600n,
    maxMissed: 5n,
    slashBps: 1000n,
    reporterBps: 5000n,
    activeStake: stake * 2n,
    verifiers: [
      [a, b, c],
      [stake, stake, stake],
      [0n, 0n, parseEther('1')],
      [1, 1, 3],
      [0n, 0n, 5n],
      [parseEther('2'), parseEther('2'), 0n],
    ],
  },
  quorum: {
    longWindow: 3600n,
    challengeBond: parseEther('1'),
    disputePeriod: 60n,
    minQuorumStake: parseEther('150000'),
    rewardPerOutput: parseEther('1'),
  },
  shards: [
    {
      finalizationPeriodSeconds: 12n,
      outputs: [
        {
          index: 2n,
          proposal: { outputRoot: root(2), timestamp: 1_700_000_100n, l2BlockNumber: 20n },
          final: false,
          frozen: true,
          candidate: candidate([a, b], stake * 2n, stake * 2n, 1n),
        },
        {
          index: 1n,
          proposal: { outputRoot: root(1), timestamp: 1_700_000_050n, l2BlockNumber: 10n },
          final: true,
          frozen: false,
          // Signed by a alone (half the active stake): in through the long window, no quorum.
          candidate: candidate([a], stake, stake * 2n),
        },
        {
          index: 0n,
          proposal: { outputRoot: root(0), timestamp: 1_700_000_000n, l2BlockNumber: 0n },
          final: true,
          frozen: false,
          candidate: candidate([], 0n, stake * 2n),
        },
      ],
    },
    {
      finalizationPeriodSeconds: 12n,
      outputs: [
        {
          index: 0n,
          proposal: { outputRoot: root(0), timestamp: 1_700_000_000n, l2BlockNumber: 0n },
          final: true,
          frozen: false,
          candidate: candidate([], 0n, stake * 2n),
        },
      ],
    },
  ],
  challenges: [
    {
      id: 1n,
      challenge: {
        oracle: contracts.shards[0].oracle,
        l2BlockNumber: 20n,
        outputRoot: root(2),
        challenger: c,
        bond: parseEther('1'),
        createdAt: 1_700_000_110n,
        deadline: 1_700_000_170n,
        outcome: 0,
      },
    },
    {
      id: 0n,
      challenge: {
        // On 902, lowercase as some RPCs answer: still matched to its shard.
        oracle: contracts.shards[1].oracle.toLowerCase() as Address,
        l2BlockNumber: 10n,
        outputRoot: root(9),
        challenger: a,
        bond: parseEther('1'),
        createdAt: 1_700_000_010n,
        deadline: 1_700_000_070n,
        outcome: 1,
      },
    },
  ],
}

describe('buildNetwork', () => {
  test('default: GET /network JSON, numbers as decimal strings', () => {
    expect(buildNetwork(contracts, reads)).toMatchInlineSnapshot(`
      {
        "activeStake": "200000000000000000000000",
        "l1Block": "120",
        "l1ChainId": 900,
        "l1Timestamp": "1700000120",
        "params": {
          "challengeBond": "1000000000000000000",
          "disputePeriod": "60",
          "finalizationPeriodSeconds": "12",
          "longWindow": "3600",
          "maxMissed": "5",
          "minQuorumStake": "150000000000000000000000",
          "minStake": "10000000000000000000000",
          "reporterBps": "5000",
          "rewardPerOutput": "1000000000000000000",
          "slashBps": "1000",
          "unbondingDelay": "600",
        },
        "quorum": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        "quorumStake": "133333333333333333333334",
        "shards": [
          {
            "chainId": 901,
            "challenges": [
              {
                "bond": "1000000000000000000",
                "challenger": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
                "createdAt": "1700000110",
                "deadline": "1700000170",
                "id": "1",
                "l2BlockNumber": "20",
                "outcome": "open",
                "outputRoot": "0xf2de116c9161f2ab61fe12a27dcca1618386fb6a11dd146bf8a9e1b3d355df24",
              },
            ],
            "finalizationPeriodSeconds": "12",
            "oracle": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
            "outputs": [
              {
                "attestations": [
                  {
                    "stake": "100000000000000000000000",
                    "verifier": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                  },
                  {
                    "stake": "100000000000000000000000",
                    "verifier": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                  },
                ],
                "challenge": "0",
                "final": false,
                "frozen": true,
                "index": "2",
                "l2BlockNumber": "20",
                "outputRoot": "0xf2de116c9161f2ab61fe12a27dcca1618386fb6a11dd146bf8a9e1b3d355df24",
                "proposedAt": "1700000100",
                "quorum": true,
                "signedStake": "200000000000000000000000",
              },
              {
                "attestations": [
                  {
                    "stake": "100000000000000000000000",
                    "verifier": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                  },
                ],
                "challenge": null,
                "final": true,
                "frozen": false,
                "index": "1",
                "l2BlockNumber": "10",
                "outputRoot": "0x5955804bd84b7f2149831af341f3d8f6d073f2305bd6157a0642849eb8a473f1",
                "proposedAt": "1700000050",
                "quorum": false,
                "signedStake": "100000000000000000000000",
              },
              {
                "attestations": [],
                "challenge": null,
                "final": true,
                "frozen": false,
                "index": "0",
                "l2BlockNumber": "0",
                "outputRoot": "0x9e10c0db5c7a61e4297d7eefc24d010dde2c35ff8a32818a15f0fd93d1d61f81",
                "proposedAt": "1700000000",
                "quorum": false,
                "signedStake": "0",
              },
            ],
          },
          {
            "chainId": 902,
            "challenges": [
              {
                "bond": "1000000000000000000",
                "challenger": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                "createdAt": "1700000010",
                "deadline": "1700000070",
                "id": "0",
                "l2BlockNumber": "10",
                "outcome": "upheld",
                "outputRoot": "0x62ada66ada8fa6ce3eb155200d6d78419ae48d2b7846f92b65279d226bd5a376",
              },
            ],
            "finalizationPeriodSeconds": "12",
            "oracle": "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
            "outputs": [
              {
                "attestations": [],
                "challenge": null,
                "final": true,
                "frozen": false,
                "index": "0",
                "l2BlockNumber": "0",
                "outputRoot": "0x9e10c0db5c7a61e4297d7eefc24d010dde2c35ff8a32818a15f0fd93d1d61f81",
                "proposedAt": "1700000000",
                "quorum": false,
                "signedStake": "0",
              },
            ],
          },
        ],
        "staking": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        "verifiers": [
          {
            "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "missed": "0",
            "rewardsOwed": "2000000000000000000",
            "stake": "100000000000000000000000",
            "status": "active",
            "unbonding": "0",
          },
          {
            "address": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            "missed": "0",
            "rewardsOwed": "2000000000000000000",
            "stake": "100000000000000000000000",
            "status": "active",
            "unbonding": "0",
          },
          {
            "address": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
            "missed": "5",
            "rewardsOwed": "0",
            "stake": "100000000000000000000000",
            "status": "jailed",
            "unbonding": "1000000000000000000",
          },
        ],
      }
    `)
  })

  test('behavior: quorumStake is ⌈2/3⌉ of the active stake, and an output has a quorum at exactly it', () => {
    const withActive = (active: bigint, signed: bigint, minQuorumStake = 0n) => {
      const r = structuredClone(reads)
      r.staking.activeStake = active
      r.quorum.minQuorumStake = minQuorumStake
      r.shards[0].outputs[0].candidate = candidate([a], signed, active)
      return buildNetwork(contracts, r)
    }
    expect(withActive(3n, 2n)).toMatchObject({ quorumStake: '2' })
    expect(withActive(3n, 2n).shards[0].outputs[0].quorum).toBe(true)
    expect(withActive(4n, 2n)).toMatchObject({ quorumStake: '3' })
    expect(withActive(4n, 2n).shards[0].outputs[0].quorum).toBe(false)
    expect(withActive(4n, 3n).shards[0].outputs[0].quorum).toBe(true)
    // No active stake: nothing has a quorum.
    expect(withActive(0n, 0n)).toMatchObject({ quorumStake: '0' })
    expect(withActive(0n, 0n).shards[0].outputs[0].quorum).toBe(false)
  })

  test('behavior: below minQuorumStake no output has a quorum, however large its share', () => {
    const withFloor = (signed: bigint, floor: bigint) => {
      const r = structuredClone(reads)
      r.staking.activeStake = signed
      r.quorum.minQuorumStake = floor
      r.shards[0].outputs[0].candidate = candidate([a], signed, signed)
      return buildNetwork(contracts, r).shards[0].outputs[0].quorum
    }
    // All of the active stake signed, one wei short of the floor: no quorum; at the floor: quorum.
    expect(withFloor(parseEther('150000') - 1n, parseEther('150000'))).toBe(false)
    expect(withFloor(parseEther('150000'), parseEther('150000'))).toBe(true)
  })

  test("behavior: frozen is the oracle's flag for that output alone, challenge its open challenge", () => {
    const r = structuredClone(reads)
    // Two separate reads (the oracle's frozen(index), the quorum's candidate): neither field is
    // derived from the other, and one output's flag never spreads to its neighbours.
    r.shards[0].outputs[0].frozen = false
    r.shards[0].outputs[1].frozen = true
    const [out2, out1, out0] = buildNetwork(contracts, r).shards[0].outputs
    expect([out2.frozen, out2.challenge]).toEqual([false, '0'])
    expect([out1.frozen, out1.challenge]).toEqual([true, null])
    expect([out0.frozen, out0.challenge]).toEqual([false, null])
  })

  test('behavior: outcomes by enum value (open, upheld, dismissed, expired), each challenge on its shard', () => {
    const outcomes = [0, 1, 2, 3].map((outcome) => {
      const r = structuredClone(reads)
      r.challenges[0].challenge.outcome = outcome
      return buildNetwork(contracts, r).shards[0].challenges[0].outcome
    })
    expect(outcomes).toEqual(['open', 'upheld', 'dismissed', 'expired'])
  })
})

describe('buildNetworkContracts', () => {
  const l1: L1Config = {
    chainId: 900,
    rpcUrl: 'http://127.0.0.1:8545',
    multicall3: contracts.multicall3,
    shards: {
      901: {
        portal: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
        l2OutputOracle: contracts.shards[0].oracle,
        systemConfig: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
        batchInbox: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
        l1StartBlock: '3',
      },
    },
  }

  test('default: the staking and quorum of the L1 config, the oracles of the shards served', () => {
    const withVerifiers: L1Config = {
      ...l1,
      shards: {
        901: {
          ...l1.shards[901],
          verifierStaking: contracts.staking,
          outputQuorum: contracts.quorum,
        },
      },
    }
    expect(buildNetworkContracts(withVerifiers, [901, 904])).toEqual({
      ...contracts,
      shards: [contracts.shards[0]],
    })
  })

  test('behavior: a config older than the verifiers has no network', () => {
    expect(buildNetworkContracts(l1, [901])).toBeUndefined()
  })
})
