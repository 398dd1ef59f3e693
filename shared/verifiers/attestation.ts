/**
 * A verifier's attestation of an output root: the EIP-712 message OutputQuorum checks
 * (`Output(uint256 chainId,address oracle,uint256 l2BlockNumber,bytes32 outputRoot)` in the domain
 * "edge-l2 OutputQuorum" version 1 of the L1 chain and the quorum contract), signed by the
 * verifier's operator key. Pure: viem's typed-data hashing and signing only.
 */
import {
  hashTypedData,
  recoverTypedDataAddress,
  type Address,
  type Hex,
  type LocalAccount,
} from 'viem'

/** Where an attestation applies: the L1, its OutputQuorum, the shard and its oracle. */
export type AttestationDomain = {
  l1ChainId: number
  quorum: Address
  l2ChainId: number
  oracle: Address
}

/** The output an attestation names. */
export type AttestedOutput = { l2BlockNumber: bigint; outputRoot: Hex }

const types = {
  Output: [
    { name: 'chainId', type: 'uint256' },
    { name: 'oracle', type: 'address' },
    { name: 'l2BlockNumber', type: 'uint256' },
    { name: 'outputRoot', type: 'bytes32' },
  ],
} as const

/** The EIP-712 typed data of `output` under `domain`, as viem's signTypedData takes it. */
export function outputTypedData(domain: AttestationDomain, output: AttestedOutput) {
  return {
    domain: {
      name: 'edge-l2 OutputQuorum',
      version: '1',
      chainId: domain.l1ChainId,
      verifyingContract: domain.quorum,
    },
    types,
    primaryType: 'Output',
    message: {
      chainId: BigInt(domain.l2ChainId),
      oracle: domain.oracle,
      l2BlockNumber: output.l2BlockNumber,
      outputRoot: output.outputRoot,
    },
  } as const
}

/** The digest OutputQuorum.outputDigest returns for `output`. */
export function outputDigest(domain: AttestationDomain, output: AttestedOutput): Hex {
  return hashTypedData(outputTypedData(domain, output))
}

/** `account`'s signature on `output` (65 bytes, r ‖ s ‖ v). */
export function signOutput(
  account: LocalAccount,
  domain: AttestationDomain,
  output: AttestedOutput,
): Promise<Hex> {
  return account.signTypedData(outputTypedData(domain, output))
}

/** The address that signed `output` with `signature`. */
export function attestationSigner(
  domain: AttestationDomain,
  output: AttestedOutput,
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({ ...outputTypedData(domain, output), signature })
}
