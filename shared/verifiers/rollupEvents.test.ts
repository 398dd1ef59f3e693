import { describe, expect, test } from 'vitest'
import {
  encodeAbiParameters,
  encodeEventTopics,
  getAbiItem,
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
  type Hex,
} from 'viem'
import { buildRollupEvents, rollupEventsAbi, type RollupLog } from './rollupEvents.js'

const oracle = '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9'
const verifier = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const reporter = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const root = keccak256(toHex('root at block 10'))
const stake = parseEther('100000')

type EventName = (typeof rollupEventsAbi)[number]['name']

/**
 * The log a contract emits for `eventName(args)` at L1 block `block`, log index `index` (topics and
 * data ABI-encoded), decoded back as viem's getLogs does (strict).
 */
function emitted(
  eventName: EventName,
  args: Record<string, unknown>,
  block: bigint,
  index: number,
): RollupLog {
  const item = getAbiItem({ abi: rollupEventsAbi, name: eventName }) as {
    inputs: readonly { name: string; type: string; indexed?: boolean }[]
  }
  const data = item.inputs.filter((i) => !i.indexed)
  const log = {
    address: oracle,
    blockHash: keccak256(toHex(block)),
    blockNumber: block,
    data: encodeAbiParameters(
      data,
      data.map((i) => args[i.name]),
    ),
    logIndex: index,
    removed: false,
    topics: encodeEventTopics({ abi: rollupEventsAbi, eventName, args } as never) as [Hex],
    transactionHash: keccak256(toHex(`tx ${block}`)),
    transactionIndex: 0,
  } as const
  const [decoded] = parseEventLogs({ abi: rollupEventsAbi, logs: [log], strict: true })
  return decoded
}

