// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { Ownable2Step } from "@openzeppelin/contracts/access/Ownable2Step.sol";
import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { Checkpoints } from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import { MiningVault } from "../dac/MiningVault.sol";

/**
 * @title VerifierStaking
 * @notice The verifier set of an edge-l2 deployment (every shard): operators lock the DAC token to
 * verify; the active set and its stake are what the OutputQuorum counts (≥ 2/3 of the active stake
 * attests an output). A verifier is active while its bonded stake is at least MIN_STAKE and it is
 * neither jailed nor slashed out. Unbonding leaves the active set at once and pays out after
 * `unbondingDelay`; stake that unbonds stays slashable until it is withdrawn.
 * Rewards: the mining vault's recipient is this contract; the quorum credits verifiers for accepted
 * outputs (`recordOutput`, `recordLateAttestation`), the pool credits sequencers the mining reward of
 * their batched blocks once it can no longer be forfeited (`creditSequencer`, from SequencerPool's
 * `payout`), and `claimRewards` pays either credit from the released tokens (releasing more from the
 * vault when short). What is owed beyond what the vault has vested stays owed.
 * Jailing is the quorum's (it holds the evidence: missed outputs); crediting is the quorum's (accepted
 * outputs) and the pool's (batched blocks).
 * Slashing has two callers, both immutable: the quorum (an output equivocation, a lost output
 * challenge) and the SequencerPool, POOL (a sequencer's block equivocation, an upheld challenge
 * against a sequencer). A slash jails too. The parameters are the owner's, the DAC's Timelock.
 * History: each verifier's active weight (its bonded stake while active, else 0) and the total active
 * stake are checkpointed by timestamp (`getPastWeight`, `getPastActiveStake`), so the quorum measures
 * a root against the stake active at its reference time, which no later slash or stake changes.
 * Entry: a new verifier stakes at least minStake; one with nothing bonded or unbonding leaves the list
 * (`deregister`, anyone); when the list is full (MAX_VERIFIERS) a new stake bigger than the smallest
 * member's bonded stake evicts that member (its bonded stake unbonds with the normal delay, still
 * slashable, and it leaves the list). Every loop is over the list (≤ MAX_VERIFIERS).
 * Invariants: token balance ≥ totalBonded + totalUnbonding (rewards are paid only from the rest);
 * activeStake() == the sum of `bonded` over active verifiers; only the quorum and the pool slash, only
 * the quorum jails otherwise, and only the quorum or the pool credits; a verifier's tokens leave only
 * to itself (withdraw), to a challenger or reporter (its share of a slash) or stay as reward reserve.
 */
