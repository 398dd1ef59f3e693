// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { SystemConfig } from "./SystemConfig.sol";

/**
 * @title BatchInbox
 * @notice Where one shard's batcher posts batches of L2 blocks: the whole calldata of a call is the
 * batch (format in docs/), accepted only from the shard's current `SystemConfig.batcher()`, and
 * acknowledged by a `BatchSubmitted` log carrying its hash. Nodes read the batch from the calldata of
 * the transaction that emitted the log (an EOA batcher's transaction input); the hash lets them
 * check it. No owner: the batcher is set in SystemConfig by its owner, the DAC's Timelock.
 * Invariant: no function selectors, so every non-empty calldata reaches the fallback and
 * no batch can be mistaken for a call; anything else (other sender, empty data, ether) reverts.
 */
contract BatchInbox {
    /// @notice The shard's configuration, read for the batcher on each batch.
    SystemConfig internal immutable SYSTEM_CONFIG;

    /// @notice One accepted batch: keccak256 of the calldata, and who sent it.
    event BatchSubmitted(bytes32 indexed batchHash, address indexed batcher);

    /// @param _systemConfig The shard's SystemConfig.
    constructor(SystemConfig _systemConfig) {
        SYSTEM_CONFIG = _systemConfig;
    }

    /// @notice Accepts `msg.data` as a batch from the batcher; reverts for anyone else or empty data.
    fallback() external {
        require(msg.sender == SYSTEM_CONFIG.batcher(), "BatchInbox: sender is not the batcher");
        require(msg.data.length > 0, "BatchInbox: empty batch");
        emit BatchSubmitted(keccak256(msg.data), msg.sender);
    }
}
