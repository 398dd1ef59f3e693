// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { IVotes } from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { Types } from "@eth-optimism/contracts-bedrock/src/libraries/Types.sol";
import { ChallengeVote } from "../dac/ChallengeVote.sol";
import { L2OutputOracle } from "../L2OutputOracle.sol";
import { VerifierStaking } from "./VerifierStaking.sol";

/**
 * @title OutputQuorum
 * @notice The only proposer and challenger of every shard's L2OutputOracle (SystemConfig names it):
 * an output root enters an oracle only through here.
 * - Fast path: signatures (EIP-712 `Output(chainId, oracle, l2BlockNumber, outputRoot)`) of active
 *   verifiers holding ≥ 2/3 of the active stake put the root into the oracle at once (`attest`, by
 *   anyone: a verifier posting its own signature, or a relayer posting several). The oracle's short
 *   FINALIZATION_PERIOD_SECONDS remains for any one staked verifier to challenge it.
 * - Long path: a root with at least one active verifier's signature but no quorum may be put into the
 *   oracle by anyone (`expose`) once `longWindow` seconds have passed since its first signature, with
 *   no open challenge: liveness when less than 2/3 of the stake is online.
 * - Challenges (the vote is ChallengeVote's): an active verifier challenges a root (pending, or in an
 *   oracle and not final) with an ETH bond; the root can no longer enter the oracle, and the oracle
 *   freezes it and every later output (not final while the challenge is open). Token holders vote with
 *   their votes at the challenge's start, the accused signers excluded, for `resolutionPeriod`; then
 *   anyone resolves:
 *   upheld (for > against, with the vote quorum): the root is deleted from the oracle with every later
 *   output, each signer is slashed (the challenger gets the reporter's share) and the bond is
 *   returned; rejected (against ≥ for, with the quorum): the output stands and the bond goes to the
 *   treasury (the owner, the Timelock); no quorum: safety first, the output is deleted (and every
 *   later one), nobody is slashed, the bond is returned, and the root stays a candidate that may
 *   enter again (it may be the block's only right root: rejecting it for good would stop the shard).
 * - Equivocation: one verifier's signatures on two roots for the same block of the same oracle are
 *   slashed at once, by anyone who shows both (`slashEquivocation`).
 * - Incentives: when a root first enters an oracle every active verifier that signed it is credited its
 *   stake's share of `rewardPerOutput` and every other active one has missed an output
 *   (VerifierStaking jails at `maxMissed` in a row); a signature arriving later, before the output is
 *   final, is credited too.
 * Owner: the DAC's Timelock (parameters, new shards). Invariants: an output enters an oracle only
 * with a quorum of active stake or after the long window; a root with an open or upheld challenge
 * never enters; a verifier's signatures for one (oracle, block) name one root, or it is slashable.
 */
