import { type Address, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import type { ChainCore } from '../../shared/chain/chainCore.js'
import type { StoredBatch } from '../../shared/chain/chainStore.js'
import { stallSignature } from '../../shared/rpc/stallMethods.js'
import { stepStall } from '../../shared/sequencing/stallStep.js'
import { readTurn } from '../../shared/sequencing/turn.js'
import type { MetaStore } from '../../shared/settlement/l1Sender.js'
import {
  BATCH,
  Change,
  PARAMS,
  eventsOf,
  latestBlock,
  nextEpoch,
  operatorOf,
  pool,
  read,
  skip,
  stakeOf,
  submit,
  useSequencingDevnet,
} from './sequencing.fixtures.js'
import { d, expectError, mined, relayer, type Operator } from './verifiers.fixtures.js'

/**
 * The node side of `skipStalled` (issue 22) on anvil: each verifier's `stepStall` judges the turn from
 * what it derived, signs the `Stalled` word, asks the other operators at the URLs they published on
 * L1 (`edge_stallSignature`), and the one that holds ≥ 2/3 of the stake but the holder's sends
 * `skipStalled`. Real: anvil, the deployed pool, the operators' keys and signatures, the RPC handler
 * (`stallSignature`). Stood in for (no workerd node runs here): each node's meta table (a Map) and
 * its derivation, which saw none of the holder's junk batches (derivation ignores them, so
 * `lastBatch` is what the devnet had: none), and the HTTP hop (fetch calls the handler of the node
 * the URL names). The whole-network version is the pool devnet's (see the report of this commit).
 */
useSequencingDevnet('sequencing-stall')

type Node = { op: Operator; meta: Map<string, string>; lastBatch?: StoredBatch }

const metaOf = (m: Map<string, string>): MetaStore => ({
  getMeta: (k) => m.get(k),
  setMeta: (k, v) => void m.set(k, v),
  deleteMeta: (k) => void m.delete(k),
})

/** The nodes' stand-in network: `http://node-<address>` reaches that node's edge_stallSignature. */
function network(nodes: Node[]): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    const node = nodes.find((n) => url === `http://node-${n.op.address.toLowerCase()}`)
    if (!node) throw new TypeError('fetch failed')
    const { params } = JSON.parse(String(init?.body)) as { params: unknown[] }
    const chain = {
      store: { getMeta: (k: string) => node.meta.get(k), lastBatch: () => node.lastBatch },
    } as unknown as ChainCore
    const body = await stallSignature(chain, params).then(
      (result) => ({ jsonrpc: '2.0', id: 1, result }),
      (err: Error) => ({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: err.message } }),
    )
    return new Response(JSON.stringify(body))
  }) as typeof fetch
}

/** Nodes of `ops`, the smaller stake first (alone it is below 2/3 of the two: 100/300 at most 200/500). */
const byStake = (ops: Operator[]): Node[] =>
  [...ops]
    .sort((a, b) => (stakeOf(a) < stakeOf(b) ? -1 : 1))
    .map((op) => ({ op, meta: new Map<string, string>() }))

const round = async (node: Node, nodes: Node[]) =>
  stepStall(
    {
      l1: relayer,
      wallet: node.op.wallet,
      meta: metaOf(node.meta),
      pool: d.sequencing.pool as Hex,
      chainId: 901,
      derived: { through: await latestBlock(), lastBatch: node.lastBatch },
      fetch: network(nodes),
    },
    await readTurn(relayer, d.sequencing.pool as Hex, 901),
  )

describe('stepStall', () => {
  test('default: the honest nodes replace a holder posting junk on their own, with 2/3 of the other stake', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    const [holder, ...others] = order
    for (const op of order)
      await mined(
        await op.wallet.writeContract({
          ...pool(),
          functionName: 'setUrl',
          args: [`http://node-${op.address.toLowerCase()}`],
        }),
      )
    const nodes = byStake(others)
    // Junk with fresh origins every block: `skip` cannot replace it.
    for (let i = 1n; i <= PARAMS.maxSilence + 2n; i++) await mined(await submit(holder, i, 901n, BATCH))
    await expectError(skip(), 'NotSilent')

    // The first node signs, asks the second (which has not judged yet: it refuses), has no quorum.
    expect((await round(nodes[0], nodes)).kind).toBe('idle')
    expect(nodes[0].meta.get('pool.stall')).toBeDefined()
    // The second judges the same word, gets the first's signature, and sends skipStalled.
    const sent = await round(nodes[1], nodes)
    expect(sent.kind).toBe('sent')
    let settled = await round(nodes[1], nodes)
    for (let i = 0; i < 50 && settled.kind === 'waiting'; i++) settled = await round(nodes[1], nodes)
    expect(settled.kind).toBe('mined')
    if (settled.kind !== 'mined') return
    expect(eventsOf(settled.receipt, 'SequencerChanged')[0].args).toMatchObject({
      chainId: 901n,
      epoch: e,
      previous: holder.address,
      next: order[1].address,
      reason: Change.Stalled,
    })
    // The first node's next round finds the new holder not stalled (its turn just began): nothing.
    expect((await round(nodes[0], nodes)).kind).toBe('idle')
    expect(nodes[0].meta.get('pool.stall')).toBeUndefined()
  })

  test('behavior: a node whose derivation accepted a batch since refuses to sign, so no quorum forms', async () => {
    const e = await nextEpoch()
    const order = (await read.orderOf(901n, e)).map(operatorOf)
    const [holder, ...others] = order
    for (const op of order)
      await mined(
        await op.wallet.writeContract({
          ...pool(),
          functionName: 'setUrl',
          args: [`http://node-${op.address.toLowerCase()}`],
        }),
      )
    const nodes = byStake(others)
    for (let i = 1n; i <= PARAMS.maxSilence + 2n; i++) await mined(await submit(holder, i, 901n, BATCH))
    expect((await round(nodes[0], nodes)).kind).toBe('idle')
    // The second node derived a batch of the holder's at the latest L1 block: not stalled for it.
    const at = Number(await latestBlock())
    nodes[1].lastBatch = { first: 1, last: 3, l1Tx: '0x' as Hex, l1Block: at, bytes: 1 }
    expect((await round(nodes[1], nodes)).kind).toBe('idle')
    expect((await round(nodes[0], nodes)).kind).toBe('idle')
    expect((await read.turnOf(901n, e)).sequencer).toBe(holder.address as Address)
  })
})
