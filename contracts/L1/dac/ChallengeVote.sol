// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { Ownable2Step } from "@openzeppelin/contracts/access/Ownable2Step.sol";
import { IVotes } from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/**
 * @title ChallengeVote
 * @notice A challenge with an ETH bond, settled by the DAC's token holders: the vote of OutputQuorum
 * (a wrong output root) and of SequencerPool (a misbehaving sequencer), which say what is accused.
 * - Opening (`_openChallenge`, after `_checkBond`): the challenger locks exactly `challengeBond`; the
 *   challenge's snapshot is the second before its creation.
 * - Voting (`vote`): for `resolutionPeriod` seconds from the creation, each holder votes once, for
 *   (the accusation stands) or against, with its `IVotes.getPastVotes` at the snapshot; the accused
 *   may not vote (`_checkVoter`, which reverts with the inheriting contract's error).
 * - Resolution (`resolve`, anyone, once the vote has ended): with votes (for + against) of at least
 *   `voteQuorumBps` of `getPastTotalSupply` at the snapshot, and at least one, it is upheld when for >
 *   against, else rejected; without, no quorum. `_settle` applies the outcome to what was accused,
 *   then `ChallengeResolved` is emitted, `_punish` acts on an upheld challenge's accused, and the bond
 *   goes back to the challenger, or to the owner (the Timelock) when rejected (to the owner too when
 *   the challenger refuses it).
 * Invariants: a challenge is resolved once, never before its vote has ended; a voter counts once per
 * challenge with its votes at the snapshot, and the accused never; the bond is paid out exactly once.
 */
abstract contract ChallengeVote is Ownable2Step {
    enum Outcome {
        Open,
        Upheld,
        Rejected,
        NoQuorum
    }

    /// @dev A challenge's bond and vote (what it accuses is the inheriting contract's).
    struct Ballot {
        address challenger;
        uint256 bond;
        uint64 createdAt;
        uint64 snapshot;
        uint256 forVotes;
        uint256 againstVotes;
        Outcome outcome;
    }

    /// @notice The DAC token, whose past votes settle challenges.
    IVotes public immutable TOKEN;

    /// @notice ETH a challenge locks.
    uint256 public challengeBond;
    /// @notice Seconds a challenge's vote lasts.
    uint256 public resolutionPeriod;
    /// @notice Votes (for + against) a challenge needs, in basis points of the supply at its snapshot.
    uint256 public voteQuorumBps;

    Ballot[] internal ballots;
    mapping(uint256 => mapping(address => bool)) public hasVoted;

    error WrongBond(uint256 sent, uint256 bond);
    error NoSuchChallenge(uint256 id);
    error ChallengeClosed(uint256 id);
    error VotingOpen(uint256 endsAt);
    error VotingEnded(uint256 endedAt);
    error AlreadyVoted(address voter);
    error NoVotes(address voter);

    event Voted(uint256 indexed id, address indexed voter, bool support, uint256 weight);
    event ChallengeResolved(uint256 indexed id, Outcome outcome, uint256 forVotes, uint256 againstVotes);

    /// @param _token The DAC token (IVotes, timestamp clock).
    constructor(IVotes _token) {
        TOKEN = _token;
    }

    /**
     * @notice Votes on challenge `_id` (`_support`: the accusation stands) with the caller's token votes
     * at the challenge's snapshot. The accused may not vote.
     */
    function vote(uint256 _id, bool _support) external {
        Ballot storage b = _ballot(_id);
        if (b.outcome != Outcome.Open) revert ChallengeClosed(_id);
        if (block.timestamp >= b.createdAt + resolutionPeriod) revert VotingEnded(b.createdAt + resolutionPeriod);
        _checkVoter(_id, msg.sender);
        if (hasVoted[_id][msg.sender]) revert AlreadyVoted(msg.sender);
        uint256 weight = TOKEN.getPastVotes(msg.sender, b.snapshot);
        if (weight == 0) revert NoVotes(msg.sender);
        hasVoted[_id][msg.sender] = true;
        if (_support) b.forVotes += weight;
        else b.againstVotes += weight;
        emit Voted(_id, msg.sender, _support, weight);
    }

    /// @notice Settles challenge `_id` once its vote has ended (anyone may call it).
    function resolve(uint256 _id) external returns (Outcome outcome) {
        Ballot storage b = _ballot(_id);
        if (b.outcome != Outcome.Open) revert ChallengeClosed(_id);
        uint256 endsAt = b.createdAt + resolutionPeriod;
        if (block.timestamp < endsAt) revert VotingOpen(endsAt);
        uint256 needed = (TOKEN.getPastTotalSupply(b.snapshot) * voteQuorumBps) / 10_000;
        uint256 cast = b.forVotes + b.againstVotes;
        if (cast < needed || cast == 0) outcome = Outcome.NoQuorum;
        else if (b.forVotes > b.againstVotes) outcome = Outcome.Upheld;
        else outcome = Outcome.Rejected;
        b.outcome = outcome;
        _settle(_id, outcome);
        emit ChallengeResolved(_id, outcome, b.forVotes, b.againstVotes);
        if (outcome == Outcome.Upheld) _punish(_id);
        _pay(outcome == Outcome.Rejected ? owner() : b.challenger, b.bond);
    }

    /// @notice How many challenges were ever made.
    function challengeCount() external view returns (uint256) {
        return ballots.length;
    }

    // ---------------------------------------------------------------- for the inheriting contract

    /// @dev Reverts unless the call sends exactly `challengeBond`.
    function _checkBond() internal view {
        if (msg.value != challengeBond) revert WrongBond(msg.value, challengeBond);
    }

    /// @dev Opens a challenge by `_challenger` locking `_bond`, its vote starting now; returns its id.
    function _openChallenge(address _challenger, uint256 _bond) internal returns (uint256 id) {
        id = ballots.length;
        ballots.push(
            Ballot({
                challenger: _challenger,
                bond: _bond,
                createdAt: uint64(block.timestamp),
                snapshot: uint64(block.timestamp - 1),
                forVotes: 0,
                againstVotes: 0,
                outcome: Outcome.Open
            })
        );
    }

    function _ballot(uint256 _id) internal view returns (Ballot storage) {
        if (_id >= ballots.length) revert NoSuchChallenge(_id);
        return ballots[_id];
    }

    /// @dev Reverts (with the inheriting contract's `AccusedCannotVote`) when `_voter` is accused by `_id`.
    function _checkVoter(uint256 _id, address _voter) internal view virtual;

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
