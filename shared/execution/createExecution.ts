import './jumpdestCache.js'
import type { Common } from '@ethereumjs/common'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { Caches, type MerkleStateManager } from '@ethereumjs/statemanager'
import { ValueEncoding, hexToBytes } from '@ethereumjs/util'
import { createVM, type VM } from '@ethereumjs/vm'
import type { Hex } from 'viem'
import type { Sql } from '../state/sql.js'
import { BatchedStateManager } from '../state/batchedStateManager.js'
import { TrieNodeStore } from '../state/trieNodeStore.js'

/** Looks up the hash of a sealed block by number (for BLOCKHASH). */
export type BlockHashLookup = (n: bigint) => Hex | undefined

/** A VM over the shard's world state, with the node store whose pending writes it produced. */
export type Execution = { vm: VM; state: MerkleStateManager; nodes: TrieNodeStore; common: Common }

/**
 * Builds a VM whose state manager reads trie nodes from SQLite through `TrieNodeStore`, positioned at
 * `stateRoot`. `cached` turns on ethereumjs's account/storage/code caches (the sequencer's long-lived
 * VM); one-off reads (eth_call at a past block) leave them off and drop their writes.
 */
export async function createExecution(
  sql: Sql,
  common: Common,
  stateRoot: Uint8Array | undefined,
  blockHash: BlockHashLookup,
  opts: { cached?: boolean } = {},
): Promise<Execution> {
  const { state, nodes } = await createState(sql, common, stateRoot, opts)
  const blockchain = {
    async getBlock(n: number) {
      const hash = blockHash(BigInt(n))
      const bytes = hash ? hexToBytes(hash) : new Uint8Array(32)
      return { hash: () => bytes }
    },
    async putBlock() {},
    shallowCopy() {
      return this
    },
  }
  const vm = await createVM({ common, stateManager: state, blockchain: blockchain as never })
  return { vm, state, nodes, common }
}

/** Just the state at a root, without a VM: for balance, nonce, code, storage and proof reads. */
export async function createState(
  sql: Sql,
  common: Common,
  stateRoot: Uint8Array | undefined,
  opts: { cached?: boolean } = {},
): Promise<{ state: MerkleStateManager; nodes: TrieNodeStore }> {
  const nodes = new TrieNodeStore(sql)
  const trie = new MerklePatriciaTrie({
    db: nodes,
    useKeyHashing: true,
    valueEncoding: ValueEncoding.Bytes,
    common,
  })
  const state = new BatchedStateManager({
    trie,
    common,
    caches: opts.cached ? new Caches() : undefined,
  })
  if (stateRoot) await state.setStateRoot(stateRoot)
  return { state, nodes }
}
