// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import { SequencerPool } from "../sequencing/SequencerPool.sol";

/**
 * @title SeedGrinder
 * @notice Test contract (sequencing.seeding e2e): the issue-22 attack on the draw. A seeder calls
 * `seedEpoch` through `grind`, which reverts unless `want` comes out first in shard `chainId`'s order
 * for the epoch, and retries in later blocks until it does. `drawn` seeds and returns who came first
 * (meant for eth_call: what a seed recorded in that block would draw).
 */
contract SeedGrinder {
    error NotDrawn(address first);

    function drawn(SequencerPool _pool, uint256 _chainId, uint256 _epoch) public returns (address) {
        _pool.seedEpoch(_epoch);
        return _pool.orderOf(_chainId, _epoch)[0];
    }

    function grind(SequencerPool _pool, uint256 _chainId, uint256 _epoch, address _want) external {
        address first = drawn(_pool, _chainId, _epoch);
        if (first != _want) revert NotDrawn(first);
    }
}
