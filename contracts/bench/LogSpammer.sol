// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice Emits many logs in one transaction: fills a chain with history for eth_getLogs benchmarks.
contract LogSpammer {
    event Spam(address indexed from, uint256 indexed seq, uint256 value);

    /// @notice Emits `n` Spam events numbered from `start`.
    function spam(uint256 start, uint256 n) external {
        for (uint256 i = 0; i < n; i++) emit Spam(msg.sender, start + i, i);
    }
}
