import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { concat, keccak256, pad, type Hex } from 'viem'
import { createChainCommon } from '../chain/chainCommon.js'
import {
  buildGenesisAlloc,
  buildGenesisBlock,
  writeGenesisState,
  type GenesisSpec,
} from '../chain/genesis.js'
import { MESSAGE_PASSER, type Output } from './outputRoot.js'

/**
 * The version-0 output root of a shard's L2 genesis block, computed from the genesis spec alone
 * (an in-memory state, the same allocation, header and hardfork rules as the node's genesis), so
 * that the L1 deployment can record it as the oracle's output 0 before any node runs. Equals
 * `outputAt(chain, block 0)` on every node of the shard.
 */
export async function genesisOutput(spec: GenesisSpec, chainId: number): Promise<Output> {
  const common = createChainCommon(chainId)
  const state = new MerkleStateManager({ common })
  const root = await writeGenesisState(state, buildGenesisAlloc(spec))
  const block = buildGenesisBlock(common, spec, root)
  const passer = await state.getAccount(new Address(hexToBytes(MESSAGE_PASSER)))
  if (!passer) throw new Error('genesis has no L2ToL1MessagePasser')
  const stateRoot = bytesToHex(root) as Hex
  const withdrawalStorageRoot = bytesToHex(passer.storageRoot) as Hex
  const blockHash = bytesToHex(block.hash()) as Hex
  const version = pad('0x00', { size: 32 })
  return {
    version,
    outputRoot: keccak256(concat([version, stateRoot, withdrawalStorageRoot, blockHash])),
    stateRoot,
    withdrawalStorageRoot,
    blockHash,
    blockNumber: 0n,
  }
}
