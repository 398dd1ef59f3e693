// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import { MessageHashUtils } from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import { GovernedChallenge } from "../dac/GovernedChallenge.sol";
import { L2OutputOracle } from "../L2OutputOracle.sol";
import { VerifierStaking } from "../verifiers/VerifierStaking.sol";
import { SequencerEquivocation } from "./SequencerEquivocation.sol";
import { SequencerRewards } from "./SequencerRewards.sol";

/**
 * @title SequencerPool
 * @notice Who sequences each shard, epoch by epoch, and the only entry point of batches in pool mode.
 * - Candidates: the active verifiers of VerifierStaking, with no registration of their own; each
 *   publishes its node's RPC URL here (`setUrl`).
 * - Epochs: `epochLength` L1 blocks from this contract's deployment; a new length applies from the
 *   next epoch on (a list of segments), so `epochAt` stays right for past blocks.
 * - Seeding: epoch e's seed is keccak256(blockhash(seedBlockOf(e)), e), the hash of an L1 block fixed
 *   by the epoch schedule as soon as epoch e - 1 starts (half of e - 1 before e starts, at most 255
 *   blocks: devnet 10, mainnet 150). During epoch e - 1, after that block, anyone's first
 *   `seedEpoch(e)` records it, and a snapshot of the active set (address, bonded stake) as the
 *   candidates from epoch e + 1 on; later calls revert. The value does not depend on who calls or
 *   when, so a seeder that calls through a contract reverting unless it is drawn gains nothing: it is
 *   drawn in every block of the window or in none. Its only choice is not to call, and then any other
 *   verifier's call (nodes seed every epoch) fixes the same value. Epoch e's candidates were fixed an
 *   epoch before its seed block: nobody can move stake once they see the seed to steer the draw. An
 *   epoch nobody seeded takes keccak256(latest earlier seed, e) and the latest snapshot (stated
 *   fallback: the schedule never depends on a call that did not happen, and every node computes it
 *   from L1 state alone). While an epoch has no candidates at all (before the first verifier staked),
 *   it may be seeded during itself: its seed is the previous block's hash and its candidates the
 *   active set then (the one draw a caller can time, only at the pool's bootstrap).
 * - The draw: per shard, a stake-weighted order of the snapshot without replacement (rank r draws
 *   keccak256(seed, chainId, r) modulo the remaining stake); the epoch starts with the first candidate
 *   still active. `orderOf`, `turnOf` and `schedule` return it.
 * - Batches: in pool mode a batch counts only through `submitBatch(chainId, lastL2Block, lastL1Origin,
 *   data)`, from the current holder of the shard's turn, itself an active verifier and the
 *   transaction's sender (an EOA: `data` is the transaction's input, where nodes read it; its
 *   keccak256 is in the event). L1 thus knows every shard's last batch; the BatchInbox (one EOA
 *   batcher) is not used in pool mode.
 * - Forced inclusion: a batch declares the L1 origin of its last L2 block, which must be one of the
 *   last `sequencingWindow` L1 blocks before this one (`StaleOrigin`, `FutureOrigin`); derivation
 *   ignores a batch whose last block has another origin. A block whose origin moves past L1 blocks
 *   brings every deposit they made. Derivation enforces the window too (docs/batches.md, "forced
 *   inclusion"): when no batch has put L1 block o (the one after the safe head's origin) on L2 by
 *   L1 block o + sequencingWindow (the window as it was at o), every node derives a deposit-only
 *   block with origin o + sequencingWindow itself, and a later batch that does not continue it is
 *   skipped. So a deposit is on L2 within sequencingWindow L1 blocks whoever holds the turn, or
 *   nobody; a holder that leaves deposits out can post nothing derivable, is silent, and `skip`
 *   replaces it after maxSilence. The declared origin, like the declared last block, is checked by
 *   derivation only: a false one makes nodes ignore the batch, yet the batch restarts the holder's
 *   silence clock, so a holder that keeps declaring fresh origins for batches nodes ignore keeps its
 *   turn without carrying a block (deposits still arrive, forced). L1 cannot tell (it does not
 *   derive), the verifiers can: `skipStalled` replaces a holder whose batches derived nothing for
 *   maxSilence L1 blocks of its turn on the EIP-712 word (`Stalled`) of verifiers holding ≥ 2/3 of
 *   the active stake but the holder's, the trust of an output root; a challenge also ejects (and slashes) it.
 * - Failover: a holder that posted nothing for `maxSilence` L1 blocks (counted from the later of its
 *   turn's start and its last batch), or that is no longer an active verifier, is replaced by anyone's
 *   `skip(chainId)` (and one whose batches derive nothing by `skipStalled`, above) with the next eligible candidate of the order (cyclically; not ejected, active) for
 *   the rest of the epoch. Each new epoch starts again from the order's first candidate.
 * - Challenges (GovernedChallenge): an active verifier challenges the current holder of a shard with
 *   an ETH bond and a reason (a deposit left out, an invalid batch). No token vote settles it: only
 *   the owner, the Timelock, hence only an executed Governor proposal, upholds it (`uphold`, before
 *   the deadline, `disputePeriod` after the challenge) or dismisses it. Upheld: the accused is ejected
 *   from the shard for the epoch current then (the next candidate takes over at once), loses what it
 *   earned in the challenged epoch and is slashed (see Slashing), and the bond is returned.
 *   Dismissed, or expired (anyone's `resolve` at the deadline): nothing happens to the accused and
 *   the bond goes to the owner, the treasury: a challenge that is not upheld costs its challenger.
 * - Equivocation (SequencerEquivocation: the proof): two different L2 headers with one parent (hence
 *   at one height) signed by one key on the live feed eject it from the shard for the current epoch at
 *   once, with that epoch's credit (`proveEquivocation`, anyone).
 * - Slashing: a proven equivocation and an upheld challenge also slash the signer or the accused
 *   through VerifierStaking (`slash`, of which this contract is the POOL, the other slasher beside
 *   the OutputQuorum): slashBps of its stake, reporterBps of that to the prover or the challenger, and
 *   jailed, hence inactive and skippable at once on every shard. A key with nothing left to slash
 *   (never staked, or emptied by an earlier slash) is slashed for 0 (a no-op that does not revert):
 *   the ejection stands. Each proven (shard, height, signer) and each upheld challenge slashes once.
 * - Rewards (SequencerRewards: credit, forfeiture, payout): a batch declares its last L2 block
 *   (derivation ignores a batch whose blocks end elsewhere); the holder is credited `rewardPerBlock`
 *   for each block past the shard's highest credited one, at most one block per L2 block time of its
 *   own turn not yet credited (from the handover, or for an epoch's first turn from the shard's
 *   previous batch or handover, whichever is later). So a false declaration earns at most what the
 *   holder's turn time would have earned honestly (no backlog from before the turn), and its own later
 *   real batches earn nothing until the chain passes it. The next holder loses at most the false
 *   declaration's overshoot, itself at most the liar's uncredited turn time, and nothing when the liar
 *   is replaced by `skipStalled`, which lowers the highest credited block to the signed safe head.
 *   An upheld challenge or a proven equivocation forfeits a credit as above; once its epoch is over
 *   and no challenge opened in it against the sequencer is open, anyone's `payout` moves it to
 *   VerifierStaking, where the sequencer claims it from the mining vault's releases.
 * Owner: the DAC's Timelock (parameters, shards). Invariants: a batch is accepted only from the holder
 * of its shard's turn, an active verifier, in the current epoch; an epoch's seed and candidates are
 * fixed before it starts (or derived from earlier ones) and never change, its candidates before its
 * seed is known; a holder is replaced only after `maxSilence` blocks of silence, inactivity, an upheld
 * challenge or a proven equivocation; an ejected candidate never holds the turn again in that epoch;
 * an accepted batch's declared L1 origin is one of the `sequencingWindow` L1 blocks before its own;
 * credited blocks never exceed elapsed time over the L2 block time, per shard, nor a turn's its own
 * time (and SequencerRewards'
 * invariants on credit and payout).
 */
