// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import { BlockHeader } from "@openzeppelin/contracts/utils/BlockHeader.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import { Memory } from "@openzeppelin/contracts/utils/Memory.sol";

/**
 * @title SequencerEquivocation
 * @notice The equivocation proof of SequencerPool: one key that signed two different L2 blocks of a
 * shard with one parent on its live feed.
 * - The feed's signature is secp256k1 over keccak256("edge-l2 block" ‖ chainId as uint256 ‖ blockHash)
 *   (`blockSigningHash`, shared/derivation/signedBlock.ts), which covers neither the block number nor
 *   the parent; so a proof carries both RLP headers (their hashes are what was signed, and each names
 *   its number and parent).
 * - Two different headers with one parent (hence at one height) signed by one key are proven once per
 *   (shard, height, signer) (`AlreadyProven`), by anyone; the pool then punishes the signer
 *   (`_punishEquivocation`: ejection for the current epoch, its credit there, a slash with the prover
 *   as reporter). One height is not enough (`NotEquivocation`): after a handover a sequencer may
 *   rightly sign a block at a height where it signed another earlier, on a branch since replaced, and
 *   the new block's parent is then another. An honest sequencer never signs two children of one
 *   parent: it always builds on its own head, and a replaced branch's blocks have other parents.
 * Invariants: a proof is accepted only for a registered shard, two different headers with one number
 * and one parent, both signed by the same key; each (shard, height, signer) is punished at most once,
 * after the proof is recorded and announced.
 */
abstract contract SequencerEquivocation {
    /// @dev chainId → L2 block number → signer → an equivocation already proven.
    mapping(uint256 => mapping(uint256 => mapping(address => bool))) internal equivocationProven;

    error NotEquivocation();
    error AlreadyProven(address signer, uint256 l2BlockNumber);

    event EquivocationProven(
        uint256 indexed chainId, uint256 indexed l2BlockNumber, address indexed signer, bytes32 hashA, bytes32 hashB, address reporter
    );

    /**
     * @notice Proves that one key signed two different L2 blocks of shard `_chainId` with the same parent
     * (hence at one height) on its live feed: `_headerA` and `_headerB` are the blocks' RLP headers,
     * `_sigA` and `_sigB` the feed signatures of their hashes. Ejects the signer from the shard for the
     * current epoch (and forfeits its credit there), then slashes it through VerifierStaking with the
     * caller as reporter. Once per (shard, height, signer); anyone.
     * @dev Two blocks at one height with different parents are not equivocation (`NotEquivocation`): an
     * honest sequencer never signs two children of one parent, since it always builds on its own head,
     * but after a handover it may sign a block at a height where it signed another on a branch that was
     * replaced since, and the replacing branch's block has another parent.
     */
    function proveEquivocation(
        uint256 _chainId,
        bytes calldata _headerA,
        bytes calldata _sigA,
        bytes calldata _headerB,
        bytes calldata _sigB
    ) external {
        _checkShard(_chainId);
        bytes32 hashA = keccak256(_headerA);
        bytes32 hashB = keccak256(_headerB);
        if (hashA == hashB) revert NotEquivocation();
        uint256 number = _siblingsHeight(_headerA, _headerB);
        address signer = ECDSA.recover(blockSigningHash(_chainId, hashA), _sigA);
        if (ECDSA.recover(blockSigningHash(_chainId, hashB), _sigB) != signer) revert NotEquivocation();
        if (equivocationProven[_chainId][number][signer]) revert AlreadyProven(signer, number);
        equivocationProven[_chainId][number][signer] = true;
        emit EquivocationProven(_chainId, number, signer, hashA, hashB, msg.sender);
        _punishEquivocation(_chainId, signer);
    }

    /// @notice What a sequencer signs for an L2 block on its feed (shared/derivation/signedBlock.ts).
    function blockSigningHash(uint256 _chainId, bytes32 _blockHash) public pure returns (bytes32) {
        return keccak256(abi.encodePacked("edge-l2 block", _chainId, _blockHash));
    }

    /// @dev Reverts unless shard `_chainId` is registered.
    function _checkShard(uint256 _chainId) internal view virtual;

    /**
     * @dev Punishes `_signer`, proven to equivocate on shard `_chainId` (the caller is the reporter):
     * effects first, the external slash last.
     */
    function _punishEquivocation(uint256 _chainId, address _signer) internal virtual;

    /// @dev The height of two RLP headers with one number and one parent; else reverts `NotEquivocation`.
    function _siblingsHeight(bytes calldata _headerA, bytes calldata _headerB) internal pure returns (uint256 number) {
        Memory.Slice[] memory a = BlockHeader.parseHeader(_headerA);
        Memory.Slice[] memory b = BlockHeader.parseHeader(_headerB);
        number = BlockHeader.getNumber(a);
        if (BlockHeader.getNumber(b) != number) revert NotEquivocation();
        if (BlockHeader.getParentHash(b) != BlockHeader.getParentHash(a)) revert NotEquivocation();
    }
}
