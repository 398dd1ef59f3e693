// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { TimelockController } from "@openzeppelin/contracts/governance/TimelockController.sol";

/**
 * @title DacTimelock
 * @notice OpenZeppelin's TimelockController, unchanged: the owner of every L1 contract of edge-l2 and
 * the executor of the DAC's Governor. scripts/deploy-l1.ts deploys it with the Governor as its only
 * proposer, canceller and executor, and no admin (so the timelock administers itself).
 * Invariants: every call it makes was scheduled by the Governor at least `getMinDelay()` seconds
 * earlier; only the timelock itself changes its roles or its delay (through such a call); no
 * externally owned account holds any role (deploy-l1 checks it after deploying).
 */
contract DacTimelock is TimelockController {
    /**
     * @param _minDelay  Seconds between scheduling and execution.
     * @param _proposers Granted PROPOSER_ROLE and CANCELLER_ROLE (the Governor).
     * @param _executors Granted EXECUTOR_ROLE (the Governor).
     * @param _admin     Optional extra admin; deploy-l1 passes zero.
     */
    constructor(uint256 _minDelay, address[] memory _proposers, address[] memory _executors, address _admin)
        TimelockController(_minDelay, _proposers, _executors, _admin)
    { }
}