contract VerifierStaking is Ownable2Step {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Most verifiers ever registered: keeps the quorum's per-output loops bounded.
    uint256 public constant MAX_VERIFIERS = 64;

    /// @notice The DAC token, the stake.
    IERC20 public immutable TOKEN;
    /// @notice The mining vault whose recipient this contract is.
    MiningVault public immutable VAULT;
    /// @notice The OutputQuorum: the only caller of recordOutput and recordLateAttestation, and a slasher.
    address public immutable QUORUM;
    /// @notice The SequencerPool: the other caller of slash (sequencers' faults), and of creditSequencer.
    address public immutable POOL;

    /// @notice Least bonded stake of an active verifier.
    uint256 public minStake;
    /// @notice Seconds from `unbond` to `withdraw`.
    uint256 public unbondingDelay;
    /// @notice Outputs missed in a row (on any shard) that jail a verifier.
    uint256 public maxMissed;
    /// @notice Share of a verifier's stake (bonded and unbonding) a slash takes, in basis points.
    uint256 public slashBps;
    /// @notice Share of a slash paid to whoever proved the fault, in basis points; the rest funds rewards.
    uint256 public reporterBps;

    enum Status {
        None,
        Active,
        Inactive, // bonded below minStake, or unbonding everything
        Jailed
    }

    struct Verifier {
        uint256 bonded;
        uint256 unbonding;
        uint64 unbondedAt; // when `unbonding` may be withdrawn
        uint32 missed; // outputs missed in a row
        bool jailed;
        bool registered;
    }

    mapping(address => Verifier) internal verifier;
    address[] internal registered;
    /// @dev 1 + a registered verifier's position in `registered` (0: not registered).
    mapping(address => uint256) internal position;
    /// @dev Each verifier's active weight over time.
    mapping(address => Checkpoints.Trace208) internal weightHistory;
    /// @dev The total active stake over time.
    Checkpoints.Trace208 internal activeHistory;
    /// @notice Sum of `bonded` over active verifiers.
    uint256 internal totalActive;
    /// @notice Sum of every verifier's `bonded`.
    uint256 public totalBonded;
    /// @notice Sum of every verifier's `unbonding`.
    uint256 public totalUnbonding;
    /// @notice Rewards credited and not claimed yet, by verifier.
    mapping(address => uint256) public rewardsOwed;
    /// @notice Sum of `rewardsOwed`.
    uint256 public totalOwed;

    error OnlyQuorum();
    error NotSlasher(address caller);
    error NotPool(address caller);
    error ZeroAmount();
    error InsufficientBond(uint256 bonded);
    error TooManyVerifiers();
    error NotUnbonded(uint256 withdrawableAt);
    error NothingToWithdraw();
    error BelowMinStake(uint256 bonded, uint256 minStake);
    error NotJailed();
    error InvalidBps(uint256 bps);
    error NotEmpty(address verifier);
    error NotRegistered(address verifier);

    event Staked(address indexed verifier, address indexed from, uint256 amount, uint256 bonded);
    event Unbonding(address indexed verifier, uint256 amount, uint256 withdrawableAt);
    event Withdrawn(address indexed verifier, uint256 amount);
    event Evicted(address indexed verifier, address indexed by, uint256 unbonding, uint256 withdrawableAt);
    event Deregistered(address indexed verifier);
    event Jailed(address indexed verifier, uint256 missed);
    event Unjailed(address indexed verifier);
    event Slashed(address indexed verifier, address indexed reporter, uint256 amount, uint256 toReporter);
    event RewardCredited(address indexed verifier, uint256 amount);
    event RewardClaimed(address indexed verifier, uint256 amount, uint256 stillOwed);
    event ParametersUpdated(
        uint256 minStake, uint256 unbondingDelay, uint256 maxMissed, uint256 slashBps, uint256 reporterBps
    );

    modifier onlyQuorum() {
        if (msg.sender != QUORUM) revert OnlyQuorum();
        _;
    }

    /**
     * @param _token  The DAC token.
     * @param _vault  The mining vault (whose recipient is this contract).
     * @param _quorum The OutputQuorum (deploy-l1 predicts its address from the deployer's nonce).
     * @param _pool   The SequencerPool (deploy-l1 predicts its address too).
     * @param _owner  The DAC's Timelock.
     * @param _params minStake, unbondingDelay, maxMissed, slashBps, reporterBps.
     */
    constructor(
        IERC20 _token,
        MiningVault _vault,
        address _quorum,
        address _pool,
        address _owner,
        uint256[5] memory _params
    ) Ownable(_owner) {
        TOKEN = _token;
        VAULT = _vault;
        QUORUM = _quorum;
        POOL = _pool;
        _setParameters(_params);
    }

    /// @notice Sets minStake, unbondingDelay, maxMissed, slashBps, reporterBps. Owner (the Timelock) only.
    function setParameters(uint256[5] calldata _params) external onlyOwner {
        _setParameters(_params);
    }

    function _setParameters(uint256[5] memory p) internal {
        if (p[3] > 10_000) revert InvalidBps(p[3]);
        if (p[4] > 10_000) revert InvalidBps(p[4]);
        (minStake, unbondingDelay, maxMissed, slashBps, reporterBps) = (p[0], p[1], p[2], p[3], p[4]);
        // minStake may change who is active: the one loop over the (bounded) list.
        for (uint256 i = 0; i < registered.length; i++) {
            _sync(registered[i]);
        }
        emit ParametersUpdated(p[0], p[1], p[2], p[3], p[4]);
    }

    // ---------------------------------------------------------------- operators

    /**
     * @notice Bonds `_amount` tokens (pulled from the caller, who approved them) to `_verifier`'s stake.
     * Anyone may stake for an operator; only the operator unbonds and withdraws.
     */
    function stake(address _verifier, uint256 _amount) external {
        if (_amount == 0) revert ZeroAmount();
        Verifier storage v = verifier[_verifier];
        if (!v.registered) {
            if (_amount < minStake) revert BelowMinStake(_amount, minStake);
            if (registered.length >= MAX_VERIFIERS) _evictSmallest(_amount);
            v.registered = true;
            registered.push(_verifier);
            position[_verifier] = registered.length;
        }
        TOKEN.safeTransferFrom(msg.sender, address(this), _amount);
        v.bonded += _amount;
        totalBonded += _amount;
        _sync(_verifier);
        emit Staked(_verifier, msg.sender, _amount, v.bonded);
    }

    /// @notice Moves `_amount` of the caller's bonded stake to unbonding (withdrawable after the delay).
    function unbond(uint256 _amount) external {
        Verifier storage v = verifier[msg.sender];
        if (_amount == 0) revert ZeroAmount();
        if (_amount > v.bonded) revert InsufficientBond(v.bonded);
        v.bonded -= _amount;
        totalBonded -= _amount;
        v.unbonding += _amount;
        totalUnbonding += _amount;
        v.unbondedAt = uint64(block.timestamp + unbondingDelay);
        _sync(msg.sender);
        emit Unbonding(msg.sender, _amount, v.unbondedAt);
    }

    /// @notice Removes `_verifier` from the list: it must have nothing bonded and nothing unbonding. Anyone.
    function deregister(address _verifier) external {
        Verifier storage v = verifier[_verifier];
        if (!v.registered) revert NotRegistered(_verifier);
        if (v.bonded != 0 || v.unbonding != 0) revert NotEmpty(_verifier);
        _remove(_verifier);
        emit Deregistered(_verifier);
    }

    /// @notice Pays the caller's unbonded stake once the unbonding delay has passed.
    function withdraw() external {
        Verifier storage v = verifier[msg.sender];
        uint256 amount = v.unbonding;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < v.unbondedAt) revert NotUnbonded(v.unbondedAt);
        v.unbonding = 0;
        totalUnbonding -= amount;
        emit Withdrawn(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @notice Rejoins the active set after a jailing (missed outputs or a slash), with enough stake.
    function unjail() external {
        Verifier storage v = verifier[msg.sender];
        if (!v.jailed) revert NotJailed();
        if (v.bonded < minStake) revert BelowMinStake(v.bonded, minStake);
        v.jailed = false;
        v.missed = 0;
        _sync(msg.sender);
        emit Unjailed(msg.sender);
    }

    /// @notice Pays the caller's credited rewards, as far as released (and releasable) tokens cover them.
    function claimRewards() external {
        uint256 owed = rewardsOwed[msg.sender];
        if (owed == 0) revert ZeroAmount();
        if (rewardReserve() < owed) {
            try VAULT.release() { } catch { }
        }
        uint256 paid = owed < rewardReserve() ? owed : rewardReserve();
        rewardsOwed[msg.sender] = owed - paid;
        totalOwed -= paid;
        emit RewardClaimed(msg.sender, paid, owed - paid);
        if (paid > 0) TOKEN.safeTransfer(msg.sender, paid);
    }

    // ---------------------------------------------------------------- the quorum's and the pool's

    /**
     * @notice Slashes `slashBps` of `_verifier`'s stake (bonded first) and jails it; `_reporter` gets
     * `reporterBps` of it. QUORUM or POOL only. Never reverts for lack of stake: with none it slashes 0.
     */
    function slash(address _verifier, address _reporter) external returns (uint256 amount) {
        if (msg.sender != QUORUM && msg.sender != POOL) revert NotSlasher(msg.sender);
        Verifier storage v = verifier[_verifier];
        amount = ((v.bonded + v.unbonding) * slashBps) / 10_000;
        uint256 fromBonded = amount < v.bonded ? amount : v.bonded;
        v.bonded -= fromBonded;
        totalBonded -= fromBonded;
        v.unbonding -= amount - fromBonded;
        totalUnbonding -= amount - fromBonded;
        v.jailed = true;
        lastSlashedAt[_verifier] = uint64(block.timestamp);
        _sync(_verifier);
        uint256 toReporter = (amount * reporterBps) / 10_000;
        emit Slashed(_verifier, _reporter, amount, toReporter);
        if (toReporter > 0) TOKEN.safeTransfer(_reporter, toReporter);
    }

    /**
     * @notice Settles an accepted output: every active verifier among `_signers` is credited its
     * pro-rata share of `_reward` (bonded / active stake) and its run of missed outputs ends; every
     * other active verifier has missed one more and is jailed at `maxMissed` in a row.
     */
    function recordOutput(address[] calldata _signers, uint256 _reward) external onlyQuorum {
        uint256 total = totalActive;
        uint256 n = registered.length;
        for (uint256 i = 0; i < n; i++) {
            address a = registered[i];
            Verifier storage v = verifier[a];
            if (!_isActive(v)) continue;
            bool signed;
            for (uint256 j = 0; j < _signers.length; j++) {
                if (_signers[j] == a) {
                    signed = true;
                    break;
                }
            }
            if (signed) {
                v.missed = 0;
                _credit(a, (_reward * v.bonded) / total);
            } else {
                v.missed += 1;
                if (maxMissed > 0 && v.missed >= maxMissed) {
                    v.jailed = true;
                    _sync(a);
                    emit Jailed(a, v.missed);
                }
            }
        }
    }

    /**
     * @notice Settles a signature that reached an output after it was accepted (and before it was
     * final): the signer is credited like the others and its run of missed outputs ends.
     */
    function recordLateAttestation(address _signer, uint256 _reward) external onlyQuorum {
        Verifier storage v = verifier[_signer];
        if (!_isActive(v) || totalActive == 0) return;
        v.missed = 0;
        _credit(_signer, (_reward * v.bonded) / totalActive);
    }

    /**
     * @notice Credits `_sequencer` its mining reward `_amount` for batched blocks, paid by `claimRewards`
     * like a verifier's. POOL only (SequencerPool's `payout`, once the credit can no longer be forfeited).
     */
    function creditSequencer(address _sequencer, uint256 _amount) external {
        if (msg.sender != POOL) revert NotPool(msg.sender);
        _credit(_sequencer, _amount);
    }

    function _credit(address _verifier, uint256 _amount) internal {
        if (_amount == 0) return;
        rewardsOwed[_verifier] += _amount;
        totalOwed += _amount;
        emit RewardCredited(_verifier, _amount);
    }

    // ---------------------------------------------------------------- views

    /// @notice Whether `_verifier` is in the active set (its signatures count).
    function isActive(address _verifier) external view returns (bool) {
        return _isActive(verifier[_verifier]);
    }

    /// @notice `_verifier`'s bonded stake (what its signature weighs while active).
    function bondedOf(address _verifier) external view returns (uint256) {
        return verifier[_verifier].bonded;
    }

    /// @notice `_verifier`'s stake a slash can still take: bonded plus unbonding (not withdrawn yet).
    function slashableOf(address _verifier) external view returns (uint256) {
        Verifier storage v = verifier[_verifier];
        return v.bonded + v.unbonding;
    }

    /// @notice The active stake: the sum of the active verifiers' bonded stake.
    function activeStake() external view returns (uint256) {
        return totalActive;
    }

    /// @notice `_verifier`'s active weight at `_timestamp` (its bonded stake if active then, else 0).
    /// @notice When `_verifier` was last slashed (0: never): proven to have signed a wrong root or equivocated.
    mapping(address => uint64) public lastSlashedAt;

    function getPastWeight(address _verifier, uint256 _timestamp) external view returns (uint256) {
        return weightHistory[_verifier].upperLookupRecent(uint48(_timestamp));
    }

    /// @notice The active stake at `_timestamp`.
    function getPastActiveStake(uint256 _timestamp) external view returns (uint256) {
        return activeHistory.upperLookupRecent(uint48(_timestamp));
    }

    /// @notice The verifiers on the list (at most MAX_VERIFIERS; order changes when one leaves).
    function verifierCount() external view returns (uint256) {
        return registered.length;
    }

    /// @notice Verifier `_i` (of `verifierCount()`).
    function verifierAt(uint256 _i) external view returns (address) {
        return registered[_i];
    }

    /**
     * @notice Every verifier on the list: address, bonded stake, unbonding stake, status, outputs missed
     * in a row, rewards owed.
     */
    function verifiers()
        external
        view
        returns (
            address[] memory addrs,
            uint256[] memory bonded,
            uint256[] memory unbonding,
            Status[] memory status,
            uint256[] memory missed,
            uint256[] memory owed
        )
    {
        uint256 n = registered.length;
        addrs = registered;
        bonded = new uint256[](n);
        unbonding = new uint256[](n);
        status = new Status[](n);
        missed = new uint256[](n);
        owed = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            Verifier storage v = verifier[addrs[i]];
            bonded[i] = v.bonded;
            unbonding[i] = v.unbonding;
            status[i] = v.jailed ? Status.Jailed : _isActive(v) ? Status.Active : Status.Inactive;
            missed[i] = v.missed;
            owed[i] = rewardsOwed[addrs[i]];
        }
    }

    /// @notice Tokens held beyond stake: what pays rewards (released from the vault, and slashes' rest).
    function rewardReserve() public view returns (uint256) {
        return TOKEN.balanceOf(address(this)) - totalBonded - totalUnbonding;
    }

    function _isActive(Verifier storage v) internal view returns (bool) {
        return v.registered && !v.jailed && v.bonded >= minStake && v.bonded > 0;
    }

    /// @dev Brings `_verifier`'s active weight and the active total up to date, and checkpoints both.
    function _sync(address _verifier) internal {
        Verifier storage v = verifier[_verifier];
        uint256 weight = _isActive(v) ? v.bonded : 0;
        uint256 old = weightHistory[_verifier].latest();
        if (weight == old) return;
        totalActive = totalActive + weight - old;
        weightHistory[_verifier].push(uint48(block.timestamp), uint208(weight));
        activeHistory.push(uint48(block.timestamp), uint208(totalActive));
    }

    /// @dev The list is full: evicts its smallest bonded member if `_amount` is bigger, else reverts.
    function _evictSmallest(uint256 _amount) internal {
        address smallest = registered[0];
        for (uint256 i = 1; i < registered.length; i++) {
            if (verifier[registered[i]].bonded < verifier[smallest].bonded) smallest = registered[i];
        }
        Verifier storage v = verifier[smallest];
        if (_amount <= v.bonded) revert TooManyVerifiers();
        uint256 amount = v.bonded;
        v.bonded = 0;
        totalBonded -= amount;
        v.unbonding += amount;
        totalUnbonding += amount;
        v.unbondedAt = uint64(block.timestamp + unbondingDelay);
        _remove(smallest);
        emit Evicted(smallest, msg.sender, v.unbonding, v.unbondedAt);
    }

    /// @dev Takes `_verifier` off the list (swap and pop); its weight drops to 0.
    function _remove(address _verifier) internal {
        Verifier storage v = verifier[_verifier];
        v.registered = false;
        _sync(_verifier);
        uint256 slot = position[_verifier] - 1;
        address last = registered[registered.length - 1];
        registered[slot] = last;
        position[last] = slot + 1;
        registered.pop();
        delete position[_verifier];
    }
}
