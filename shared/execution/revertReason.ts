import { bytesToHex, decodeAbiParameters, numberToHex, type Hex } from 'viem'

const PANICS: Record<number, string> = {
  0x00: 'generic panic',
  0x01: 'assert(false)',
  0x11: 'arithmetic underflow or overflow',
  0x12: 'division or modulo by zero',
  0x21: 'enum overflow',
  0x22: 'invalid encoded storage byte array accessed',
  0x31: 'out-of-bounds array access; popping on an empty array',
  0x32: 'out-of-bounds access of an array or bytesN',
  0x41: 'out of memory',
  0x51: 'uninitialized function',
}

/**
 * Error(string) and Panic(uint256) revert data decoded as geth's `abi.UnpackRevert` words it (used in
 * "execution reverted: <reason>" and the callTracer's revertReason); undefined for anything else.
 */
export function revertReason(data: Hex | Uint8Array): string | undefined {
  const hex = typeof data === 'string' ? data : bytesToHex(data)
  const selector = hex.slice(0, 10)
  const args = `0x${hex.slice(10)}` as Hex
  try {
    if (selector === '0x08c379a0') return decodeAbiParameters([{ type: 'string' }], args)[0]
    if (selector !== '0x4e487b71') return undefined
    const code = decodeAbiParameters([{ type: 'uint256' }], args)[0]
    return (code < 0x100n && PANICS[Number(code)]) || `unknown panic code: ${numberToHex(code)}`
  } catch {
    return undefined
  }
}
