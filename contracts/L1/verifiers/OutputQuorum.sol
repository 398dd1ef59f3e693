// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { Types } from "@eth-optimism/contracts-bedrock/src/libraries/Types.sol";
import { GovernedChallenge } from "../dac/GovernedChallenge.sol";
import { L2OutputOracle } from "../L2OutputOracle.sol";
import { VerifierStaking } from "./VerifierStaking.sol";

/**
 * @title OutputQuorum
 * @notice The only proposer and challenger of every shard's L2OutputOracle (SystemConfig names it):
 * an output root enters an oracle only through here.
 * - Reference time: a block's roots are measured against the stake active one second before the
 *   first signature of any root for that block arrived (`referenceTime`), from VerifierStaking's
 *   checkpoints: slashing, unbonding or staking after it changes nothing for that block.
 * - Fast path: signatures (EIP-712 `Output(chainId, oracle, l2BlockNumber, outputRoot)`) of verifiers
 *   holding ≥ 2/3 of the active stake at the reference time, and at least `minQuorumStake`, put the
 *   root into the oracle once its block is the oracle's next (`attest`, by anyone). The oracle's
 *   FINALIZATION_PERIOD_SECONDS remains for any one staked verifier to challenge it. Below the floor
 *   no stake attests alone: the long path only.
 * - Long path: the root with the most signed stake for its block (`leadingRoot`), without a quorum,
 *   may be put into the oracle by anyone (`expose`) once `longWindow` has passed since its first
 *   signature (restarted when a challenge of it closes while it is pending).
 * - Bounded roots: `attest` takes only output blocks (multiples of the submission interval), at most
 *   MAX_AHEAD_OUTPUTS intervals past the oracle's next block, and none whose output is final.
 * - Challenges (GovernedChallenge): an active verifier challenges a root (pending, or in an oracle and
 *   not final) with an ETH bond, once per root while it is in the oracle (a challenge that closes while
 *   the root is pending leaves it challengeable again). The challenged output alone is frozen (a pending root
 *   still enters, frozen); later outputs finalize normally. Only the owner (the DAC's Timelock, an
 *   executed Governor proposal) upholds, before the deadline (`disputePeriod`): the root is rejected
 *   for good, deleted from the oracle when it is the latest output, else invalidated alone (its root
 *   zeroed), its signers slashed (the challenger gets the reporter's share) and the bond returned.
 *   Dismissed, or expired (`resolve`, anyone, at the deadline) with a quorum (leaving out signers
 *   slashed since): the root stands (unfrozen, final once its finalization period has passed).
 *   Expired without a quorum: it is taken out of the oracle like an upheld one (not for good, nobody
 *   slashed). A root not in the oracle after either restarts its long window. The bond goes to the
 *   owner. So a halt costs a bond per root and round, and lasts at most `disputePeriod` per round.
 * - Equivocation: one verifier's signatures on two roots for the same block of the same oracle are
 *   slashed at once, by anyone who shows both (`slashEquivocation`).
 * - Incentives: when a root first enters an oracle with a quorum every active verifier that signed it
 *   is credited its stake's share of `rewardPerOutput` and every other active one has missed an
 *   output (VerifierStaking jails at `maxMissed` in a row); a signature arriving later, before the
 *   output is final, is credited too. A long-path root credits and counts nothing.
 * Owner: the DAC's Timelock (parameters, new shards, upholding). Invariants: an output enters an
 * oracle only with a quorum of the stake active at its reference time (and the floor) or after the
 * long window; no token vote rejects a root or slashes; every loop is over one root's signers or the
 * verifier list (both ≤ MAX_VERIFIERS), never over challenges or outputs.
 * How to break it, and why not: (1) a whale votes down an honest root: there is no vote, only the
 * Timelock; (2) challenge every root to halt withdrawals: a bond lost per root, each root once, each
 * freeze at most `disputePeriod`, and only the challenged output; (3) slash the honest stake first,
 * then sign alone: the denominator is the stake at the reference time; (4) a lone small stake: the
 * floor; (5) mint roots to make calls expensive: bounded blocks, no loops over challenges; (6) sign a
 * block far ahead to fix an early reference time: at most MAX_AHEAD_OUTPUTS intervals ahead.
 */