describe('buildRollupEvents', () => {
  test('default: every event as JSON with 0x-hex quantities, in (block, log index) order', () => {
    const logs = [
      emitted('Unjailed', { verifier }, 20n, 0),
      emitted('Jailed', { verifier, missed: 3n }, 19n, 1),
      emitted(
        'Slashed',
        { verifier, reporter, amount: stake / 10n, toReporter: stake / 100n },
        19n,
        0,
      ),
      emitted('EquivocationSlashed', { oracle, l2BlockNumber: 10n, verifier, reporter }, 18n, 0),
      emitted('ChallengeResolved', { id: 0n, outcome: 1 }, 17n, 0),
      emitted('OutputInvalidated', { l2OutputIndex: 1n, outputRoot: root }, 17n, 2),
      emitted('OutputFrozen', { l2OutputIndex: 1n, frozen: false }, 16n, 0),
      emitted(
        'Challenged',
        { id: 0n, oracle, l2BlockNumber: 10n, outputRoot: root, challenger: reporter },
        15n,
        1,
      ),
      emitted('OutputFrozen', { l2OutputIndex: 1n, frozen: true }, 15n, 0),
      emitted('OutputsDeleted', { prevNextOutputIndex: 2n, newNextOutputIndex: 1n }, 17n, 1),
      emitted(
        'OutputAccepted',
        {
          oracle,
          l2OutputIndex: 1n,
          l2BlockNumber: 10n,
          outputRoot: root,
          quorum: true,
          signedStake: stake * 3n,
          activeStake: stake * 3n,
        },
        14n,
        2,
      ),
      emitted(
        'OutputProposed',
        { outputRoot: root, l2OutputIndex: 1n, l2BlockNumber: 10n, l1Timestamp: 1_700_000_000n },
        14n,
        1,
      ),
      emitted(
        'Attested',
        { oracle, l2BlockNumber: 10n, outputRoot: root, verifier, stake },
        14n,
        0,
      ),
    ]
    const events = buildRollupEvents(logs, new Set([0n]))
    expect(events.map((e) => `${BigInt(e.l1Block)}.${BigInt(e.logIndex)} ${e.type}`)).toEqual([
      '14.0 attested',
      '14.1 outputProposed',
      '14.2 outputAccepted',
      '15.0 outputFrozen',
      '15.1 challenged',
      '16.0 outputFrozen',
      '17.0 challengeResolved',
      '17.1 outputsDeleted',
      '17.2 outputInvalidated',
      '18.0 equivocationSlashed',
      '19.0 slashed',
      '19.1 jailed',
      '20.0 unjailed',
    ])
    expect(events).toMatchInlineSnapshot(`
      [
        {
          "l1Block": "0xe",
          "l1Tx": "0xcd57a3f6f7356295f101d2ed4eb7e30c3a19b85884ca73d54c535b64ddacefc1",
          "l2BlockNumber": "0xa",
          "logIndex": "0x0",
          "outputRoot": "0xe7d96d2a0472e22e1ab91c3ce1401a033ccfeb546b16479046acdeb552c2819c",
          "stake": "0x152d02c7e14af6800000",
          "type": "attested",
          "verifier": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        },
        {
          "l1Block": "0xe",
          "l1Timestamp": "0x6553f100",
          "l1Tx": "0xcd57a3f6f7356295f101d2ed4eb7e30c3a19b85884ca73d54c535b64ddacefc1",
          "l2BlockNumber": "0xa",
          "l2OutputIndex": "0x1",
          "logIndex": "0x1",
          "outputRoot": "0xe7d96d2a0472e22e1ab91c3ce1401a033ccfeb546b16479046acdeb552c2819c",
          "type": "outputProposed",
        },
        {
          "activeStake": "0x3f870857a3e0e3800000",
          "l1Block": "0xe",
          "l1Tx": "0xcd57a3f6f7356295f101d2ed4eb7e30c3a19b85884ca73d54c535b64ddacefc1",
          "l2BlockNumber": "0xa",
          "l2OutputIndex": "0x1",
          "logIndex": "0x2",
          "outputRoot": "0xe7d96d2a0472e22e1ab91c3ce1401a033ccfeb546b16479046acdeb552c2819c",
          "quorum": true,
          "signedStake": "0x3f870857a3e0e3800000",
          "type": "outputAccepted",
        },
        {
          "frozen": true,
          "l1Block": "0xf",
          "l1Tx": "0x6645cb2141378782052834ca22ce4377c59ad9fbba78fa572b5a8fb6642f730d",
          "l2OutputIndex": "0x1",
          "logIndex": "0x0",
          "type": "outputFrozen",
        },
        {
          "challenger": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
          "id": "0x0",
          "l1Block": "0xf",
          "l1Tx": "0x6645cb2141378782052834ca22ce4377c59ad9fbba78fa572b5a8fb6642f730d",
          "l2BlockNumber": "0xa",
          "logIndex": "0x1",
          "outputRoot": "0xe7d96d2a0472e22e1ab91c3ce1401a033ccfeb546b16479046acdeb552c2819c",
          "type": "challenged",
        },
        {
          "frozen": false,
          "l1Block": "0x10",
          "l1Tx": "0x6ee8e1292f81e8bfdd019a7ffa8832973a45481f9d9762a240fd0c4c13ea5695",
          "l2OutputIndex": "0x1",
          "logIndex": "0x0",
          "type": "outputFrozen",
        },
        {
          "id": "0x0",
          "l1Block": "0x11",
          "l1Tx": "0x5419b47afa6d92890e499d75e836a9854ad3e5bcf900f45a580c95857376dea8",
          "logIndex": "0x0",
          "outcome": "upheld",
          "type": "challengeResolved",
        },
        {
          "l1Block": "0x11",
          "l1Tx": "0x5419b47afa6d92890e499d75e836a9854ad3e5bcf900f45a580c95857376dea8",
          "logIndex": "0x1",
          "newNextOutputIndex": "0x1",
          "prevNextOutputIndex": "0x2",
          "type": "outputsDeleted",
        },
        {
          "l1Block": "0x11",
          "l1Tx": "0x5419b47afa6d92890e499d75e836a9854ad3e5bcf900f45a580c95857376dea8",
          "l2OutputIndex": "0x1",
          "logIndex": "0x2",
          "outputRoot": "0xe7d96d2a0472e22e1ab91c3ce1401a033ccfeb546b16479046acdeb552c2819c",
          "type": "outputInvalidated",
        },
        {
          "l1Block": "0x12",
          "l1Tx": "0x1c08e26a7a99002ff0189fd497290884f9c00aa3f086f0568b8fd668332db81e",
          "l2BlockNumber": "0xa",
          "logIndex": "0x0",
          "reporter": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
          "type": "equivocationSlashed",
          "verifier": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        },
        {
          "amount": "0x21e19e0c9bab2400000",
          "l1Block": "0x13",
          "l1Tx": "0x4c614afefd4748127beea6729cddfb51f64d5d0336aa171207dafe37f63eb880",
          "logIndex": "0x0",
          "reporter": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
          "toReporter": "0x3635c9adc5dea00000",
          "type": "slashed",
          "verifier": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        },
        {
          "l1Block": "0x13",
          "l1Tx": "0x4c614afefd4748127beea6729cddfb51f64d5d0336aa171207dafe37f63eb880",
          "logIndex": "0x1",
          "missed": "0x3",
          "type": "jailed",
          "verifier": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        },
        {
          "l1Block": "0x14",
          "l1Tx": "0x63909eafcc16a7736a5f458a954555c88457b5ae4ef8bbec85b04f2de6b7d0a9",
          "logIndex": "0x0",
          "type": "unjailed",
          "verifier": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        },
      ]
    `)
  })

  test("behavior: resolutions of other shards' challenges are left out; outcomes as words", () => {
    const logs = [
      emitted('ChallengeResolved', { id: 1n, outcome: 3 }, 4n, 0),
      emitted('ChallengeResolved', { id: 2n, outcome: 2 }, 4n, 1),
      emitted('ChallengeResolved', { id: 3n, outcome: 1 }, 5n, 0),
    ]
    const events = buildRollupEvents(logs, new Set([2n]))
    expect(events).toEqual([
      {
        type: 'challengeResolved',
        l1Block: '0x4',
        l1Tx: keccak256(toHex('tx 4')),
        logIndex: '0x1',
        id: '0x2',
        outcome: 'dismissed',
      },
    ])
    const others = buildRollupEvents(logs, new Set([1n, 3n]))
    expect(others.map((e) => 'outcome' in e && [e.id, e.outcome])).toEqual([
      ['0x1', 'expired'],
      ['0x3', 'upheld'],
    ])
  })

  test('behavior: each output freezes and unfreezes alone (frozen true, then false)', () => {
    const events = buildRollupEvents(
      [
        emitted('OutputFrozen', { l2OutputIndex: 3n, frozen: false }, 9n, 1),
        emitted('OutputFrozen', { l2OutputIndex: 3n, frozen: true }, 9n, 0),
      ],
      new Set(),
    )
    expect(events).toEqual([
      {
        type: 'outputFrozen',
        l1Block: '0x9',
        l1Tx: keccak256(toHex('tx 9')),
        logIndex: '0x0',
        l2OutputIndex: '0x3',
        frozen: true,
      },
      {
        type: 'outputFrozen',
        l1Block: '0x9',
        l1Tx: keccak256(toHex('tx 9')),
        logIndex: '0x1',
        l2OutputIndex: '0x3',
        frozen: false,
      },
    ])
  })
})
