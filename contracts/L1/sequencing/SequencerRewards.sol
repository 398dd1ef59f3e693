// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import { VerifierStaking } from "../verifiers/VerifierStaking.sol";

/**
 * @title SequencerRewards
 * @notice The sequencers' mining reward of SequencerPool (issue 13: the sequencer of an epoch earns a
 * mining reward per batched block from the vault): credit, forfeiture and payout.
 * - Credit (`_credit`, on each accepted batch): `rewardPerBlock` for each L2 block the pool counts (it
 *   caps them by time, see SequencerPool), kept per (shard, epoch, sequencer) (`earnedIn`);
 *   `rewardsOwed` sums a sequencer's credit not yet forfeited or paid out, `totalCredited` everyone's.
 * - Forfeiture (`_forfeit`): an upheld challenge takes what the accused earned in the epoch the
 *   challenge was opened in, a proven equivocation what the signer earned in the epoch of the proof.
 * - Payout (`payout`, anyone): a (shard, epoch, sequencer) credit moves to VerifierStaking
 *   (`creditSequencer`), the mining vault's recipient, whose `claimRewards` pays it to the sequencer
 *   from the vault's releases (what the vault has not vested yet stays owed there). Only once it can
 *   no longer be forfeited: its epoch is over (a challenge names the epoch it is opened in, and an
 *   equivocation proof the current one, so neither can name a past epoch any more) and no challenge
 *   opened in that epoch against that sequencer on that shard is still open (`ChallengePending`).
 * Invariants: rewardsOwed[a] is the sum of a's `earnedIn` over shards and epochs, and totalCredited
 * the sum of rewardsOwed; a credit is paid out at most once, only to the sequencer that earned it,
 * never while it may still be forfeited; a paid credit is never forfeited (its `earnedIn` is 0).
 */
abstract contract SequencerRewards {
    /// @notice The verifier set: the pool's candidates, and where their rewards are paid.
    VerifierStaking public immutable STAKING;

    /// @notice Reward tokens credited per L2 block batched.
    uint256 public rewardPerBlock;
    /// @notice Reward credited to each sequencer, neither forfeited nor paid out yet.
    mapping(address => uint256) public rewardsOwed;
    /// @notice Sum of `rewardsOwed`.
    uint256 public totalCredited;
    /// @dev keccak(chainId, epoch, account) → reward credited there, neither forfeited nor paid out.
    mapping(bytes32 => uint256) internal earned;

    error NothingToPay(uint256 chainId, uint256 epoch, address account);
    error EpochNotOver(uint256 epoch, uint256 currentEpoch);
    error ChallengePending(uint256 id);

    event RewardCredited(address indexed sequencer, uint256 indexed chainId, uint256 epoch, uint256 blocks, uint256 amount);
    event RewardForfeited(address indexed sequencer, uint256 indexed chainId, uint256 epoch, uint256 amount);
    event RewardPaid(address indexed sequencer, uint256 indexed chainId, uint256 epoch, uint256 amount);

    /// @param _staking The verifier set (its POOL is the inheriting SequencerPool).
    constructor(VerifierStaking _staking) {
        STAKING = _staking;
    }

    /**
     * @notice Pays `_account`'s credit for shard `_chainId` in epoch `_epoch` out to VerifierStaking,
     * where it claims it (`claimRewards`). Anyone; only once `_epoch` is over and no challenge opened in
     * it against `_account` on `_chainId` is open (`EpochNotOver`, `ChallengePending`, `NothingToPay`).
     */
    function payout(uint256 _chainId, uint256 _epoch, address _account) external {
        uint256 current = currentEpoch();
        if (_epoch >= current) revert EpochNotOver(_epoch, current);
        (bool pending, uint256 id) = _challengeOpenIn(_chainId, _epoch, _account);
        if (pending) revert ChallengePending(id);
        bytes32 k = _key(_chainId, _epoch, _account);
        uint256 amount = earned[k];
        if (amount == 0) revert NothingToPay(_chainId, _epoch, _account);
        earned[k] = 0;
        rewardsOwed[_account] -= amount;
        totalCredited -= amount;
        emit RewardPaid(_account, _chainId, _epoch, amount);
        STAKING.creditSequencer(_account, amount);
    }

    /// @notice Reward credited to `_account` for shard `_chainId` in epoch `_epoch` (0 once forfeited or paid).
    function earnedIn(uint256 _chainId, uint256 _epoch, address _account) external view returns (uint256) {
        return earned[_key(_chainId, _epoch, _account)];
    }

    /// @notice The epoch of the current L1 block.
    function currentEpoch() public view virtual returns (uint256);

    /// @dev Whether a challenge opened in `_epoch` against `_account` on `_chainId` is open, and its id.
    function _challengeOpenIn(uint256 _chainId, uint256 _epoch, address _account)
        internal
        view
        virtual
        returns (bool, uint256);

    /// @dev Credits `_to` `rewardPerBlock` × `_blocks` for shard `_chainId` in epoch `_epoch`.
    function _credit(uint256 _chainId, uint256 _epoch, address _to, uint256 _blocks) internal {
        uint256 amount = _blocks * rewardPerBlock;
        if (amount == 0) return;
        rewardsOwed[_to] += amount;
        totalCredited += amount;
        earned[_key(_chainId, _epoch, _to)] += amount;
        emit RewardCredited(_to, _chainId, _epoch, _blocks, amount);
    }

    /// @dev Takes `_who`'s credit for shard `_chainId` in epoch `_epoch`; nothing when none is left (paid or 0).
    function _forfeit(uint256 _chainId, uint256 _epoch, address _who) internal {
        bytes32 k = _key(_chainId, _epoch, _who);
        uint256 amount = earned[k];
        if (amount == 0) return;
        earned[k] = 0;
        rewardsOwed[_who] -= amount;
        totalCredited -= amount;
        emit RewardForfeited(_who, _chainId, _epoch, amount);
    }

    function _key(uint256 _chainId, uint256 _n, address _account) internal pure returns (bytes32) {
        return keccak256(abi.encode(_chainId, _n, _account));
    }
}
