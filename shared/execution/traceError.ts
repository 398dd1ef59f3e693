import { EVMError } from '@ethereumjs/evm'
import type { LastStep } from './traceStep.js'

const GETH_ERRORS: Record<string, string> = {
  [EVMError.errorMessages.REVERT]: 'execution reverted',
  [EVMError.errorMessages.INVALID_JUMP]: 'invalid jump destination',
  [EVMError.errorMessages.STATIC_STATE_CHANGE]: 'write protection',
  [EVMError.errorMessages.OUT_OF_RANGE]: 'return data out of bounds',
  [EVMError.errorMessages.CODESTORE_OUT_OF_GAS]: 'contract creation code storage out of gas',
  [EVMError.errorMessages.CODESIZE_EXCEEDS_MAXIMUM]: 'max code size exceeded',
  [EVMError.errorMessages.INVALID_BYTECODE_RESULT]: 'invalid code: must not begin with 0xef',
  [EVMError.errorMessages.INITCODE_SIZE_VIOLATION]: 'max initcode size exceeded',
  [EVMError.errorMessages.CREATE_COLLISION]: 'contract address collision',
  [EVMError.errorMessages.INSUFFICIENT_BALANCE]: 'insufficient balance for transfer',
}

/** An EVM error worded as geth's `core/vm/errors.go` words it, given the frame's last opcode. */
export function gethError(err: EVMError, last: LastStep | undefined, create: boolean): string {
  const m = EVMError.errorMessages
  switch (err.error) {
    case m.STACK_UNDERFLOW:
      return last
        ? `stack underflow (${last.stackLen} <=> ${stackInputs(last.op)})`
        : 'stack underflow'
    case m.STACK_OVERFLOW:
      return last ? `stack limit reached ${last.stackLen} (1023)` : 'stack overflow'
    case m.INVALID_OPCODE:
      return `invalid opcode: ${last?.name ?? 'INVALID'}`
    case m.OUT_OF_GAS:
      if (last?.op === 0x55 && last.gasLeft <= 2300n)
        return 'out of gas: not enough gas for reentrancy sentry'
      // RETURN was paid for, so it is the code deposit that ran out
      if (create && last?.op === 0xf3 && last.gasLeft >= last.cost)
        return 'contract creation code storage out of gas'
      return 'out of gas'
  }
  return GETH_ERRORS[err.error] ?? err.error
}

const INPUTS = new Map<number, number>(
  (
    [
      [
        1,
        [0x15, 0x19, 0x1e, 0x31, 0x35, 0x3b, 0x3f, 0x40, 0x49, 0x50, 0x51, 0x54, 0x56, 0x5c, 0xff],
      ],
      [2, [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14]],
      [
        2,
        [0x16, 0x17, 0x18, 0x1a, 0x1b, 0x1c, 0x1d, 0x20, 0x52, 0x53, 0x55, 0x57, 0x5d, 0xf3, 0xfd],
      ],
      [3, [0x08, 0x09, 0x37, 0x39, 0x3e, 0x5e, 0xf0]],
      [4, [0x3c, 0xf5]],
      [6, [0xf4, 0xfa]],
      [7, [0xf1, 0xf2]],
    ] as const
  ).flatMap(([count, ops]) => ops.map((op) => [op, count] as const)),
)

/** How many stack items an opcode takes (geth's `minStack`). */
function stackInputs(op: number): number {
  if (op >= 0x80 && op <= 0x8f) return op - 0x7f
  if (op >= 0x90 && op <= 0x9f) return op - 0x8e
  if (op >= 0xa0 && op <= 0xa4) return op - 0x9e
  return INPUTS.get(op) ?? 0
}
