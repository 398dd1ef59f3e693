// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { Ownable2Step } from "@openzeppelin/contracts/access/Ownable2Step.sol";
import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/**
 * @title MiningVault
 * @notice Holds the community-mining half of the DAC token (5,000,000) and releases it linearly over
 * DURATION (10 × 365 days) from START, the vault's deployment: vestedAmount(t) = ALLOCATION ×
 * min(t − START, DURATION) / DURATION. What has vested and was not released yet can be released by
 * anyone to `recipient`: the verifiers' staking contract from the deployment on (it pays rewards for
 * attested outputs), changed only by the owner (the DAC's Timelock). With no recipient the release
 * only accrues.
 * Invariants: released <= vestedAmount(now) <= ALLOCATION; `released` never decreases; tokens leave
 * the vault only through `release`, only to `recipient`, and only up to vestedAmount(now); only the
 * owner (the Timelock) changes the recipient.
 */
contract MiningVault is Ownable2Step {
    using SafeERC20 for IERC20;

    /// @notice Length of the schedule: 10 years of 365 days.
    uint256 public constant DURATION = 3650 days;

    /// @notice The DAC token.
    IERC20 public immutable TOKEN;
    /// @notice Tokens the schedule releases in all (the token's MINING_SUPPLY).
    uint256 public immutable ALLOCATION;
    /// @notice Timestamp the schedule starts at: the block of the vault's deployment.
    uint256 public immutable START;

    /// @notice Where released tokens go; zero until governance names the reward contract.
    address public recipient;
    /// @notice Tokens released so far.
    uint256 public released;

    /// @notice No recipient is set yet: the release accrues.
    error NoRecipient();
    /// @notice Nothing has vested since the last release.
    error NothingToRelease();

    /// @notice Emitted when the owner changes the recipient.
    event RecipientUpdated(address indexed previousRecipient, address indexed newRecipient);
    /// @notice Emitted for each release.
    event Released(address indexed recipient, uint256 amount);

    /**
     * @param _token      The DAC token (which mints ALLOCATION to this vault at its construction).
     * @param _allocation Tokens the schedule releases in all.
     * @param _owner      The DAC's Timelock.
     * @param _recipient  Where releases go: the VerifierStaking contract (deploy-l1), or zero for none yet.
     */
    constructor(IERC20 _token, uint256 _allocation, address _owner, address _recipient) Ownable(_owner) {
        TOKEN = _token;
        ALLOCATION = _allocation;
        START = block.timestamp;
        recipient = _recipient;
        emit RecipientUpdated(address(0), _recipient);
    }

    /// @notice When the schedule ends: START + DURATION.
    function end() public view returns (uint256) {
        return START + DURATION;
    }

    /// @notice Tokens vested by `_timestamp` (released or not): the schedule, readable for any time.
    function vestedAmount(uint256 _timestamp) public view returns (uint256) {
        if (_timestamp <= START) return 0;
        if (_timestamp >= end()) return ALLOCATION;
        return (ALLOCATION * (_timestamp - START)) / DURATION;
    }

    /// @notice Tokens vested now and not released yet.
    function releasable() public view returns (uint256) {
        return vestedAmount(block.timestamp) - released;
    }

    /// @notice Sets where released tokens go. Owner (the Timelock) only.
    function setRecipient(address _recipient) external onlyOwner {
        emit RecipientUpdated(recipient, _recipient);
        recipient = _recipient;
    }

    /// @notice Sends every releasable token to `recipient`. Anyone may call it.
    function release() external {
        address to = recipient;
        if (to == address(0)) revert NoRecipient();
        uint256 amount = releasable();
        if (amount == 0) revert NothingToRelease();
        released += amount;
        emit Released(to, amount);
        TOKEN.safeTransfer(to, amount);
    }
}
