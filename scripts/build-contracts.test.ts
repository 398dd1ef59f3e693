import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Abi, encodeFunctionData, toFunctionSelector } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ContractBuildError, buildContracts } from './build-contracts'

const root = path.resolve(import.meta.dirname, '..')
/** Whole bytes of EVM code that begin with a PUSH (0x60–0x7f), as solc's output always does. */
const evmCode = /^0x[67][0-9a-f](?:[0-9a-f]{2})+$/

/** Names of the ABI items of one type, sorted. */
function namesOf(abi: Abi, type: 'function' | 'error' | 'event'): string[] {
  return abi.flatMap((item) => (item.type === type ? [item.name] : [])).sort()
}

beforeAll(() => {
  buildContracts({ root })
}, 120_000)

describe('buildContracts', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'build-contracts-'))
  const source = (name: string, body: string) => {
    mkdirSync(path.join(scratch, 'contracts'), { recursive: true })
    writeFileSync(
      path.join(scratch, 'contracts', name),
      `// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n${body}\n`,
    )
  }
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  test('default', () => {
    const result = buildContracts({ root })
    expect(result.cached).toBe(true)
    expect(result.contracts).toEqual(expect.arrayContaining(['Probe', 'ProbeChild', 'TestToken']))
    for (const name of result.contracts)
      expect(existsSync(path.join(root, 'generated/contracts', `${name}.ts`))).toBe(true)
  })

  test('behavior: rebuilds when a source changes and drops modules of removed contracts', () => {
    source('A.sol', 'contract Alpha { function a() external pure returns (uint256) { return 1; } }')
    expect(buildContracts({ root: scratch })).toEqual({ cached: false, contracts: ['Alpha'] })
    expect(buildContracts({ root: scratch })).toEqual({ cached: true, contracts: ['Alpha'] })

    source('A.sol', 'contract Beta { function b() external pure returns (uint256) { return 2; } }')
    expect(buildContracts({ root: scratch })).toEqual({ cached: false, contracts: ['Beta'] })
    expect(existsSync(path.join(scratch, 'generated/contracts/Alpha.ts'))).toBe(false)
    expect(existsSync(path.join(scratch, 'generated/contracts/Beta.ts'))).toBe(true)
  }, 60_000)

  test('behavior: a compile error throws with solc’s message and writes nothing', () => {
    source(
      'A.sol',
      'contract Gamma { function g() external pure returns (uint256) { return "x"; } }',
    )
    expect(() => buildContracts({ root: scratch })).toThrow(ContractBuildError)
    expect(() => buildContracts({ root: scratch })).toThrow(/TypeError: .*\n.*contracts\/A\.sol/)
    expect(existsSync(path.join(scratch, 'generated/contracts/Gamma.ts'))).toBe(false)
  }, 60_000)

  test('behavior: an unresolvable import throws and names it', () => {
    source('A.sol', 'import "@nowhere/Missing.sol";\ncontract Delta {}')
    expect(() => buildContracts({ root: scratch })).toThrow(/@nowhere\/Missing\.sol/)
  }, 60_000)
})

describe('generated/contracts/TestToken', () => {
  test('default', async () => {
    const { testTokenAbi, testTokenBytecode, testTokenDeployedBytecode } =
      await import('../generated/contracts/TestToken')
    expect(namesOf(testTokenAbi, 'function')).toEqual(
      expect.arrayContaining(['DOMAIN_SEPARATOR', 'guarded', 'failWithReason', 'nonces', 'permit']),
    )
    expect(namesOf(testTokenAbi, 'error')).toContain('NotAllowed')
    expect(testTokenBytecode).toMatch(evmCode)
    expect(testTokenDeployedBytecode).toMatch(evmCode)
  })

  test('behavior: standard selectors (ERC-20 transfer, EIP-2612 permit)', async () => {
    const { testTokenAbi } = await import('../generated/contracts/TestToken')
    const to = '0x0000000000000000000000000000000000000001'
    expect(
      encodeFunctionData({ abi: testTokenAbi, functionName: 'transfer', args: [to, 1n] }),
    ).toMatch(/^0xa9059cbb/)
    const permit = testTokenAbi.find((item) => item.type === 'function' && item.name === 'permit')
    expect(permit && toFunctionSelector(permit)).toBe('0xd505accf')
  })
})

describe('generated/contracts/Probe', () => {
  test('default', async () => {
    const { probeAbi, probeBytecode, probeDeployedBytecode } =
      await import('../generated/contracts/Probe')
    expect(namesOf(probeAbi, 'function')).toEqual(
      expect.arrayContaining([
        'blockInfo',
        'burnGas',
        'callBn256Add',
        'callEcrecover',
        'callModexp',
        'deployChild',
        'divide',
        'extCodeHashOf',
        'fillAndClear',
        'predictChild',
        'requireNonZero',
        'revertCustom',
        'selfBalance',
        'transientRoundTrip',
        'transientValue',
      ]),
    )
    expect(namesOf(probeAbi, 'error')).toEqual(['PrecompileFailed', 'ProbeError'])
    expect(namesOf(probeAbi, 'event')).toEqual([
      'ChildDeployed',
      'Logged',
      'LoggedAnonymous',
      'TransientValue',
    ])
    expect(probeBytecode).toMatch(evmCode)
    expect(probeDeployedBytecode).toMatch(evmCode)
  })

  test('behavior: Probe embeds the ProbeChild init code, so CREATE2 addresses can be predicted off-chain', async () => {
    const { probeDeployedBytecode } = await import('../generated/contracts/Probe')
    const { probeChildBytecode } = await import('../generated/contracts/ProbeChild')
    expect(probeChildBytecode).toMatch(evmCode)
    expect(probeDeployedBytecode).toContain(probeChildBytecode.slice(2))
  })
})
