import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { concat, keccak256, pad, type Hex } from 'viem'
import type { ChainCore } from '../chain/chainCore.js'
import type { StoredBlock } from '../chain/chainStore.js'

/** OP's L2ToL1MessagePasser predeploy: withdrawals are proven against its storage root. */
export const MESSAGE_PASSER: Hex = '0x4200000000000000000000000000000000000016'

/** The parts of a version-0 output root at one L2 block. */
export type Output = {
  version: Hex
  outputRoot: Hex
  stateRoot: Hex
  withdrawalStorageRoot: Hex
  blockHash: Hex
  blockNumber: bigint
}

/**
 * The version-0 output root of `block`: keccak256(version ‖ stateRoot ‖ message-passer storage
 * root ‖ block hash), the value L2OutputOracle stores and withdrawal proofs open.
 */
export async function outputAt(chain: ChainCore, block: StoredBlock): Promise<Output> {
  const header = chain.header(block)
  const state = await chain.stateOnlyAt(block)
  const account = await state.getAccount(new Address(hexToBytes(MESSAGE_PASSER)))
  if (!account) throw new Error(`no L2ToL1MessagePasser at block ${block.number}`)
  const stateRoot = bytesToHex(header.stateRoot) as Hex
  const withdrawalStorageRoot = bytesToHex(account.storageRoot) as Hex
  const version = pad('0x00', { size: 32 })
  return {
    version,
    outputRoot: keccak256(concat([version, stateRoot, withdrawalStorageRoot, block.hash])),
    stateRoot,
    withdrawalStorageRoot,
    blockHash: block.hash,
    blockNumber: block.number,
  }
}
