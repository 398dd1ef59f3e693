import type { InterpreterStep } from '@ethereumjs/evm'
import { Address, bigIntToBytes, setLengthLeft } from '@ethereumjs/util'
import type { Hex } from 'viem'

/** The last opcode a frame ran: enough to word its failure as geth does. */
export type LastStep = { op: number; name: string; stackLen: number; gasLeft: bigint; cost: bigint }

/** A quantity as geth encodes it: `0x`-prefixed hex without leading zeros. */
export const qty = (n: bigint): Hex => `0x${n.toString(16)}`
/** A 32-byte word as geth encodes it: `0x`-prefixed, zero-padded to 64 hex digits. */
export const word = (n: bigint): Hex => `0x${n.toString(16).padStart(64, '0')}`
/** The address in the low 20 bytes of a stack item. */
export const stackAddress = (n: bigint) =>
  new Address(setLengthLeft(bigIntToBytes(n & ((1n << 160n) - 1n)), 20))
/** The gas the step's opcode costs, dynamic part included. */
export const stepCost = (e: InterpreterStep) => e.opcode.dynamicFee ?? BigInt(e.opcode.fee)

/** The step as a frame remembers it, under geth's opcode name. */
export function lastStep(e: InterpreterStep): LastStep {
  // geth has no PREVRANDAO name for 0x44
  const name = e.opcode.name === 'PREVRANDAO' ? 'DIFFICULTY' : e.opcode.name
  return {
    op: e.opcode.code,
    name,
    stackLen: e.stack.length,
    gasLeft: e.gasLeft,
    cost: stepCost(e),
  }
}

/** A storage slot of `address` as the step sees it, padded to 32 bytes. */
export async function readSlot(
  e: InterpreterStep,
  address: Address,
  key: bigint,
): Promise<Uint8Array> {
  const value = await e.stateManager.getStorage(address, setLengthLeft(bigIntToBytes(key), 32))
  return setLengthLeft(value, 32)
}

/**
 * Memory at [offset, offset+size) as the opcode will see it (zeros past the current end). False when
 * the range could never be paid for (above 32 MiB), so the opcode is bound to fail.
 */
export function readMemory(memory: Uint8Array, offset: bigint, size: bigint): Uint8Array | false {
  if (size === 0n) return new Uint8Array()
  if (offset + size > 1n << 25n) return false
  const out = new Uint8Array(Number(size))
  out.set(memory.subarray(Number(offset), Number(offset + size)))
  return out
}