contract SequencerPool is GovernedChallenge, SequencerRewards, SequencerEquivocation {
    using SafeCast for uint256;

    /// @notice Longest URL (and challenge reason), in bytes.
    uint256 internal constant MAX_TEXT_BYTES = 256;
    /// @notice Most L1 blocks between an epoch's seed block and its start (blockhash reaches 256 back).
    uint256 internal constant MAX_SEED_LEAD = 255;
    /// @dev EIP-712 type of a stall attestation (see `skipStalled`; domain "edge-l2 SequencerPool", "1").
    bytes32 internal constant STALLED_TYPEHASH = keccak256(
        "Stalled(uint256 chainId,uint256 epoch,address holder,uint256 safeL2Block,uint256 l1Block)"
    );

    /// @notice L1 blocks per epoch (the latest value set; it applies from the epoch after the change).
    uint256 public epochLength;
    /// @notice L1 blocks without a batch after which the holder of a turn may be skipped.
    uint256 public maxSilence;
    /// @notice L1 blocks a batch's declared last L1 origin may lag behind the batch (> maxSilence).
    uint256 public sequencingWindow;

    enum Change {
        Silent,
        Inactive,
        Challenged,
        Equivocated,
        Stalled
    }

    struct Segment {
        uint64 fromBlock;
        uint64 fromEpoch;
        uint64 length;
    }

    /// @dev `seed` is epoch `epoch`'s; `snapshot` holds the candidates from epoch `snapshotFrom` on.
    struct SeedRecord {
        uint64 epoch;
        uint64 snapshotFrom;
        uint64 snapshot;
        bytes32 seed;
    }

    struct Candidate {
        address account;
        uint96 weight;
    }

    /// @dev `creditFrom`: the L1 time the current holder's allowance accrues from (its turn's handover,
    /// moved on by each block credited); `lastBatchAt`: the L1 time of the shard's latest batch.
    struct Shard {
        address oracle;
        uint64 l2BlockTime;
        uint64 registeredAt;
        uint64 highestL2Block;
        uint64 creditedBlocks;
        uint64 creditFrom;
        uint64 lastBatchAt;
    }

    /// @dev One shard's epoch: the holder, its index in the order, the L1 block its silence counts from
    /// (0: nobody acted yet; the turn is then the order's first eligible candidate from the epoch's start),
    /// and the L1 block its turn started (the epoch's start or the handover).
    struct Turn {
        address sequencer;
        uint32 position;
        uint64 since;
        uint64 start;
    }

    /// @dev What a challenge accuses (its bond and clock are GovernedChallenge's, under the same id).
    struct Charge {
        uint64 chainId;
        uint64 epoch;
        address accused;
    }

    /// @dev A challenge as `getChallenge` returns it.
    struct Challenge {
        uint64 chainId;
        uint64 epoch;
        address accused;
        address challenger;
        uint256 bond;
        uint64 createdAt;
        uint64 deadline;
        Outcome outcome;
    }

    Segment[] internal segments;
    SeedRecord[] internal seeds;
    Candidate[][] internal snapshots;
    bytes32[] internal snapshotHashes;
    /// @notice Each registered shard by L2 chain id.
    mapping(uint256 => Shard) public shards;
    /// @notice The registered L2 chain ids, in order.
    uint256[] public chainIds;
    mapping(uint256 => mapping(uint256 => Turn)) internal turns;
    /// @dev keccak(chainId, epoch, account) → ejected for that epoch.
    mapping(bytes32 => bool) internal ejected;
    mapping(address => string) internal urls;
    /// @dev By challenge id.
    Charge[] internal charges;
    /// @notice Open challenge id + 1 against `account` on shard `chainId` (0: none).
    mapping(uint256 => mapping(address => uint256)) public openChallengeOf;

    error InvalidParameters();
    error UnknownShard(uint256 chainId);
    error TooLong(uint256 length, uint256 max);
    error NotVerifier(address account);
    error NotActiveVerifier(address account);
    error NotSeedable(uint256 epoch, uint256 currentEpoch);
    error AlreadySeeded(uint256 epoch);
    error NotEOA();
    error EmptyBatch();
    error NoSequencer(uint256 chainId, uint256 epoch);
    error NotScheduled(address caller, address sequencer);
    error NotSilent(uint256 skippableAt);
    error SelfChallenge();
    error AlreadyChallenged(uint256 id);
    error StaleOrigin(uint256 lastL1Origin, uint256 oldestAllowed);
    error FutureOrigin(uint256 lastL1Origin);
    error StallOutOfTurn(uint256 l1Block, uint256 earliest);
    error NoStallQuorum(uint256 signedStake, uint256 activeStake);

    event ShardAdded(uint256 indexed chainId, address oracle);
    event ParametersUpdated(
        uint256 epochLength,
        uint256 maxSilence,
        uint256 challengeBond,
        uint256 disputePeriod,
        uint256 rewardPerBlock,
        uint256 sequencingWindow
    );
    event EpochLengthScheduled(uint256 indexed fromEpoch, uint256 fromBlock, uint256 length);
    event UrlSet(address indexed verifier, string url);
    event EpochSeeded(
        uint256 indexed epoch, bytes32 seed, uint256 snapshot, uint256 snapshotFrom, uint256 candidates, address by
    );
    event BatchSubmitted(
        uint256 indexed chainId,
        bytes32 indexed batchHash,
        address indexed sequencer,
        uint256 epoch,
        uint256 lastL2Block,
        uint256 lastL1Origin
    );
    event SequencerChanged(
        uint256 indexed chainId, uint256 indexed epoch, address indexed previous, address next, Change reason
    );
    event Challenged(
        uint256 indexed id, uint256 indexed chainId, address indexed accused, uint256 epoch, address challenger, string reason
    );

    /**
     * @param _staking  The verifier set.
     * @param _owner    The DAC's Timelock.
     * @param _chainIds The shards' L2 chain ids.
     * @param _oracles  Their L2OutputOracles (for the L2 block time).
     * @param _params   epochLength, maxSilence, challengeBond, disputePeriod, rewardPerBlock, sequencingWindow.
     */
    constructor(
        VerifierStaking _staking,
        address _owner,
        uint256[] memory _chainIds,
        address[] memory _oracles,
        uint256[6] memory _params
    ) Ownable(_owner) SequencerRewards(_staking) {
        if (_chainIds.length != _oracles.length) revert InvalidParameters();
        for (uint256 i = 0; i < _chainIds.length; i++) {
            _addShard(_chainIds[i], _oracles[i]);
        }
        snapshots.push();
        snapshotHashes.push(keccak256(abi.encode(new Candidate[](0))));
        _setParameters(_params);
    }

    // ---------------------------------------------------------------- owner

    /// @notice Registers another shard. Owner (the Timelock) only.
    function addShard(uint256 _chainId, address _oracle) external onlyOwner {
        _addShard(_chainId, _oracle);
    }

    /**
     * @notice Sets epochLength (from the next epoch on), maxSilence, challengeBond, disputePeriod,
     * rewardPerBlock, sequencingWindow. Owner only.
     */
    function setParameters(uint256[6] calldata _params) external onlyOwner {
        _setParameters(_params);
    }

    // ---------------------------------------------------------------- candidates

    /// @notice Publishes the caller's node URL (a staked verifier's; empty clears it).
    function setUrl(string calldata _url) external {
        if (bytes(_url).length > MAX_TEXT_BYTES) revert TooLong(bytes(_url).length, MAX_TEXT_BYTES);
        if (STAKING.bondedOf(msg.sender) == 0) revert NotVerifier(msg.sender);
        urls[msg.sender] = _url;
        emit UrlSet(msg.sender, _url);
    }

    /**
     * @notice Records epoch `_epoch`'s seed, keccak256(blockhash(seedBlockOf(_epoch)), _epoch), and fixes
     * the candidates of the epochs after it (the active set now): during epoch `_epoch` - 1, after its
     * seed block (`NotSeedable` before), first call only. The value is that block's hash whoever
     * calls and whenever: a caller can only choose between it and the fallback (no call before the
     * epoch starts), and any other verifier's call removes that choice. While `_epoch` has no
     * candidates, also during `_epoch` itself (the bootstrap: the seed is the previous block's hash and
     * the candidates the active set now).
     */
    function seedEpoch(uint256 _epoch) external {
        uint256 current = currentEpoch();
        (,, uint256 snap) = seedOf(_epoch);
        bool bootstrap = _epoch == current && snapshots[snap].length == 0;
        if (_epoch != current + 1 && !bootstrap) revert NotSeedable(_epoch, current);
        if (seeds.length > 0 && seeds[seeds.length - 1].epoch >= _epoch) revert AlreadySeeded(_epoch);
        uint256 seedBlock = bootstrap ? block.number - 1 : seedBlockOf(_epoch);
        if (block.number <= seedBlock) revert NotSeedable(_epoch, current);
        snap = _snapshot();
        uint256 from = bootstrap ? _epoch : _epoch + 1;
        bytes32 seed = keccak256(abi.encode(blockhash(seedBlock), _epoch));
        seeds.push(
            SeedRecord({ epoch: _epoch.toUint64(), snapshotFrom: from.toUint64(), snapshot: uint64(snap), seed: seed })
        );
        emit EpochSeeded(_epoch, seed, snap, from, snapshots[snap].length, msg.sender);
    }

    // ---------------------------------------------------------------- batches and failover

    /**
     * @notice Posts a batch (docs/batches.md) of shard `_chainId` whose last L2 block is `_lastL2Block`,
     * with L1 origin `_lastL1Origin`: only by the holder of the shard's turn in the current epoch, an
     * active verifier, sending the transaction itself, and only while that origin is one of the last
     * `sequencingWindow` L1 blocks (forced inclusion). Restarts its silence clock and credits its reward.
     * @dev Both declarations are checked by derivation, not here: nodes ignore a batch whose last block
     * or its origin differs (see the contract's "Forced inclusion").
     */
    function submitBatch(uint256 _chainId, uint256 _lastL2Block, uint256 _lastL1Origin, bytes calldata _data)
        external
    {
        Shard storage s = _shard(_chainId);
        // The batch must be the transaction's input: that is where nodes read it.
        if (msg.sender != tx.origin) revert NotEOA();
        if (_data.length == 0) revert EmptyBatch();
        uint256 epoch = currentEpoch();
        Turn memory t = _turn(_chainId, epoch);
        if (msg.sender != t.sequencer) revert NotScheduled(msg.sender, t.sequencer);
        if (!STAKING.isActive(msg.sender)) revert NotActiveVerifier(msg.sender);
        if (_lastL1Origin >= block.number) revert FutureOrigin(_lastL1Origin);
        if (_lastL1Origin + sequencingWindow < block.number) {
            revert StaleOrigin(_lastL1Origin, block.number - sequencingWindow);
        }
        // No batch yet in this turn (an epoch's first turn has no handover transaction).
        bool first = t.since == t.start;
        t.since = uint64(block.number);
        turns[_chainId][epoch] = t;
        emit BatchSubmitted(_chainId, keccak256(_data), msg.sender, epoch, _lastL2Block, _lastL1Origin);
        _credit(_chainId, epoch, msg.sender, _creditable(s, _lastL2Block, first));
    }

    /// @notice Replaces the holder of shard `_chainId`'s turn once it is silent or no longer active (anyone).
    function skip(uint256 _chainId) external {
        _shard(_chainId);
        uint256 epoch = currentEpoch();
        Turn memory t = _turn(_chainId, epoch);
        if (t.sequencer == address(0)) revert NoSequencer(_chainId, epoch);
        Change why = Change.Silent;
        if (!STAKING.isActive(t.sequencer)) why = Change.Inactive;
        else if (block.number < t.since + maxSilence) revert NotSilent(t.since + maxSilence);
        _advance(_chainId, epoch, t, why);
    }

    /**
     * @notice Replaces `_holder`, the holder of shard `_chainId`'s turn, on the word of verifiers holding
     * ≥ 2/3 of the active stake but the holder's (`_signatures`, EIP-712 `Stalled`, by strictly
     * increasing signer address, each an active verifier, else `NotActiveVerifier`)
     * that its batches derive nothing: deriving L1 up to block `_l1Block`, the shard's safe L2 head is
     * `_safeL2Block`, and it was already there deriving L1 up to `_l1Block` - maxSilence (only forced
     * deposit-only blocks, if any, came in between). Anyone may send it. `_l1Block` must be a past
     * block at least maxSilence after the holder's turn started (`StallOutOfTurn`), so a holder is
     * given maxSilence L1 blocks of its turn, exactly as `skip` gives a silent one, and a signature
     * about an earlier turn of the same holder in the epoch no longer counts.
     * @dev Posting batches resets `skip`'s silence clock, not this: a holder posting junk (a batch
     * derivation refuses, or one that carries no transactions it should) is skipped within maxSilence
     * L1 blocks plus the time verifiers take to sign and send.
     */
    function skipStalled(
        uint256 _chainId,
        address _holder,
        uint256 _safeL2Block,
        uint256 _l1Block,
        bytes[] calldata _signatures
    ) external {
        _shard(_chainId);
        uint256 epoch = currentEpoch();
        Turn memory t = _turn(_chainId, epoch);
        if (t.sequencer == address(0)) revert NoSequencer(_chainId, epoch);
        if (t.sequencer != _holder) revert NotScheduled(_holder, t.sequencer);
        if (_l1Block >= block.number || _l1Block < t.start + maxSilence) {
            revert StallOutOfTurn(_l1Block, t.start + maxSilence);
        }
        bytes32 digest = _stalledDigest(_chainId, epoch, _holder, _safeL2Block, _l1Block);
        uint256 signed;
        address last;
        for (uint256 i = 0; i < _signatures.length; i++) {
            address signer = ECDSA.recover(digest, _signatures[i]);
            if (signer <= last || !STAKING.isActive(signer)) revert NotActiveVerifier(signer);
            last = signer;
            if (signer != _holder) signed += STAKING.bondedOf(signer);
        }
        // The holder's own stake is left out of both: a holder with over a third of the stake
        // would otherwise never be found stalled.
        uint256 active = STAKING.activeStake();
        if (STAKING.isActive(_holder)) active -= STAKING.bondedOf(_holder);
        if (active == 0 || signed * 3 < active * 2) revert NoStallQuorum(signed, active);
        // What the stalled turn declared past the signed safe head is not on L2: the next holder's
        // real blocks there are credited (the stalled holder keeps what its turn time allowed).
        Shard storage s = shards[_chainId];
        if (_safeL2Block < s.highestL2Block) s.highestL2Block = uint64(_safeL2Block);
        _advance(_chainId, epoch, t, Change.Stalled);
    }

    /// @dev The EIP-712 digest verifiers sign to attest that `_holder`'s turn derives nothing (see `skipStalled`).
    function _stalledDigest(uint256 _chainId, uint256 _epoch, address _holder, uint256 _safeL2Block, uint256 _l1Block)
        internal
        view
        returns (bytes32)
    {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("edge-l2 SequencerPool"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
        return MessageHashUtils.toTypedDataHash(
            domain, keccak256(abi.encode(STALLED_TYPEHASH, _chainId, _epoch, _holder, _safeL2Block, _l1Block))
        );
    }

    // ---------------------------------------------------------------- challenges

    /**
     * @notice Challenges the current holder of shard `_chainId`'s turn, for `_reason` (free text for the
     * DAC, whose Governor alone can uphold it). The caller must be another active verifier and send
     * exactly `challengeBond`, which it loses unless a Governor proposal upholds the challenge within
     * `disputePeriod`.
     */
    function challenge(uint256 _chainId, string calldata _reason) external payable returns (uint256 id) {
        _shard(_chainId);
        if (bytes(_reason).length > MAX_TEXT_BYTES) revert TooLong(bytes(_reason).length, MAX_TEXT_BYTES);
        if (!STAKING.isActive(msg.sender)) revert NotActiveVerifier(msg.sender);
        _checkBond();
        uint256 epoch = currentEpoch();
        address accused = _turn(_chainId, epoch).sequencer;
        if (accused == address(0)) revert NoSequencer(_chainId, epoch);
        if (accused == msg.sender) revert SelfChallenge();
        uint256 open = openChallengeOf[_chainId][accused];
        if (open != 0) revert AlreadyChallenged(open - 1);
        id = _openChallenge(msg.sender, msg.value);
        charges.push(Charge({ chainId: uint64(_chainId), epoch: uint64(epoch), accused: accused }));
        openChallengeOf[_chainId][accused] = id + 1;
        emit Challenged(id, _chainId, accused, epoch, msg.sender, _reason);
    }

    // ---------------------------------------------------------------- equivocation

    /// @dev SequencerEquivocation's shard check: a registered shard.
    function _checkShard(uint256 _chainId) internal view override {
        _shard(_chainId);
    }

    /**
     * @dev Forfeits the proven signer's credit in the current epoch and ejects it from the shard for that
     * epoch, then slashes it through VerifierStaking with the prover as reporter.
     */
    function _punishEquivocation(uint256 _chainId, address _signer) internal override {
        uint256 epoch = currentEpoch();
        _forfeit(_chainId, epoch, _signer);
        _eject(_chainId, epoch, _signer, Change.Equivocated);
        // After the ejection (a slash jails, and a jailed holder would be passed by unannounced).
        STAKING.slash(_signer, msg.sender);
    }

    // ---------------------------------------------------------------- views

    /// @notice The epoch L1 block `_l1Block` is in (0 before the deployment).
    function epochAt(uint256 _l1Block) public view returns (uint256) {
        for (uint256 i = segments.length; i > 0; i--) {
            Segment memory s = segments[i - 1];
            if (_l1Block >= s.fromBlock) return s.fromEpoch + (_l1Block - s.fromBlock) / s.length;
        }
        return 0;
    }

    /**
     * @notice The L1 block whose hash seeds epoch `_epoch` (≥ 1): half of epoch `_epoch` - 1 before
     * `_epoch` starts, at most MAX_SEED_LEAD blocks before it. Fixed as soon as epoch `_epoch` - 1
     * starts (a new epoch length applies from the epoch after the current one).
     */
    function seedBlockOf(uint256 _epoch) public view returns (uint256) {
        if (_epoch == 0) revert NotSeedable(_epoch, currentEpoch());
        uint256 start = epochStart(_epoch);
        uint256 lead = (start - epochStart(_epoch - 1)) / 2;
        if (lead > MAX_SEED_LEAD) lead = MAX_SEED_LEAD;
        return start - lead;
    }

    /// @notice The epoch of the current L1 block.
    function currentEpoch() public view override returns (uint256) {
        return epochAt(block.number);
    }

    /// @notice The first L1 block of epoch `_epoch`.
    function epochStart(uint256 _epoch) public view returns (uint256) {
        for (uint256 i = segments.length; i > 0; i--) {
            Segment memory s = segments[i - 1];
            if (_epoch >= s.fromEpoch) return s.fromBlock + (_epoch - s.fromEpoch) * s.length;
        }
        return segments[0].fromBlock;
    }

    /**
     * @notice Epoch `_epoch`'s seed, whether it was recorded for that epoch (false: derived from the
     * latest earlier one, final once the epoch has started), and its candidate snapshot's id.
     */
    function seedOf(uint256 _epoch) public view returns (bytes32 seed, bool seeded, uint256 snapshot) {
        uint256 i = _lastRecord(_epoch, false);
        if (i != 0) {
            SeedRecord storage r = seeds[i - 1];
            (seed, seeded) = r.epoch == _epoch ? (r.seed, true) : (keccak256(abi.encode(r.seed, _epoch)), false);
        }
        i = _lastRecord(_epoch, true);
        if (i != 0) snapshot = seeds[i - 1].snapshot;
    }

    /// @notice Epoch `_epoch`'s candidates and their weights (bonded stake at the seed).
    function candidatesOf(uint256 _epoch) external view returns (address[] memory accounts, uint256[] memory weights) {
        (,, uint256 snap) = seedOf(_epoch);
        Candidate[] storage c = snapshots[snap];
        accounts = new address[](c.length);
        weights = new uint256[](c.length);
        for (uint256 i = 0; i < c.length; i++) {
            (accounts[i], weights[i]) = (c[i].account, c[i].weight);
        }
    }

    /// @notice Shard `_chainId`'s draw for epoch `_epoch`: every candidate, in the order turns pass.
    function orderOf(uint256 _chainId, uint256 _epoch) public view returns (address[] memory order) {
        (bytes32 seed,, uint256 snap) = seedOf(_epoch);
        Candidate[] storage c = snapshots[snap];
        uint256 n = c.length;
        uint256[] memory w = new uint256[](n);
        uint256 total;
        for (uint256 i = 0; i < n; i++) {
            w[i] = c[i].weight;
            total += w[i];
        }
        order = new address[](n);
        for (uint256 r = 0; r < n; r++) {
            uint256 u = uint256(keccak256(abi.encode(seed, _chainId, r))) % total;
            uint256 i = 0;
            while (u >= w[i]) {
                u -= w[i];
                i++;
            }
            order[r] = c[i].account;
            total -= w[i];
            w[i] = 0;
        }
    }

    /**
     * @notice Shard `_chainId`'s turn in epoch `_epoch` as of now: the holder (zero: nobody), its index in
     * `orderOf`, the L1 block its silence counts from, when `skip` may replace it, and its URL.
     * Meant for the current and next epochs (eligibility is read from the current stake).
     */
    function turnOf(uint256 _chainId, uint256 _epoch)
        external
        view
        returns (address sequencer, uint256 position, uint256 since, uint256 skippableAt, string memory url)
    {
        Turn memory t = _turn(_chainId, _epoch);
        (sequencer, position, since, url) = (t.sequencer, t.position, t.since, urls[t.sequencer]);
        skippableAt = sequencer != address(0) && !STAKING.isActive(sequencer) ? since : since + maxSilence;
    }

    /// @notice Holders and URLs of shard `_chainId`'s turns for `_count` epochs from `_fromEpoch`.
    function schedule(uint256 _chainId, uint256 _fromEpoch, uint256 _count)
        external
        view
        returns (address[] memory sequencers, string[] memory urlsOf)
    {
        sequencers = new address[](_count);
        urlsOf = new string[](_count);
        for (uint256 i = 0; i < _count; i++) {
            sequencers[i] = _turn(_chainId, _fromEpoch + i).sequencer;
            urlsOf[i] = urls[sequencers[i]];
        }
    }

    /// @notice The node URL `_verifier` published.
    function urlOf(address _verifier) external view returns (string memory) {
        return urls[_verifier];
    }

    /// @notice Whether `_account` is ejected from shard `_chainId` for epoch `_epoch`.
    function isEjected(uint256 _chainId, uint256 _epoch, address _account) external view returns (bool) {
        return ejected[_key(_chainId, _epoch, _account)];
    }

    /// @notice Challenge `_id`.
    function getChallenge(uint256 _id) external view returns (Challenge memory) {
        Ballot storage b = _ballot(_id);
        Charge storage ch = charges[_id];
        return Challenge(ch.chainId, ch.epoch, ch.accused, b.challenger, b.bond, b.createdAt, b.deadline, b.outcome);
    }

    // ---------------------------------------------------------------- internals

    function _addShard(uint256 _chainId, address _oracle) internal {
        if (_chainId == 0 || _oracle == address(0) || shards[_chainId].oracle != address(0)) {
            revert InvalidParameters();
        }
        uint256 blockTime = L2OutputOracle(_oracle).L2_BLOCK_TIME();
        if (blockTime == 0) revert InvalidParameters();
        shards[_chainId] = Shard({
            oracle: _oracle,
            l2BlockTime: blockTime.toUint64(),
            registeredAt: uint64(block.timestamp),
            highestL2Block: 0,
            creditedBlocks: 0,
            creditFrom: uint64(block.timestamp),
            lastBatchAt: uint64(block.timestamp)
        });
        chainIds.push(_chainId);
        emit ShardAdded(_chainId, _oracle);
    }

    function _setParameters(uint256[6] memory p) internal {
        if (p[0] == 0 || p[1] == 0 || p[1] >= p[0] || p[3] == 0 || p[5] <= p[1]) revert InvalidParameters();
        if (segments.length == 0) {
            segments.push(Segment({ fromBlock: uint64(block.number), fromEpoch: 0, length: p[0].toUint64() }));
        } else if (p[0] != epochLength) {
            uint256 next = currentEpoch() + 1;
            uint256 start = epochStart(next);
            Segment storage last = segments[segments.length - 1];
            if (last.fromEpoch == next) last.length = p[0].toUint64();
            else segments.push(Segment({ fromBlock: start.toUint64(), fromEpoch: next.toUint64(), length: p[0].toUint64() }));
            emit EpochLengthScheduled(next, start, p[0]);
        }
        (epochLength, maxSilence, challengeBond, disputePeriod, rewardPerBlock, sequencingWindow) =
            (p[0], p[1], p[2], p[3], p[4], p[5]);
        emit ParametersUpdated(p[0], p[1], p[2], p[3], p[4], p[5]);
    }

    /// @dev 1 + the last record whose epoch (or snapshotFrom) is at most `_epoch`, or 0. Both only grow.
    function _lastRecord(uint256 _epoch, bool _bySnapshot) internal view returns (uint256 lo) {
        uint256 hi = seeds.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if ((_bySnapshot ? seeds[mid].snapshotFrom : seeds[mid].epoch) <= _epoch) lo = mid + 1;
            else hi = mid;
        }
    }

    function _shard(uint256 _chainId) internal view returns (Shard storage s) {
        s = shards[_chainId];
        if (s.oracle == address(0)) revert UnknownShard(_chainId);
    }

    /// @dev The active set now as a snapshot id: the last one when unchanged, else a new one.
    function _snapshot() internal returns (uint256 id) {
        (address[] memory accounts, uint256[] memory bonded,, VerifierStaking.Status[] memory status,,) =
            STAKING.verifiers();
        uint256 n;
        Candidate[] memory list = new Candidate[](accounts.length);
        for (uint256 i = 0; i < accounts.length; i++) {
            if (status[i] == VerifierStaking.Status.Active) list[n++] = Candidate(accounts[i], bonded[i].toUint96());
        }
        assembly ("memory-safe") {
            mstore(list, n)
        }
        bytes32 h = keccak256(abi.encode(list));
        id = snapshots.length - 1;
        if (snapshotHashes[id] == h) return id;
        snapshots.push();
        id++;
        for (uint256 i = 0; i < n; i++) {
            snapshots[id].push(list[i]);
        }
        snapshotHashes.push(h);
    }

    /// @dev The turn as stored, or, before anyone acted in the epoch, the order's first eligible candidate.
    function _turn(uint256 _chainId, uint256 _epoch) internal view returns (Turn memory t) {
        t = turns[_chainId][_epoch];
        if (t.since != 0) return t;
        address[] memory order = orderOf(_chainId, _epoch);
        (t.sequencer, t.position) = _next(_chainId, _epoch, order, order.length == 0 ? 0 : order.length - 1);
        t.since = uint64(epochStart(_epoch));
        t.start = t.since;
    }

    /// @dev The first eligible candidate after position `_from` (cyclically, `_from` itself last).
    function _next(uint256 _chainId, uint256 _epoch, address[] memory _order, uint256 _from)
        internal
        view
        returns (address, uint32)
    {
        uint256 n = _order.length;
        for (uint256 k = 1; k <= n; k++) {
            uint256 p = (_from + k) % n;
            address a = _order[p];
            if (!ejected[_key(_chainId, _epoch, a)] && STAKING.isActive(a)) {
                return (a, uint32(p));
            }
        }
        return (address(0), 0);
    }

    function _advance(uint256 _chainId, uint256 _epoch, Turn memory t, Change _why) internal {
        address previous = t.sequencer;
        (t.sequencer, t.position) = _next(_chainId, _epoch, orderOf(_chainId, _epoch), t.position);
        t.since = uint64(block.number);
        t.start = t.since;
        turns[_chainId][_epoch] = t;
        // The next holder's allowance accrues from now: the time before was the previous holder's.
        shards[_chainId].creditFrom = uint64(block.timestamp);
        emit SequencerChanged(_chainId, _epoch, previous, t.sequencer, _why);
    }

    /// @dev Ejects `_who` from shard `_chainId` for epoch `_epoch`; hands the turn on if it held it.
    function _eject(uint256 _chainId, uint256 _epoch, address _who, Change _why) internal {
        Turn memory t = _turn(_chainId, _epoch);
        ejected[_key(_chainId, _epoch, _who)] = true;
        if (t.sequencer == _who) _advance(_chainId, _epoch, t, _why);
    }

    /**
     * @dev The blocks a batch ending at `_lastL2Block` adds to shard `s`'s credited ones, counted as
     * credited: those past its highest credited block, at most one per L2 block time of the holder's
     * own turn not credited yet. The allowance accrues from `creditFrom` (the turn's handover), or, on
     * the first batch of an epoch's first turn (`_first`, no handover transaction), from the later of
     * that and the shard's previous batch; each credited block moves it on by one L2 block time. So
     * time before the turn (a backlog nobody batched) is nobody's, and turns never share time: the
     * shard's credited blocks stay within its elapsed time over the L2 block time.
     */
    function _creditable(Shard storage s, uint256 _lastL2Block, bool _first) internal returns (uint256 blocks) {
        uint256 from = s.creditFrom;
        if (_first && s.lastBatchAt > from) from = s.lastBatchAt;
        s.lastBatchAt = uint64(block.timestamp);
        s.creditFrom = uint64(from);
        if (_lastL2Block <= s.highestL2Block) return 0;
        uint256 allowance = block.timestamp > from ? (block.timestamp - from) / s.l2BlockTime : 0;
        blocks = _lastL2Block - s.highestL2Block;
        if (blocks > allowance) blocks = allowance;
        s.highestL2Block += uint64(blocks);
        s.creditedBlocks += uint64(blocks);
        s.creditFrom = uint64(from + blocks * s.l2BlockTime);
    }

    /// @dev The open challenge against `_account` on `_chainId`, if one is open and was opened in `_epoch`.
    function _challengeOpenIn(uint256 _chainId, uint256 _epoch, address _account)
        internal
        view
        override
        returns (bool, uint256)
    {
        uint256 open = openChallengeOf[_chainId][_account];
        if (open == 0 || charges[open - 1].epoch != _epoch) return (false, 0);
        return (true, open - 1);
    }

    // ---------------------------------------------------------------- GovernedChallenge hooks

    /// @dev Closes the accused's open challenge on its shard (any outcome).
    function _settle(uint256 _id, Outcome) internal override {
        Charge storage ch = charges[_id];
        openChallengeOf[ch.chainId][ch.accused] = 0;
    }

    /**
     * @dev Forfeits the accused's credit in the challenged epoch, ejects it from the shard for the
     * epoch current now (the next candidate takes over at once if it held the turn), then slashes it
     * through VerifierStaking with the challenger as reporter.
     */
    function _punish(uint256 _id) internal override {
        Charge storage ch = charges[_id];
        _forfeit(ch.chainId, ch.epoch, ch.accused);
        _eject(ch.chainId, currentEpoch(), ch.accused, Change.Challenged);
        STAKING.slash(ch.accused, _ballot(_id).challenger);
    }

    function _bondTransferFailed() internal pure override returns (string memory) {
        return "SequencerPool: bond transfer failed";
    }
}
