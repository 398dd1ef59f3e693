// SPDX-License-Identifier: MIT
pragma solidity >=0.8.15;

/**
 * @title IStorageProofVerifier
 * @notice What the portal needs from a Merkle-Patricia verifier: whether a key/value pair is in a
 * secure trie (keys hashed with keccak256, as in Ethereum's state and storage tries) with a given
 * root. Separate from the portal because the verifier is compiled with the solc that Optimism's trie
 * libraries (npm package eth-optimism/contracts-bedrock) pin, 0.8.15, and the portal with a newer one.
 */
interface IStorageProofVerifier {
    /**
     * @notice Whether `_proof` shows that the secure trie with root `_root` maps `_key` to `_value`.
     * @param _key   The unhashed key (for a storage trie: the 32-byte slot).
     * @param _value The value stored in the leaf (for a storage trie: the RLP-encoded slot value).
     * @param _proof The RLP-encoded trie nodes from the root down to the value (eth_getProof order).
     * @param _root  The trie root.
     * @return valid_ True when the value at the key is `_value`; false when it is another value.
     * Reverts with the library's reason when the proof is malformed or does not reach the key.
     */
    function verifyInclusionProof(
        bytes calldata _key,
        bytes calldata _value,
        bytes[] calldata _proof,
        bytes32 _root
    ) external pure returns (bool valid_);
}
