// SPDX-License-Identifier: MIT
pragma solidity 0.8.15;

import { SecureMerkleTrie } from "@eth-optimism/contracts-bedrock/src/libraries/trie/SecureMerkleTrie.sol";
import { IStorageProofVerifier } from "../interfaces/IStorageProofVerifier.sol";

/**
 * @title StorageProofVerifier
 * @notice Exposes the Merkle-Patricia proof verification of Optimism Bedrock's `SecureMerkleTrie`
 * (from the npm package, unmodified, compiled with the solc 0.8.15 its RLP library
 * pins) as a stateless contract, so that contracts built with another compiler can call it.
 * Invariant: pure; holds no state and no ether; one instance serves every shard.
 */
contract StorageProofVerifier is IStorageProofVerifier {
    /// @inheritdoc IStorageProofVerifier
    function verifyInclusionProof(
        bytes calldata _key,
        bytes calldata _value,
        bytes[] calldata _proof,
        bytes32 _root
    ) external pure returns (bool valid_) {
        valid_ = SecureMerkleTrie.verifyInclusionProof(_key, _value, _proof, _root);
    }
}
