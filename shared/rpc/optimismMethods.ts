import { zeroHash, type Hex } from 'viem'
import type { StoredBlock } from '../chain/chainStore.js'
import type { ChainCore } from '../chain/chainCore.js'
import { ResourceNotFoundError } from '../errors.js'
import { outputAt } from '../settlement/outputRoot.js'
import * as p from './params.js'

/** op-node's L2BlockRef: a block with its L1 origin and sequence number. */
function l2Ref(chain: ChainCore, b: StoredBlock) {
  const rpc = JSON.parse(b.rpc) as { parentHash: Hex; timestamp: Hex }
  const origin = chain.origins.originOf(b.number)
  return {
    hash: b.hash,
    number: Number(b.number),
    parentHash: rpc.parentHash,
    timestamp: Number(BigInt(rpc.timestamp)),
    l1origin: {
      hash: origin?.l1Hash ?? zeroHash,
      number: Number(origin?.l1Number ?? 0n),
    },
    sequenceNumber: Number(origin?.seq ?? 0n),
  }
}

/** op-node's L1BlockRef of a watched L1 block (zero values before the first one). */
function l1Ref(chain: ChainCore, n: bigint | undefined) {
  const b = n === undefined ? chain.origins.latest() : chain.origins.block(n)
  return {
    hash: b?.hash ?? zeroHash,
    number: Number(b?.number ?? 0n),
    parentHash: b?.parentHash ?? zeroHash,
    timestamp: Number(b?.timestamp ?? 0n),
  }
}

/** optimism_syncStatus as op-node answers it (numbers as JSON numbers, snake_case keys). */
export function syncStatus(chain: ChainCore) {
  const block = (n: bigint) => l2Ref(chain, chain.store.blockByNumber(n)!)
  const head = chain.headHeader.number
  const safe = chain.safeHead()
  const finalized = chain.finalizedHead()
  const l1Of = (n: bigint) => chain.origins.originOf(n)?.l1Number
  const latestL1 = l1Ref(chain, undefined)
  const finalizedL1 = l1Ref(chain, l1Of(finalized))
  const [unsafeL2, safeL2] = [block(head), block(safe)]
  return {
    current_l1: latestL1,
    current_l1_finalized: finalizedL1,
    head_l1: latestL1,
    safe_l1: l1Ref(chain, l1Of(safe)),
    finalized_l1: finalizedL1,
    unsafe_l2: unsafeL2,
    safe_l2: safeL2,
    finalized_l2: block(finalized),
    pending_safe_l2: safeL2,
    cross_unsafe_l2: unsafeL2,
    local_safe_l2: safeL2,
  }
}

/** The rollup methods of op-node that tools use: output roots and the sync status. */
export const optimismMethods = {
  optimism_outputAtBlock: async (chain: ChainCore, params: unknown[]) => {
    p.arity(params, 1, 1)
    const ref = p.blockRef(params[0], 0)
    const block = chain.resolve(ref)
    if (!block) throw new ResourceNotFoundError('block not found')
    const out = await outputAt(chain, block)
    return {
      version: out.version,
      outputRoot: out.outputRoot,
      blockRef: l2Ref(chain, block),
      withdrawalStorageRoot: out.withdrawalStorageRoot,
      stateRoot: out.stateRoot,
      syncStatus: syncStatus(chain),
    }
  },
  optimism_syncStatus: async (chain: ChainCore) => syncStatus(chain),
}
