// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { IGovernor, Governor } from "@openzeppelin/contracts/governance/Governor.sol";
import { GovernorCountingSimple } from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import { GovernorSettings } from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import { GovernorStorage } from "@openzeppelin/contracts/governance/extensions/GovernorStorage.sol";
import { GovernorTimelockControl } from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import { GovernorVotes } from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import { GovernorVotesQuorumFraction } from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import { TimelockController } from "@openzeppelin/contracts/governance/TimelockController.sol";
import { IVotes } from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/**
 * @title DacGovernor
 * @notice The DAC's Governor, assembled from OpenZeppelin 5 modules only: settings (voting delay,
 * voting period, proposal threshold: changeable by governance), simple counting (against / for /
 * abstain; quorum counts for + abstain), votes of the DacToken (its clock: timestamps), a quorum that
 * is a fraction of the total supply at the proposal's snapshot, execution through the DacTimelock,
 * and proposal storage (queue / execute / cancel by proposal id, proposals enumerable on chain).
 * Invariants: a proposal is executed only after it succeeded (quorum reached and more for than
 * against at its deadline) and waited the timelock's delay in the queue; every setting changes only
 * through an executed proposal (`onlyGovernance`); the Governor holds no funds (the executor is the
 * timelock, so ether and token receipts revert).
 */
contract DacGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorStorage,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /**
     * @param _token             The DacToken.
     * @param _timelock          The DacTimelock, which executes proposals.
     * @param _votingDelay       Seconds from proposal to the vote's snapshot and start.
     * @param _votingPeriod      Seconds the vote lasts.
     * @param _proposalThreshold Votes (wei) a proposer needs.
     * @param _quorumPercent     Quorum, in percent of the total supply.
     */
    constructor(
        IVotes _token,
        TimelockController _timelock,
        uint48 _votingDelay,
        uint32 _votingPeriod,
        uint256 _proposalThreshold,
        uint256 _quorumPercent
    )
        Governor("edge-l2 DAC")
        GovernorSettings(_votingDelay, _votingPeriod, _proposalThreshold)
        GovernorVotes(_token)
        GovernorVotesQuorumFraction(_quorumPercent)
        GovernorTimelockControl(_timelock)
    { }

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function state(uint256 _proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(_proposalId);
    }

    function proposalNeedsQueuing(uint256 _proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(_proposalId);
    }

    function _propose(
        address[] memory _targets,
        uint256[] memory _values,
        bytes[] memory _calldatas,
        string memory _description,
        address _proposer
    ) internal override(Governor, GovernorStorage) returns (uint256) {
        return super._propose(_targets, _values, _calldatas, _description, _proposer);
    }

    function _queueOperations(
        uint256 _proposalId,
        address[] memory _targets,
        uint256[] memory _values,
        bytes[] memory _calldatas,
        bytes32 _descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(_proposalId, _targets, _values, _calldatas, _descriptionHash);
    }

    function _executeOperations(
        uint256 _proposalId,
        address[] memory _targets,
        uint256[] memory _values,
        bytes[] memory _calldatas,
        bytes32 _descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(_proposalId, _targets, _values, _calldatas, _descriptionHash);
    }

    function _cancel(
        address[] memory _targets,
        uint256[] memory _values,
        bytes[] memory _calldatas,
        bytes32 _descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(_targets, _values, _calldatas, _descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