contract OutputQuorum is EIP712, GovernedChallenge {
    /// @notice EIP-712 type of a verifier's signature on an output root.
    bytes32 public constant OUTPUT_TYPEHASH =
        keccak256("Output(uint256 chainId,address oracle,uint256 l2BlockNumber,bytes32 outputRoot)");

    /// @notice How many submission intervals past the oracle's next block `attest` accepts.
    uint256 public constant MAX_AHEAD_OUTPUTS = 4;

    /// @notice The verifier set.
    VerifierStaking public immutable STAKING;

    /// @notice Seconds a root without a quorum waits after its first signature before `expose`.
    uint256 public longWindow;
    /// @notice Least signed stake (at the reference time) of a fast-path quorum.
    uint256 public minQuorumStake;
    /// @notice Reward tokens one accepted output pays its signers (split by stake over the active stake).
    uint256 public rewardPerOutput;

    /// @notice The L2 chain id of each shard's oracle; 0 for an address that is no shard's oracle.
    mapping(address => uint256) public chainIdOf;
    /// @notice The shards' oracles, in order of registration.
    address[] public oracles;

    struct Candidate {
        uint64 firstSeen; // when its first signature arrived (restarted by an expired challenge)
        bool rejected; // lost a challenge (upheld): never enters an oracle
        bool accepted; // entered an oracle once: its signers were credited and the others' misses counted
        bool challenged; // challenged while in the oracle, or challenge open: not again
        uint256 openChallenge; // id + 1 of its open challenge, 0 when none
        address[] signers;
        mapping(address => bool) signed;
    }

    /// @dev What a challenge accuses (its ballot is GovernedChallenge's, under the same id).
    struct Charge {
        address oracle;
        uint256 l2BlockNumber;
        bytes32 outputRoot;
    }

    /// @dev A challenge as `getChallenge` returns it.
    struct Challenge {
        address oracle;
        uint256 l2BlockNumber;
        bytes32 outputRoot;
        address challenger;
        uint256 bond;
        uint64 createdAt;
        uint64 deadline;
        Outcome outcome;
    }

    mapping(bytes32 => Candidate) internal candidates;
    /// @dev keccak(oracle, block, signer) → the root it signed there first.
    mapping(bytes32 => bytes32) internal signedRoot;
    /// @dev keccak(oracle, block, signer) → slashed for equivocating there.
    mapping(bytes32 => bool) internal equivocationSlashed;
    /// @dev keccak(oracle, block, 0) → the block's reference time (0: no signature yet).
    mapping(bytes32 => uint64) internal refTime;
    /// @dev By challenge id.
    Charge[] internal charges;
    /// @dev keccak(oracle, block, 0) → the root with the most signed stake there, and that stake (the
    /// only root `expose` takes for the block; replaced when it is rejected or overtaken).
    mapping(bytes32 => bytes32) internal leading;
    mapping(bytes32 => uint256) internal leadingStake;
    /// @dev keccak(oracle, block, 0) → the absent verifiers' misses were counted (a long-path entry).
    mapping(bytes32 => bool) internal absenceCounted;

    error UnknownOracle(address oracle);
    error ZeroRoot();
    error NotActiveVerifier(address account);
    error AlreadySignedAnotherRoot(address verifier, bytes32 signedRoot);
    error RootRejected();
    error RootChallenged(uint256 challengeId);
    error NotExposable();
    error UnknownRoot();
    error OutputFinal(uint256 l2OutputIndex);
    error BlockOutOfRange(uint256 l2BlockNumber);
    error NotEquivocation();
    error NoStakeAtReference();
    error AlreadySlashed(address verifier);
    error StakeWithdrawn(address verifier, uint256 weightAtReference, uint256 slashable);

    event Attested(
        address indexed oracle, uint256 indexed l2BlockNumber, bytes32 indexed outputRoot, address verifier, uint256 stake
    );
    event OutputAccepted(
        address indexed oracle,
        uint256 indexed l2OutputIndex,
        uint256 indexed l2BlockNumber,
        bytes32 outputRoot,
        bool quorum,
        uint256 signedStake,
        uint256 activeStake
    );
    event Challenged(
        uint256 indexed id,
        address indexed oracle,
        uint256 indexed l2BlockNumber,
        bytes32 outputRoot,
        address challenger
    );
    event EquivocationSlashed(
        address indexed oracle, uint256 indexed l2BlockNumber, address indexed verifier, address reporter
    );
    event ShardAdded(address indexed oracle, uint256 chainId);
    event ParametersUpdated(
        uint256 longWindow, uint256 challengeBond, uint256 disputePeriod, uint256 minQuorumStake, uint256 rewardPerOutput
    );

    /**
     * @param _staking  The verifier set.
     * @param _owner    The DAC's Timelock.
     * @param _oracles  Every shard's L2OutputOracle (deploy-l1 predicts them from its nonces).
     * @param _chainIds Their L2 chain ids.
     * @param _params   longWindow, challengeBond, disputePeriod, minQuorumStake, rewardPerOutput.
     */
    constructor(
        VerifierStaking _staking,
        address _owner,
        address[] memory _oracles,
        uint256[] memory _chainIds,
        uint256[5] memory _params
    ) EIP712("edge-l2 OutputQuorum", "1") Ownable(_owner) {
        STAKING = _staking;
        require(_oracles.length == _chainIds.length, "OutputQuorum: oracles and chain ids differ in length");
        for (uint256 i = 0; i < _oracles.length; i++) {
            _addShard(_oracles[i], _chainIds[i]);
        }
        _setParameters(_params);
    }

    // ---------------------------------------------------------------- owner

    /// @notice Registers another shard's oracle. Owner (the Timelock) only.
    function addShard(address _oracle, uint256 _chainId) external onlyOwner {
        _addShard(_oracle, _chainId);
    }

    /// @notice Sets longWindow, challengeBond, disputePeriod, minQuorumStake, rewardPerOutput. Owner only.
    function setParameters(uint256[5] calldata _params) external onlyOwner {
        _setParameters(_params);
    }

    // ---------------------------------------------------------------- outputs

    /// @notice The EIP-712 digest a verifier signs for `_outputRoot` at `_l2BlockNumber` of `_oracle`.
    function outputDigest(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot) public view returns (bytes32) {
        uint256 chainId = chainIdOf[_oracle];
        if (chainId == 0) revert UnknownOracle(_oracle);
        return _hashTypedDataV4(keccak256(abi.encode(OUTPUT_TYPEHASH, chainId, _oracle, _l2BlockNumber, _outputRoot)));
    }

    /**
     * @notice Records active verifiers' signatures on `_outputRoot` for L2 block `_l2BlockNumber` of
     * `_oracle`'s shard and puts the root into the oracle once they hold a quorum of the stake active
     * at the block's reference time and the block is the oracle's next. Signatures already recorded
     * are skipped, so re-sending them retries the proposal. The block must be an output block at most
     * MAX_AHEAD_OUTPUTS intervals past the oracle's next, whose output is not final (signatures for a
     * final output's own root are ignored). Returns whether this call put the root into the oracle.
     */
    function attest(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot, bytes[] calldata _signatures)
        external
        returns (bool proposed)
    {
        if (_outputRoot == bytes32(0)) revert ZeroRoot();
        bytes32 digest = outputDigest(_oracle, _l2BlockNumber, _outputRoot);
        Candidate storage c = candidates[_key(_oracle, _l2BlockNumber, _outputRoot)];
        if (c.rejected) revert RootRejected();
        (bool finalAlready, uint256 lateIndex) = _checkBlock(_oracle, _l2BlockNumber, _outputRoot);
        if (finalAlready) return false;
        _pin(_oracle, _l2BlockNumber, _signatures.length);
        for (uint256 i = 0; i < _signatures.length; i++) {
            _record(_oracle, _l2BlockNumber, _outputRoot, c, ECDSA.recover(digest, _signatures[i]), lateIndex != 0);
        }
        _requireStakeIfPinnedNow(c, referenceTime(_oracle, _l2BlockNumber));
        _lead(_oracle, _l2BlockNumber, _outputRoot, c);
        if (lateIndex == 0) proposed = _tryPropose(_oracle, _l2BlockNumber, _outputRoot, c, false);
    }

    /**
     * @notice Puts a root without a quorum into the oracle once `longWindow` has passed since its first
     * signature, if its block is the oracle's next, it leads its block (the most signed stake of the
     * block's roots, counted now: a leader whose signers were slashed since is overtaken); with an
     * open challenge it enters frozen.
     */
    function expose(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot) external {
        if (chainIdOf[_oracle] == 0) revert UnknownOracle(_oracle);
        Candidate storage c = candidates[_key(_oracle, _l2BlockNumber, _outputRoot)];
        if (c.rejected) revert RootRejected();
        _lead(_oracle, _l2BlockNumber, _outputRoot, c);
        if (leading[_key(_oracle, _l2BlockNumber, bytes32(0))] != _outputRoot) revert NotExposable();
        if (!_tryPropose(_oracle, _l2BlockNumber, _outputRoot, c, true)) revert NotExposable();
    }

    /// @notice The root `expose` takes for `_l2BlockNumber` (the most signed stake there), and that stake.
    function leadingRoot(address _oracle, uint256 _l2BlockNumber) external view returns (bytes32 root, uint256 stake) {
        bytes32 bk = _key(_oracle, _l2BlockNumber, bytes32(0));
        return (leading[bk], leadingStake[bk]);
    }

    /**
     * @notice A root's record: its first signature's time, when `expose` may put it in (0: never
     * signed), its signers and their summed stake and the active stake (both at the block's reference
     * time), whether it lost a challenge and its open challenge (id + 1, 0 when none).
     */
    function candidate(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot)
        external
        view
        returns (
            uint256 firstSeen,
            uint256 exposableAt,
            address[] memory signers,
            uint256 signedStake,
            uint256 activeStake,
            bool rejected,
            uint256 openChallenge
        )
    {
        Candidate storage c = candidates[_key(_oracle, _l2BlockNumber, _outputRoot)];
        firstSeen = c.firstSeen;
        exposableAt = c.firstSeen == 0 ? 0 : c.firstSeen + longWindow;
        signers = c.signers;
        (signedStake, activeStake) = _signedStake(c, referenceTime(_oracle, _l2BlockNumber));
        rejected = c.rejected;
        openChallenge = c.openChallenge;
    }

    /// @notice The time whose active stake `_l2BlockNumber`'s roots are measured against (0: none signed yet).
    function referenceTime(address _oracle, uint256 _l2BlockNumber) public view returns (uint256) {
        return refTime[_key(_oracle, _l2BlockNumber, bytes32(0))];
    }

    /// @notice The root `_verifier` signed for `_l2BlockNumber` of `_oracle` (zero when none).
    function signedRootOf(address _oracle, uint256 _l2BlockNumber, address _verifier) external view returns (bytes32) {
        return signedRoot[_key(_oracle, _l2BlockNumber, bytes32(uint256(uint160(_verifier))))];
    }

    // ---------------------------------------------------------------- challenges

    /**
     * @notice Challenges `_outputRoot` for `_l2BlockNumber` of `_oracle`: a root some verifier signed,
     * never challenged before, not final in the oracle. The caller must be an active verifier and send
     * exactly `challengeBond`. Freezes the output if the root is in the oracle (else it enters frozen).
     * Returns the challenge id.
     */
    function challenge(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot)
        external
        payable
        returns (uint256 id)
    {
        if (chainIdOf[_oracle] == 0) revert UnknownOracle(_oracle);
        if (!STAKING.isActive(msg.sender)) revert NotActiveVerifier(msg.sender);
        _checkBond();
        Candidate storage c = candidates[_key(_oracle, _l2BlockNumber, _outputRoot)];
        if (c.signers.length == 0) revert UnknownRoot();
        if (c.rejected) revert RootRejected();
        uint256 index = _indexOf(_oracle, _l2BlockNumber, _outputRoot);
        if (index != 0 && L2OutputOracle(_oracle).isOutputFinalized(index - 1)) revert OutputFinal(index - 1);
        if (c.challenged) revert RootChallenged(c.openChallenge == 0 ? type(uint256).max : c.openChallenge - 1);
        id = _openChallenge(msg.sender, msg.value);
        charges.push(Charge({ oracle: _oracle, l2BlockNumber: _l2BlockNumber, outputRoot: _outputRoot }));
        c.challenged = true;
        c.openChallenge = id + 1;
        if (index != 0) L2OutputOracle(_oracle).setFrozen(index - 1, true);
        emit Challenged(id, _oracle, _l2BlockNumber, _outputRoot, msg.sender);
    }

    /// @notice Challenge `_id`.
    function getChallenge(uint256 _id) external view returns (Challenge memory) {
        Ballot storage b = _ballot(_id);
        Charge storage ch = charges[_id];
        return Challenge(
            ch.oracle, ch.l2BlockNumber, ch.outputRoot, b.challenger, b.bond, b.createdAt, b.deadline, b.outcome
        );
    }

    // ---------------------------------------------------------------- equivocation

    /**
     * @notice Slashes the verifier whose signatures `_sigA` and `_sigB` name two different roots for
     * L2 block `_l2BlockNumber` of `_oracle`; the caller gets the reporter's share. Once per (oracle,
     * block, verifier).
     */
    function slashEquivocation(
        address _oracle,
        uint256 _l2BlockNumber,
        bytes32 _rootA,
        bytes calldata _sigA,
        bytes32 _rootB,
        bytes calldata _sigB
    ) external {
        if (_rootA == _rootB) revert NotEquivocation();
        address a = ECDSA.recover(outputDigest(_oracle, _l2BlockNumber, _rootA), _sigA);
        address b = ECDSA.recover(outputDigest(_oracle, _l2BlockNumber, _rootB), _sigB);
        if (a != b) revert NotEquivocation();
        bytes32 sk = _key(_oracle, _l2BlockNumber, bytes32(uint256(uint160(a))));
        if (equivocationSlashed[sk]) revert AlreadySlashed(a);
        equivocationSlashed[sk] = true;
        emit EquivocationSlashed(_oracle, _l2BlockNumber, a, msg.sender);
        STAKING.slash(a, msg.sender);
    }

    // ---------------------------------------------------------------- internals

    function _addShard(address _oracle, uint256 _chainId) internal {
        require(_oracle != address(0) && _chainId != 0, "OutputQuorum: zero oracle or chain id");
        require(chainIdOf[_oracle] == 0, "OutputQuorum: oracle already registered");
        chainIdOf[_oracle] = _chainId;
        oracles.push(_oracle);
        emit ShardAdded(_oracle, _chainId);
    }

    function _setParameters(uint256[5] memory p) internal {
        (longWindow, challengeBond, disputePeriod, minQuorumStake, rewardPerOutput) = (p[0], p[1], p[2], p[3], p[4]);
        emit ParametersUpdated(p[0], p[1], p[2], p[3], p[4]);
    }

    function _key(address _oracle, uint256 _l2BlockNumber, bytes32 _x) internal pure returns (bytes32) {
        return keccak256(abi.encode(_oracle, _l2BlockNumber, _x));
    }

    /**
     * @dev Fixes the block's reference time (one second ago) if none is yet. Only signatures do (an
     * empty attest pinning a block to a moment without stake would keep it from a quorum for ever),
     * and they must hold stake then (`_requireStakeIfPinnedNow`).
     */
    function _pin(address _oracle, uint256 _l2BlockNumber, uint256 _signatures) internal {
        bytes32 bk = _key(_oracle, _l2BlockNumber, bytes32(0));
        if (refTime[bk] != 0) return;
        if (_signatures == 0) revert NoStakeAtReference();
        refTime[bk] = uint64(block.timestamp - 1);
    }

    /**
     * @dev Records `_signer`'s signature on the root (skipped when already recorded). Who may sign is
     * judged at the block's reference time, like the stake the root is measured against: a verifier
     * with weight then signs with that weight even when jailed or unbonding since (its stake is what
     * the quorum's denominator holds, and it is still slashable), unless it was slashed since (it
     * signs, counting nothing: no batch of signatures fails for one such signer) or has withdrawn
     * stake since (`StakeWithdrawn`: its weight is no longer slashable). A verifier without weight
     * then must be active now (one that entered since: it may sign, so that it is not counted absent,
     * but it counts nothing and does not start the root's long window).
     */
    function _record(
        address _oracle,
        uint256 _l2BlockNumber,
        bytes32 _outputRoot,
        Candidate storage c,
        address _signer,
        bool _late
    ) internal {
        uint256 weight = _weightAtReference(_signer, referenceTime(_oracle, _l2BlockNumber));
        bytes32 sk = _key(_oracle, _l2BlockNumber, bytes32(uint256(uint160(_signer))));
        bytes32 prev = signedRoot[sk];
        if (prev != bytes32(0) && prev != _outputRoot) revert AlreadySignedAnotherRoot(_signer, prev);
        if (c.signed[_signer]) return;
        signedRoot[sk] = _outputRoot;
        c.signed[_signer] = true;
        c.signers.push(_signer);
        if (c.firstSeen == 0 && weight > 0) c.firstSeen = uint64(block.timestamp);
        emit Attested(_oracle, _l2BlockNumber, _outputRoot, _signer, STAKING.bondedOf(_signer));
        if (_late && c.accepted) STAKING.recordLateAttestation(_signer, rewardPerOutput);
    }

    /// @dev What `_signer`'s signature weighs for a block of reference time `_ref` (see `_record`).
    function _weightAtReference(address _signer, uint256 _ref) internal view returns (uint256 weight) {
        weight = STAKING.getPastWeight(_signer, _ref);
        if (weight == 0) {
            if (!STAKING.isActive(_signer)) revert NotActiveVerifier(_signer);
            return 0;
        }
        if (STAKING.lastSlashedAt(_signer) > _ref) return 0;
        uint256 slashable = STAKING.slashableOf(_signer);
        if (slashable < weight) revert StakeWithdrawn(_signer, weight, slashable);
    }

    /**
     * @dev On a block's first entry by the long path: every active verifier that signed no root at
     * all for the block has missed an output (withholding, which halts the quorum path, is not free),
     * and whoever signed some root has not (it may have been right not to sign this one). Once per
     * block. One loop over the verifier list (≤ MAX_VERIFIERS) and one over those who signed.
     */
    function _countAbsent(address _oracle, uint256 _l2BlockNumber) internal {
        bytes32 bk = _key(_oracle, _l2BlockNumber, bytes32(0));
        if (absenceCounted[bk]) return;
        absenceCounted[bk] = true;
        uint256 n = STAKING.verifierCount();
        address[] memory present = new address[](n);
        uint256 k;
        for (uint256 i = 0; i < n; i++) {
            address a = STAKING.verifierAt(i);
            if (signedRoot[_key(_oracle, _l2BlockNumber, bytes32(uint256(uint160(a))))] != bytes32(0)) {
                present[k++] = a;
            }
        }
        assembly ("memory-safe") {
            mstore(present, k)
        }
        // No reward: whoever signed some root ends its run of misses; every other active one misses.
        STAKING.recordOutput(present, 0);
    }

    /// @dev A root whose signatures fixed the reference time in this block must hold stake at it.
    function _requireStakeIfPinnedNow(Candidate storage c, uint256 _ref) internal view {
        if (_ref != block.timestamp - 1) return;
        (uint256 signed,) = _signedStake(c, _ref);
        if (signed == 0) revert NoStakeAtReference();
    }

    function _isQuorum(uint256 _signed, uint256 _active) internal view returns (bool) {
        return _active > 0 && _signed * 3 >= _active * 2 && _signed >= minQuorumStake;
    }

    function _hasQuorum(Candidate storage c, uint256 _ref) internal view returns (bool) {
        (uint256 signed, uint256 active) = _signedStake(c, _ref);
        return _isQuorum(signed, active);
    }

    /**
     * @dev Makes `_outputRoot` its block's leading root when it has more signed stake (at the reference
     * time, leaving out signers slashed since) than the leader, or the leader was rejected.
     */
    function _lead(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot, Candidate storage c) internal {
        if (c.rejected) return;
        bytes32 bk = _key(_oracle, _l2BlockNumber, bytes32(0));
        uint256 ref = refTime[bk];
        (uint256 signed,) = _signedStake(c, ref);
        bytes32 leader = leading[bk];
        if (leader != _outputRoot && leader != bytes32(0)) {
            // The leader's stake now: its signers slashed since no longer count.
            Candidate storage l = candidates[_key(_oracle, _l2BlockNumber, leader)];
            (uint256 leaderNow,) = _signedStake(l, ref);
            if (!l.rejected && signed <= leaderNow) {
                leadingStake[bk] = leaderNow;
                return;
            }
        }
        leading[bk] = _outputRoot;
        leadingStake[bk] = signed;
    }

    /**
     * @dev The signers' active weight and the active stake, both at `_ref`. A signer slashed after `_ref`
     * (an upheld challenge or an equivocation: proven dishonest since) no longer counts for the root;
     * the active stake it is measured against stays that of `_ref`, so a slash only ever takes a quorum
     * away, never makes one.
     */
    function _signedStake(Candidate storage c, uint256 _ref) internal view returns (uint256 signed, uint256 active) {
        active = STAKING.getPastActiveStake(_ref);
        for (uint256 i = 0; i < c.signers.length; i++) {
            address signer = c.signers[i];
            if (STAKING.lastSlashedAt(signer) > _ref) continue;
            signed += STAKING.getPastWeight(signer, _ref);
        }
    }

    /**
     * @dev Checks that `_l2BlockNumber` is an output block at most MAX_AHEAD_OUTPUTS intervals past the
     * oracle's next and that its output (if any) is not final (for the oracle's own root: reports it,
     * the signatures are ignored). Returns 1 + the root's index when
     * it is in the oracle (a late attestation), else 0.
     */
    function _checkBlock(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot)
        internal
        view
        returns (bool finalAlready, uint256 lateIndex)
    {
        L2OutputOracle oracle = L2OutputOracle(_oracle);
        uint256 interval = oracle.SUBMISSION_INTERVAL();
        uint256 start = oracle.startingBlockNumber();
        if (
            _l2BlockNumber <= start || (_l2BlockNumber - start) % interval != 0
                || _l2BlockNumber > oracle.nextBlockNumber() + MAX_AHEAD_OUTPUTS * interval
        ) revert BlockOutOfRange(_l2BlockNumber);
        if (_l2BlockNumber <= oracle.latestBlockNumber()) {
            uint256 index = oracle.getL2OutputIndexAt(_l2BlockNumber);
            bool isThis = oracle.getL2Output(index).outputRoot == _outputRoot;
            if (oracle.isOutputFinalized(index)) {
                if (isThis) return (true, 0);
                revert OutputFinal(index);
            }
            if (isThis) lateIndex = index + 1;
        }
    }

    /// @dev 1 + the oracle index holding exactly this root at this block, or 0.
    function _indexOf(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot) internal view returns (uint256) {
        L2OutputOracle oracle = L2OutputOracle(_oracle);
        if (_l2BlockNumber > oracle.latestBlockNumber()) return 0;
        uint256 index = oracle.getL2OutputIndexAt(_l2BlockNumber);
        Types.OutputProposal memory output = oracle.getL2Output(index);
        return output.l2BlockNumber == _l2BlockNumber && output.outputRoot == _outputRoot ? index + 1 : 0;
    }

    function _tryPropose(
        address _oracle,
        uint256 _l2BlockNumber,
        bytes32 _outputRoot,
        Candidate storage c,
        bool _long
    ) internal returns (bool) {
        L2OutputOracle oracle = L2OutputOracle(_oracle);
        if (oracle.nextBlockNumber() != _l2BlockNumber) return false;
        if (oracle.computeL2Timestamp(_l2BlockNumber) >= block.timestamp) return false;
        uint256 ref = referenceTime(_oracle, _l2BlockNumber);
        if (ref == 0) return false;
        (uint256 signed, uint256 active) = _signedStake(c, ref);
        bool quorum = _isQuorum(signed, active);
        if (!quorum) {
            if (!_long || signed == 0 || block.timestamp < c.firstSeen + longWindow) return false;
        }
        uint256 index = oracle.nextOutputIndex();
        oracle.proposeL2Output(_outputRoot, _l2BlockNumber, bytes32(0), 0);
        // A challenge of a pending root does not stall the oracle: the root enters, frozen.
        if (c.openChallenge != 0) oracle.setFrozen(index, true);
        emit OutputAccepted(_oracle, index, _l2BlockNumber, _outputRoot, quorum, signed, active);
        // Once per root: one that enters again (after a deletion) earns and costs nothing more. A root
        // without a quorum counts no misses: whoever did not sign it may have been right not to.
        if (!c.accepted && quorum) {
            c.accepted = true;
            STAKING.recordOutput(c.signers, rewardPerOutput);
        } else if (!quorum) {
            _countAbsent(_oracle, _l2BlockNumber);
        }
        return true;
    }

    // ---------------------------------------------------------------- GovernedChallenge hooks

    /**
     * @dev Closes the root's challenge. Upheld: the root is wrong for good; in the oracle it is deleted
     * when it is the latest output, else invalidated alone (later outputs are their own statements and
     * stay). Expired while no quorum (of the stake at the reference time, with the floor, leaving out
     * signers slashed since) signed the root: the default goes against a root no quorum vouches for:
     * it is taken out of the oracle the same way, not for good: it may come back by the long path
     * after another `longWindow` and be challenged again (each round costs its challenger a bond).
     * Dismissed, or expired with a quorum: the root stands: unfrozen in the oracle, and a root not in
     * it restarts its long window. A root that is not in the oracle after this may be challenged
     * again once it is (a challenge spent on a pending root, by its own signers say, protects
     * nothing). No loop but over the root's signers.
     */
    function _settle(uint256 _id, Outcome _outcome) internal override {
        Charge storage ch = charges[_id];
        Candidate storage c = candidates[_key(ch.oracle, ch.l2BlockNumber, ch.outputRoot)];
        c.openChallenge = 0;
        L2OutputOracle oracle = L2OutputOracle(ch.oracle);
        uint256 index = _indexOf(ch.oracle, ch.l2BlockNumber, ch.outputRoot);
        bool against = _outcome == Outcome.Upheld
            || (_outcome == Outcome.Expired && !_hasQuorum(c, referenceTime(ch.oracle, ch.l2BlockNumber)));
        if (_outcome == Outcome.Upheld) c.rejected = true;
        if (index != 0 && against) {
            // Still frozen here, so not final: deletable.
            if (index == oracle.nextOutputIndex()) {
                oracle.deleteL2Outputs(index - 1);
            } else {
                oracle.invalidateOutput(index - 1);
                oracle.setFrozen(index - 1, false);
            }
            index = 0;
        } else if (index != 0) {
            oracle.setFrozen(index - 1, false);
        }
        if (index == 0) {
            c.challenged = false;
            c.firstSeen = uint64(block.timestamp);
        }
    }

    /// @dev Slashes each signer of the root; the challenger gets the reporter's share.
    function _punish(uint256 _id) internal override {
        Charge storage ch = charges[_id];
        Candidate storage c = candidates[_key(ch.oracle, ch.l2BlockNumber, ch.outputRoot)];
        address challenger = ballots[_id].challenger;
        for (uint256 i = 0; i < c.signers.length; i++) {
            STAKING.slash(c.signers[i], challenger);
        }
    }

    function _bondTransferFailed() internal pure override returns (string memory) {
        return "OutputQuorum: bond transfer failed";
    }
}