contract OutputQuorum is EIP712, ChallengeVote {
    /// @notice EIP-712 type of a verifier's signature on an output root.
    bytes32 public constant OUTPUT_TYPEHASH =
        keccak256("Output(uint256 chainId,address oracle,uint256 l2BlockNumber,bytes32 outputRoot)");

    /// @notice The verifier set.
    VerifierStaking public immutable STAKING;

    /// @notice Seconds a root without a quorum waits after its first signature before `expose`.
    uint256 public longWindow;
    /// @notice Reward tokens one accepted output pays its signers (split by stake over the active stake).
    uint256 public rewardPerOutput;

    /// @notice The L2 chain id of each shard's oracle; 0 for an address that is no shard's oracle.
    mapping(address => uint256) public chainIdOf;
    /// @notice The shards' oracles, in order of registration.
    address[] public oracles;

    struct Candidate {
        uint64 firstSeen; // when its first signature arrived: the long window's start
        bool rejected; // lost a challenge (upheld): never enters an oracle
        bool accepted; // entered an oracle once: its signers were credited and the others' misses counted
        uint256 openChallenge; // id + 1 of its open challenge, 0 when none
        address[] signers;
        mapping(address => bool) signed;
    }

    /// @dev What a challenge accuses (its ballot is ChallengeVote's, under the same id).
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
        uint64 snapshot;
        uint256 forVotes;
        uint256 againstVotes;
        Outcome outcome;
    }

    mapping(bytes32 => Candidate) internal candidates;
    /// @dev keccak(oracle, block, signer) → the root it signed there first.
    mapping(bytes32 => bytes32) internal signedRoot;
    /// @dev keccak(oracle, block, signer) → slashed for equivocating there.
    mapping(bytes32 => bool) internal equivocationSlashed;
    /// @dev By challenge id.
    Charge[] internal charges;
    /// @dev Open challenge ids by oracle (what freezes it).
    mapping(address => uint256[]) internal openChallenges;

    error UnknownOracle(address oracle);
    error ZeroRoot();
    error NotActiveVerifier(address account);
    error AlreadySignedAnotherRoot(address verifier, bytes32 signedRoot);
    error RootRejected();
    error RootChallenged(uint256 challengeId);
    error NotExposable();
    error UnknownRoot();
    error OutputFinal(uint256 l2OutputIndex);
    error AccusedCannotVote(address signer);
    error NotEquivocation();
    error AlreadySlashed(address verifier);

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
        uint256 longWindow, uint256 challengeBond, uint256 resolutionPeriod, uint256 voteQuorumBps, uint256 rewardPerOutput
    );

    /**
     * @param _staking  The verifier set.
     * @param _token    The DAC token (IVotes, timestamp clock).
     * @param _owner    The DAC's Timelock.
     * @param _oracles  Every shard's L2OutputOracle (deploy-l1 predicts them from its nonces).
     * @param _chainIds Their L2 chain ids.
     * @param _params   longWindow, challengeBond, resolutionPeriod, voteQuorumBps, rewardPerOutput.
     */
    constructor(
        VerifierStaking _staking,
        IVotes _token,
        address _owner,
        address[] memory _oracles,
        uint256[] memory _chainIds,
        uint256[5] memory _params
    ) EIP712("edge-l2 OutputQuorum", "1") Ownable(_owner) ChallengeVote(_token) {
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

    /// @notice Sets longWindow, challengeBond, resolutionPeriod, voteQuorumBps, rewardPerOutput. Owner only.
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
     * `_oracle`'s shard and puts the root into the oracle once they hold ≥ 2/3 of the active stake and
     * the block is the oracle's next. Signatures already recorded are skipped, so re-sending them
     * retries the proposal. Returns whether this call put the root into the oracle.
     */
    function attest(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot, bytes[] calldata _signatures)
        external
        returns (bool proposed)
    {
        if (_outputRoot == bytes32(0)) revert ZeroRoot();
        bytes32 digest = outputDigest(_oracle, _l2BlockNumber, _outputRoot);
        Candidate storage c = candidates[_key(_oracle, _l2BlockNumber, _outputRoot)];
        if (c.rejected) revert RootRejected();
        uint256 lateIndex = _indexOf(_oracle, _l2BlockNumber, _outputRoot);
        for (uint256 i = 0; i < _signatures.length; i++) {
            address signer = ECDSA.recover(digest, _signatures[i]);
            if (!STAKING.isActive(signer)) revert NotActiveVerifier(signer);
            bytes32 sk = _key(_oracle, _l2BlockNumber, bytes32(uint256(uint160(signer))));
            bytes32 prev = signedRoot[sk];
            if (prev != bytes32(0) && prev != _outputRoot) revert AlreadySignedAnotherRoot(signer, prev);
            if (c.signed[signer]) continue;
            signedRoot[sk] = _outputRoot;
            c.signed[signer] = true;
            c.signers.push(signer);
            if (c.firstSeen == 0) c.firstSeen = uint64(block.timestamp);
            emit Attested(_oracle, _l2BlockNumber, _outputRoot, signer, STAKING.bondedOf(signer));
            if (lateIndex != 0 && !L2OutputOracle(_oracle).isOutputFinalized(lateIndex - 1)) {
                STAKING.recordLateAttestation(signer, rewardPerOutput);
            }
        }
        if (lateIndex == 0) proposed = _tryPropose(_oracle, _l2BlockNumber, _outputRoot, c, false);
    }

    /**
     * @notice Puts a root without a quorum into the oracle once `longWindow` has passed since its first
     * signature (an active verifier's), if it has no open challenge and its block is the oracle's next.
     */
    function expose(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot) external {
        if (chainIdOf[_oracle] == 0) revert UnknownOracle(_oracle);
        Candidate storage c = candidates[_key(_oracle, _l2BlockNumber, _outputRoot)];
        if (c.rejected) revert RootRejected();
        if (!_tryPropose(_oracle, _l2BlockNumber, _outputRoot, c, true)) revert NotExposable();
    }

    /**
     * @notice A root's record: its first signature's time, when `expose` may put it in (0: never
     * signed), its signers and their summed active stake, the active stake, whether it lost a challenge
     * and its open challenge (id + 1, 0 when none).
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
        (signedStake, activeStake) = _signedStake(c);
        rejected = c.rejected;
        openChallenge = c.openChallenge;
    }

    /// @notice The root `_verifier` signed for `_l2BlockNumber` of `_oracle` (zero when none).
    function signedRootOf(address _oracle, uint256 _l2BlockNumber, address _verifier) external view returns (bytes32) {
        return signedRoot[_key(_oracle, _l2BlockNumber, bytes32(uint256(uint160(_verifier))))];
    }

    // ---------------------------------------------------------------- challenges

    /**
     * @notice Challenges `_outputRoot` for `_l2BlockNumber` of `_oracle`: a root some verifier signed,
     * not final in the oracle. The caller must be an active verifier and send exactly `challengeBond`.
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
        if (c.openChallenge != 0) revert RootChallenged(c.openChallenge - 1);
        uint256 index = _indexOf(_oracle, _l2BlockNumber, _outputRoot);
        if (index != 0 && L2OutputOracle(_oracle).isOutputFinalized(index - 1)) revert OutputFinal(index - 1);
        id = _openChallenge(msg.sender, msg.value);
        charges.push(Charge({ oracle: _oracle, l2BlockNumber: _l2BlockNumber, outputRoot: _outputRoot }));
        c.openChallenge = id + 1;
        openChallenges[_oracle].push(id);
        _refreeze(_oracle);
        emit Challenged(id, _oracle, _l2BlockNumber, _outputRoot, msg.sender);
    }

    /// @notice Challenge `_id`.
    function getChallenge(uint256 _id) external view returns (Challenge memory) {
        Ballot storage b = _ballot(_id);
        Charge storage ch = charges[_id];
        return Challenge(
            ch.oracle, ch.l2BlockNumber, ch.outputRoot,
            b.challenger, b.bond, b.createdAt, b.snapshot, b.forVotes, b.againstVotes, b.outcome
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
        require(p[3] <= 10_000, "OutputQuorum: vote quorum above 100%");
        (longWindow, challengeBond, resolutionPeriod, voteQuorumBps, rewardPerOutput) = (p[0], p[1], p[2], p[3], p[4]);
        emit ParametersUpdated(p[0], p[1], p[2], p[3], p[4]);
    }

    function _key(address _oracle, uint256 _l2BlockNumber, bytes32 _x) internal pure returns (bytes32) {
        return keccak256(abi.encode(_oracle, _l2BlockNumber, _x));
    }

    /// @dev The signers' active stake, and the active stake.
    function _signedStake(Candidate storage c) internal view returns (uint256 signed, uint256 active) {
        active = STAKING.activeStake();
        for (uint256 i = 0; i < c.signers.length; i++) {
            if (STAKING.isActive(c.signers[i])) signed += STAKING.bondedOf(c.signers[i]);
        }
    }

    /// @dev 1 + the oracle index holding exactly this root at this block, or 0.
    function _indexOf(address _oracle, uint256 _l2BlockNumber, bytes32 _outputRoot) internal view returns (uint256) {
        L2OutputOracle oracle = L2OutputOracle(_oracle);
        if (_l2BlockNumber > oracle.latestBlockNumber()) return 0;
        uint256 index = oracle.getL2OutputIndexAfter(_l2BlockNumber);
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
        if (c.openChallenge != 0) return false;
        L2OutputOracle oracle = L2OutputOracle(_oracle);
        if (oracle.nextBlockNumber() != _l2BlockNumber) return false;
        if (oracle.computeL2Timestamp(_l2BlockNumber) >= block.timestamp) return false;
        (uint256 signed, uint256 active) = _signedStake(c);
        bool quorum = active > 0 && signed * 3 >= active * 2;
        if (!quorum) {
            if (!_long || signed == 0 || block.timestamp < c.firstSeen + longWindow) return false;
        }
        uint256 index = oracle.nextOutputIndex();
        oracle.proposeL2Output(_outputRoot, _l2BlockNumber, bytes32(0), 0);
        emit OutputAccepted(_oracle, index, _l2BlockNumber, _outputRoot, quorum, signed, active);
        // Once per root: one that enters again (after a deletion) earns and costs nothing more.
        if (!c.accepted) {
            c.accepted = true;
            STAKING.recordOutput(c.signers, rewardPerOutput);
        }
        return true;
    }

    function _close(address _oracle, uint256 _id) internal {
        uint256[] storage open = openChallenges[_oracle];
        for (uint256 i = 0; i < open.length; i++) {
            if (open[i] == _id) {
                open[i] = open[open.length - 1];
                open.pop();
                return;
            }
        }
    }

    /// @dev Freezes the oracle from the lowest index an open challenge names (unfreezes when none).
    function _refreeze(address _oracle) internal {
        uint256 lowest = type(uint256).max;
        uint256[] storage open = openChallenges[_oracle];
        for (uint256 i = 0; i < open.length; i++) {
            Charge storage ch = charges[open[i]];
            uint256 index = _indexOf(_oracle, ch.l2BlockNumber, ch.outputRoot);
            if (index != 0 && index - 1 < lowest) lowest = index - 1;
        }
        L2OutputOracle oracle = L2OutputOracle(_oracle);
        if (oracle.frozenFrom() != lowest) oracle.freezeFrom(lowest);
    }

    // ---------------------------------------------------------------- ChallengeVote hooks

    /// @dev The accused root's signers may not vote.
    function _checkVoter(uint256 _id, address _voter) internal view override {
        Charge storage ch = charges[_id];
        if (candidates[_key(ch.oracle, ch.l2BlockNumber, ch.outputRoot)].signed[_voter]) {
            revert AccusedCannotVote(_voter);
        }
    }

    /**
     * @dev Closes the root's challenge. Upheld: the root is wrong for good. No quorum: out of the oracle
     * for safety, but not rejected, since it may be the block's only right root (it may enter again, and
     * be challenged again). Both delete it from the oracle with every later output. Then the oracle is
     * refrozen from its other open challenges.
     */
    function _settle(uint256 _id, Outcome _outcome) internal override {
        Charge storage ch = charges[_id];
        Candidate storage c = candidates[_key(ch.oracle, ch.l2BlockNumber, ch.outputRoot)];
        c.openChallenge = 0;
        if (_outcome == Outcome.Upheld) c.rejected = true;
        if (_outcome != Outcome.Rejected) {
            uint256 index = _indexOf(ch.oracle, ch.l2BlockNumber, ch.outputRoot);
            // Still frozen here (this challenge is open until _refreeze below): deletable.
            if (index != 0) L2OutputOracle(ch.oracle).deleteL2Outputs(index - 1);
        }
        _close(ch.oracle, _id);
        _refreeze(ch.oracle);
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
