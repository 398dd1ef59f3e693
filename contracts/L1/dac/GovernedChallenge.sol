// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { Ownable2Step } from "@openzeppelin/contracts/access/Ownable2Step.sol";

/**
 * @title GovernedChallenge
 * @notice A challenge with an ETH bond that only governance can uphold: the challenge of OutputQuorum
 * (a wrong output root) and of SequencerPool (a misbehaving sequencer), which say what is accused.
 * No token vote settles anything: the owner is the DAC's Timelock, so only an executed Governor
 * proposal (votingDelay + votingPeriod + the Timelock's minDelay) can uphold or dismiss.
 * - Opening (`_openChallenge`, after `_checkBond`): the challenger locks exactly `challengeBond`; the
 *   challenge's deadline is its creation + `disputePeriod` (fixed when it opens).
 * - `uphold` (owner, while open and before the deadline): `_settle(Upheld)`, `ChallengeResolved`,
 *   `_punish`, the bond back to the challenger.
 * - `dismiss` (owner, while open): `_settle(Dismissed)`, `ChallengeResolved`, the bond to the owner.
 * - `resolve` (anyone, at or after the deadline, while open): `_settle(Expired)`, `ChallengeResolved`,
 *   the bond to the owner: a failed or unresolved challenge costs the challenger its bond.
 * `disputePeriod` must cover a whole Governor proposal plus margin (scripts/dac-params.ts checks it).
 * Invariants: a challenge is resolved exactly once; only the owner can uphold, and only before the
 * deadline; the bond is paid out exactly once, to the challenger only when upheld.
 * How to break it (and why not): (1) a token whale votes: there is no vote here, only the owner, a
 * Timelock whose proposals take at least votingDelay + votingPeriod + minDelay; (2) upholding after
 * the deadline, racing `resolve`: `uphold` reverts at or after the deadline, `resolve` before it;
 * (3) a challenger refusing the bond to block settlement: `_pay` falls back to the owner.
 */
abstract contract GovernedChallenge is Ownable2Step {
    enum Outcome {
        Open,
        Upheld,
        Dismissed,
        Expired
    }

    /// @dev A challenge's bond and clock (what it accuses is the inheriting contract's).
    struct Ballot {
        address challenger;
        uint256 bond;
        uint64 createdAt;
        uint64 deadline;
        Outcome outcome;
    }

    /// @notice ETH a challenge locks.
    uint256 public challengeBond;
    /// @notice Seconds from a challenge's creation to its deadline (uphold before, resolve at or after).
    uint256 public disputePeriod;

    Ballot[] internal ballots;

    error WrongBond(uint256 sent, uint256 bond);
    error NoSuchChallenge(uint256 id);
    error ChallengeClosed(uint256 id);
    error DeadlinePassed(uint256 deadline);
    error DeadlineNotReached(uint256 deadline);

    event ChallengeOpened(uint256 indexed id, address indexed challenger, uint256 deadline);
    event ChallengeResolved(uint256 indexed id, Outcome outcome);

    /// @notice Upholds challenge `_id` (the accusation stands). Owner (the Timelock) only, before the deadline.
    function uphold(uint256 _id) external onlyOwner {
        Ballot storage b = _ballot(_id);
        if (b.outcome != Outcome.Open) revert ChallengeClosed(_id);
        if (block.timestamp >= b.deadline) revert DeadlinePassed(b.deadline);
        b.outcome = Outcome.Upheld;
        _settle(_id, Outcome.Upheld);
        emit ChallengeResolved(_id, Outcome.Upheld);
        _punish(_id);
        _pay(b.challenger, b.bond);
    }

    /// @notice Dismisses open challenge `_id`: the bond goes to the owner. Owner only.
    function dismiss(uint256 _id) external onlyOwner {
        Ballot storage b = _ballot(_id);
        if (b.outcome != Outcome.Open) revert ChallengeClosed(_id);
        b.outcome = Outcome.Dismissed;
        _settle(_id, Outcome.Dismissed);
        emit ChallengeResolved(_id, Outcome.Dismissed);
        _pay(owner(), b.bond);
    }

    /// @notice Closes open challenge `_id` at or after its deadline (anyone): the bond goes to the owner.
    function resolve(uint256 _id) external {
        Ballot storage b = _ballot(_id);
        if (b.outcome != Outcome.Open) revert ChallengeClosed(_id);
        if (block.timestamp < b.deadline) revert DeadlineNotReached(b.deadline);
        b.outcome = Outcome.Expired;
        _settle(_id, Outcome.Expired);
        emit ChallengeResolved(_id, Outcome.Expired);
        _pay(owner(), b.bond);
    }

    /// @notice How many challenges were ever made.
    function challengeCount() external view returns (uint256) {
        return ballots.length;
    }

    /// @notice Challenge `_id`'s bond and clock.
    function getBallot(uint256 _id) external view returns (Ballot memory) {
        return _ballot(_id);
    }

    // ---------------------------------------------------------------- for the inheriting contract

    /// @dev Reverts unless the call sends exactly `challengeBond`.
    function _checkBond() internal view {
        if (msg.value != challengeBond) revert WrongBond(msg.value, challengeBond);
    }

    /// @dev Opens a challenge by `_challenger` locking `_bond`, its deadline `disputePeriod` from now; returns its id.
    function _openChallenge(address _challenger, uint256 _bond) internal returns (uint256 id) {
        id = ballots.length;
        uint64 deadline = uint64(block.timestamp + disputePeriod);
        ballots.push(
            Ballot({
                challenger: _challenger,
                bond: _bond,
                createdAt: uint64(block.timestamp),
                deadline: deadline,
                outcome: Outcome.Open
            })
        );
        emit ChallengeOpened(id, _challenger, deadline);
    }

    function _ballot(uint256 _id) internal view returns (Ballot storage) {
        if (_id >= ballots.length) revert NoSuchChallenge(_id);
        return ballots[_id];
    }

    /// @dev Applies `_outcome` of challenge `_id` to what it accused, before `ChallengeResolved`.
    function _settle(uint256 _id, Outcome _outcome) internal virtual;

    /// @dev Penalizes the accused of upheld challenge `_id`, after `ChallengeResolved` and before the payout.
    function _punish(uint256 _id) internal virtual;

    /// @dev The revert reason when neither the payee nor the owner takes a bond.
    function _bondTransferFailed() internal pure virtual returns (string memory);

    function _pay(address _to, uint256 _amount) internal {
        if (_amount == 0) return;
        (bool ok,) = _to.call{ value: _amount }("");
        if (!ok) {
            (ok,) = owner().call{ value: _amount }("");
            if (!ok) revert(_bondTransferFailed());
        }
    }
}
