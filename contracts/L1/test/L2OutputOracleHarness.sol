// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { L2OutputOracle } from "../L2OutputOracle.sol";
import { SystemConfig } from "../SystemConfig.sol";

/**
 * @title L2OutputOracleHarness
 * @notice Test-only: an L2OutputOracle whose fast-finality seam anyone may call, standing in for the
 * verifier-quorum contract of a later issue. Never deployed by scripts/deploy-l1.ts.
 */
contract L2OutputOracleHarness is L2OutputOracle {
    constructor(
        SystemConfig _systemConfig,
        uint256 _submissionInterval,
        uint256 _l2BlockTime,
        uint256 _startingBlockNumber,
        uint256 _startingTimestamp,
        bytes32 _startingOutputRoot,
        uint256 _finalizationPeriodSeconds
    )
        L2OutputOracle(
            _systemConfig,
            _submissionInterval,
            _l2BlockTime,
            _startingBlockNumber,
            _startingTimestamp,
            _startingOutputRoot,
            _finalizationPeriodSeconds
        )
    {}

    /// @notice Calls `_markOutputFinal`.
    function markOutputFinal(uint256 _l2OutputIndex, bytes32 _outputRoot) external {
        _markOutputFinal(_l2OutputIndex, _outputRoot);
    }
}
