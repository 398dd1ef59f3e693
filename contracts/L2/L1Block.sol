// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title L1Block
 * @notice The L2 block's L1 origin, as Optimism's L1Block predeploy at
 * 0x4200000000000000000000000000000000000015 exposes it: same storage layout, getters, depositor
 * account, `version()` and Ecotone packed setter, so tools reading OP's L1Block read this one. Written
 * here rather than compiled from the contracts-bedrock npm package because that version pulls in the
 * custom-gas-token libraries (solady, solmate, OpenZeppelin 4), which edge-l2 does not use.
 * The sequencer calls `setL1BlockValuesEcotone` from the depositor account in the L1-info deposit that
 * opens every L2 block; nothing else can write. The fee scalars are zero: edge-l2 charges no L1 data
 * fee (docs/fees.md).
 */
contract L1Block {
    /// @notice The latest L1 block number known by the L2 system.
    uint64 public number;
    /// @notice The latest L1 timestamp known by the L2 system.
    uint64 public timestamp;
    /// @notice The latest L1 base fee.
    uint256 public basefee;
    /// @notice The latest L1 blockhash.
    bytes32 public hash;
    /// @notice The number of L2 blocks in the same epoch (since the L1 origin last changed).
    uint64 public sequenceNumber;
    /// @notice The scalar applied to the L1 blob base fee portion of the L1 cost (0 on edge-l2).
    uint32 public blobBaseFeeScalar;
    /// @notice The scalar applied to the L1 base fee portion of the L1 cost (0 on edge-l2).
    uint32 public baseFeeScalar;
    /// @notice The versioned hash of the batcher (bytes32(uint256(uint160(batcher)))).
    bytes32 public batcherHash;
    /// @notice Legacy fee overhead (kept for the storage layout; 0).
    uint256 public l1FeeOverhead;
    /// @notice Legacy fee scalar (kept for the storage layout; 0).
    uint256 public l1FeeScalar;
    /// @notice The latest L1 blob base fee.
    uint256 public blobBaseFee;

    /// @notice Reverts when anyone but the depositor account sets the values (OP's error).
    error NotDepositor();

    /// @notice The system address that sends L1-info deposits.
    function DEPOSITOR_ACCOUNT() public pure returns (address) {
        return 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;
    }

    /// @notice Semantic version, as Optimism's predeploys report it.
    function version() external pure returns (string memory) {
        return "1.4.1-edge";
    }

    /**
     * @notice Sets the L1 values from packed calldata (OP Ecotone layout, after the selector):
     * baseFeeScalar u32, blobBaseFeeScalar u32, sequenceNumber u64, timestamp u64, number u64,
     * basefee u256, blobBaseFee u256, hash b32, batcherHash b32.
     */
    function setL1BlockValuesEcotone() external {
        address depositor = DEPOSITOR_ACCOUNT();
        assembly {
            if xor(caller(), depositor) {
                mstore(0x00, 0x3cc50b45) // NotDepositor()
                revert(0x1C, 0x04)
            }
            // sequenceNumber (u64), blobBaseFeeScalar (u32), baseFeeScalar (u32) share slot 3
            sstore(sequenceNumber.slot, shr(128, calldataload(4)))
            // number (u64) and timestamp (u64) share slot 0
            sstore(number.slot, shr(128, calldataload(20)))
            sstore(basefee.slot, calldataload(36))
            sstore(blobBaseFee.slot, calldataload(68))
            sstore(hash.slot, calldataload(100))
            sstore(batcherHash.slot, calldataload(132))
        }
    }
}
