// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { Types } from "@eth-optimism/contracts-bedrock/src/libraries/Types.sol";
import { SystemConfig } from "./SystemConfig.sol";

/**
 * @title L2OutputOracle
 * @notice The L2 output roots of one shard, with Optimism Bedrock's L2OutputOracle ABI and revert
 * strings (which viem's op-stack actions read): the proposer appends an output every
 * SUBMISSION_INTERVAL L2 blocks; the challenger deletes outputs that are not final yet. The oracle has
 * no owner and no admin function: both roles are read from the shard's SystemConfig, whose owner is
 * the DAC's Timelock, and deploy-l1 makes the Timelock the challenger (a deletion takes a vote).
 * Output root version 0 = keccak256(abi.encode(0, stateRoot, messagePasserStorageRoot, blockHash)).
 * Differences from Bedrock: the oracle is never empty: the constructor records the output root of
 * L2 block `startingBlockNumber` (the L2 genesis) as output 0, final from the start and never
 * deleted, so viem's `waitToProve` (which reads `latestOutputIndex`) works on a fresh network;
 * proposer and challenger are read from the shard's SystemConfig (so they rotate without a
 * redeploy); `getL2OutputIndexAfter` for a block past the latest output reverts with the "not been
 * proposed" string viem treats as "waiting to prove", and steps over invalidated outputs (bounded)
 * to the next valid one, so viem proves a withdrawal there against it; finality has one definition,
 * `isOutputFinalized`, which a later verifier quorum can satisfy early (see `_markOutputFinal`).
 * Challenges: the challenger (deploy-l1: the OutputQuorum) freezes one output while a challenge of it
 * is open (`setFrozen`), never the later ones (each output is its own statement about the L2 state):
 * a frozen output is not final, so no withdrawal finalizes against it and the challenger may still
 * delete it (`deleteL2Outputs`, when it is the latest) or invalidate it alone (`invalidateOutput`:
 * its root zeroed, so nothing proves or finalizes against it, when later outputs exist).
 * Invariants: only SystemConfig's proposer appends and only its challenger deletes or freezes; outputs are
 * strictly increasing in L2 block number, SUBMISSION_INTERVAL apart; a final output is never deleted (deletion truncates, so neither is any output before one finalized early).
 */
contract L2OutputOracle {
    /// @notice L2 blocks between two outputs.
    uint256 public immutable SUBMISSION_INTERVAL;
    /// @notice Seconds between L2 blocks, as `computeL2Timestamp` assumes.
    uint256 public immutable L2_BLOCK_TIME;
    /// @notice Seconds after its proposal at which an output is final unless finalized earlier.
    uint256 public immutable FINALIZATION_PERIOD_SECONDS;
    /// @notice The L2 block of output 0 (the genesis output); the first proposal is at this + interval.
    uint256 public immutable startingBlockNumber;
    /// @notice Timestamp of L2 block `startingBlockNumber`.
    uint256 public immutable startingTimestamp;
    /// @notice Where the proposer and challenger roles are read.
    SystemConfig public immutable SYSTEM_CONFIG;

    /// @notice The outputs, by index.
    Types.OutputProposal[] internal l2Outputs;

    /**
     * @notice Outputs made final before their finalization period by `_markOutputFinal`. Stays
     * false until a verifier-quorum contract (a later issue) uses that seam.
     */
    mapping(uint256 => bool) public finalizedEarly;

    /**
     * @notice One past the highest index final without waiting (output 0, the genesis output, then any
     * finalized early): deleting below it would delete a final output.
     */
    uint256 internal finalizedEarlyBoundary;

    /// @notice Outputs an open challenge names: not final while frozen. Cleared when an index is reused.
    mapping(uint256 => bool) public frozen;

    /// @notice Emitted when the challenger freezes or unfreezes output `l2OutputIndex`.
    event OutputFrozen(uint256 indexed l2OutputIndex, bool frozen);
    /// @notice Emitted when the challenger invalidates output `l2OutputIndex` (its root is zeroed).
    event OutputInvalidated(uint256 indexed l2OutputIndex, bytes32 indexed outputRoot);

    /// @notice Emitted for each new output (Bedrock event).
    event OutputProposed(
        bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp
    );
    /// @notice Emitted when the challenger deletes outputs from `newNextOutputIndex` on (Bedrock event).
    event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex);
    /// @notice Emitted when an output becomes final before its finalization period ends.
    event OutputFinalizedEarly(uint256 indexed l2OutputIndex, bytes32 indexed outputRoot);

    /**
     * @param _systemConfig              The shard's SystemConfig (proposer and challenger roles).
     * @param _submissionInterval        L2 blocks between outputs (> 0).
     * @param _l2BlockTime               Seconds per L2 block (> 0).
     * @param _startingBlockNumber       L2 block the outputs count from (usually 0, the L2 genesis).
     * @param _startingTimestamp         Timestamp of that block; not in the future.
     * @param _startingOutputRoot        Version-0 output root of that block (non-zero): output 0.
     * @param _finalizationPeriodSeconds Challenge window (short on a devnet).
     */
    constructor(
        SystemConfig _systemConfig,
        uint256 _submissionInterval,
        uint256 _l2BlockTime,
        uint256 _startingBlockNumber,
        uint256 _startingTimestamp,
        bytes32 _startingOutputRoot,
        uint256 _finalizationPeriodSeconds
    ) {
        require(_submissionInterval > 0, "L2OutputOracle: submission interval must be greater than 0");
        require(_l2BlockTime > 0, "L2OutputOracle: L2 block time must be greater than 0");
        require(
            _startingTimestamp <= block.timestamp,
            "L2OutputOracle: starting L2 timestamp must be less than current time"
        );
        SYSTEM_CONFIG = _systemConfig;
        SUBMISSION_INTERVAL = _submissionInterval;
        L2_BLOCK_TIME = _l2BlockTime;
        startingBlockNumber = _startingBlockNumber;
        startingTimestamp = _startingTimestamp;
        FINALIZATION_PERIOD_SECONDS = _finalizationPeriodSeconds;

        // Output 0: the starting block's root, fixed by the deployment like the rest of the genesis,
        // so it is final at once and the challenger cannot delete it.
        require(_startingOutputRoot != bytes32(0), "L2OutputOracle: starting output root cannot be the zero hash");
        emit OutputProposed(_startingOutputRoot, 0, _startingBlockNumber, block.timestamp);
        l2Outputs.push(
            Types.OutputProposal({
                outputRoot: _startingOutputRoot,
                timestamp: uint128(block.timestamp),
                l2BlockNumber: uint128(_startingBlockNumber)
            })
        );
        finalizedEarlyBoundary = 1;
    }

    /// @notice Semantic version.
    function version() external pure returns (string memory) {
        return "1.8.0";
    }

    /// @notice The account allowed to propose outputs (from SystemConfig).
    function PROPOSER() public view returns (address) {
        return SYSTEM_CONFIG.proposer();
    }

    /// @notice Same as `PROPOSER`.
    function proposer() external view returns (address) {
        return PROPOSER();
    }

    /// @notice The account allowed to delete unfinalized outputs (from SystemConfig).
    function CHALLENGER() public view returns (address) {
        return SYSTEM_CONFIG.challenger();
    }

    /// @notice Same as `CHALLENGER`.
    function challenger() external view returns (address) {
        return CHALLENGER();
    }

    /// @notice Same as `SUBMISSION_INTERVAL`.
    function submissionInterval() external view returns (uint256) {
        return SUBMISSION_INTERVAL;
    }

    /// @notice Same as `L2_BLOCK_TIME`.
    function l2BlockTime() external view returns (uint256) {
        return L2_BLOCK_TIME;
    }

    /// @notice Same as `FINALIZATION_PERIOD_SECONDS`.
    function finalizationPeriodSeconds() external view returns (uint256) {
        return FINALIZATION_PERIOD_SECONDS;
    }

    /**
     * @notice Appends the output root of L2 block `_l2BlockNumber`, which must be `nextBlockNumber()`
     * and not in the future by `computeL2Timestamp`. When `_l1BlockHash` is non-zero it must be the
     * hash of L1 block `_l1BlockNumber`, so a proposal made for one L1 fork fails on another.
     */
    function proposeL2Output(
        bytes32 _outputRoot,
        uint256 _l2BlockNumber,
        bytes32 _l1BlockHash,
        uint256 _l1BlockNumber
    ) external payable {
        require(msg.sender == PROPOSER(), "L2OutputOracle: only the proposer address can propose new outputs");
        require(
            _l2BlockNumber == nextBlockNumber(),
            "L2OutputOracle: block number must be equal to next expected block number"
        );
        require(
            computeL2Timestamp(_l2BlockNumber) < block.timestamp,
            "L2OutputOracle: cannot propose L2 output in the future"
        );
        require(_outputRoot != bytes32(0), "L2OutputOracle: L2 output proposal cannot be the zero hash");
        if (_l1BlockHash != bytes32(0)) {
            require(
                blockhash(_l1BlockNumber) == _l1BlockHash,
                "L2OutputOracle: block hash does not match the hash at the expected height"
            );
        }
        require(msg.value == 0, "L2OutputOracle: proposals carry no value");

        emit OutputProposed(_outputRoot, l2Outputs.length, _l2BlockNumber, block.timestamp);
        if (frozen[l2Outputs.length]) delete frozen[l2Outputs.length];
        l2Outputs.push(
            Types.OutputProposal({
                outputRoot: _outputRoot,
                timestamp: uint128(block.timestamp),
                l2BlockNumber: uint128(_l2BlockNumber)
            })
        );
    }

    /// @notice Deletes output `_l2OutputIndex` and every later one. Challenger only; never a final output.
    function deleteL2Outputs(uint256 _l2OutputIndex) external {
        require(msg.sender == CHALLENGER(), "L2OutputOracle: only the challenger address can delete outputs");
        require(
            _l2OutputIndex < l2Outputs.length,
            "L2OutputOracle: cannot delete outputs after the latest output index"
        );
        require(
            _l2OutputIndex >= finalizedEarlyBoundary && !isOutputFinalized(_l2OutputIndex),
            "L2OutputOracle: cannot delete outputs that have already been finalized"
        );
        uint256 prevNextOutputIndex = l2Outputs.length;
        // A later output may be final while this one is frozen: none of the deleted ones may be
        // (the loop is over what the caller deletes; the OutputQuorum deletes only the latest).
        for (uint256 i = _l2OutputIndex + 1; i < prevNextOutputIndex; i++) {
            require(!isOutputFinalized(i), "L2OutputOracle: cannot delete outputs that have already been finalized");
        }
        Types.OutputProposal[] storage outputs = l2Outputs;
        assembly ("memory-safe") {
            sstore(outputs.slot, _l2OutputIndex)
        }
        emit OutputsDeleted(prevNextOutputIndex, _l2OutputIndex);
    }

    /**
     * @notice Freezes (or unfreezes) output `_l2OutputIndex` alone while a challenge of it is open: a
     * frozen output is not final. Challenger only; output 0 and outputs already final cannot be frozen.
     */
    function setFrozen(uint256 _l2OutputIndex, bool _frozen) external {
        require(msg.sender == CHALLENGER(), "L2OutputOracle: only the challenger address can freeze outputs");
        if (_frozen) {
            require(
                _l2OutputIndex >= finalizedEarlyBoundary && _l2OutputIndex < l2Outputs.length
                    && !isOutputFinalized(_l2OutputIndex),
                "L2OutputOracle: cannot freeze a final or missing output"
            );
        }
        frozen[_l2OutputIndex] = _frozen;
        emit OutputFrozen(_l2OutputIndex, _frozen);
    }

    /**
     * @notice Invalidates output `_l2OutputIndex` alone (its root becomes zero: no proof matches it and
     * it is never final), for a wrong output with later outputs the challenger does not delete.
     * Challenger only; never a final output.
     */
    function invalidateOutput(uint256 _l2OutputIndex) external {
        require(msg.sender == CHALLENGER(), "L2OutputOracle: only the challenger address can delete outputs");
        require(
            _l2OutputIndex >= finalizedEarlyBoundary && _l2OutputIndex < l2Outputs.length
                && !isOutputFinalized(_l2OutputIndex),
            "L2OutputOracle: cannot delete outputs that have already been finalized"
        );
        bytes32 root = l2Outputs[_l2OutputIndex].outputRoot;
        l2Outputs[_l2OutputIndex].outputRoot = bytes32(0);
        emit OutputInvalidated(_l2OutputIndex, root);
    }

    /// @notice Output `_l2OutputIndex`; panics (0x32) when there is none.
    function getL2Output(uint256 _l2OutputIndex) external view returns (Types.OutputProposal memory) {
        return l2Outputs[_l2OutputIndex];
    }

    /// @notice Most invalidated outputs in a row `getL2OutputIndexAfter` steps over (~2,100 gas each).
    uint256 public constant MAX_SKIPPED_INVALID = 256;

    /**
     * @notice Index of the first valid output at or after L2 block `_l2BlockNumber`: the first output
     * there (binary search), or, when that one was invalidated (root zeroed: nothing proves against
     * it), the next output that was not, so viem's op-stack actions (getL2Output, then
     * buildProveWithdrawal) prove a withdrawal of an invalidated range against the next valid output,
     * which covers it too. Reverts with "L2OutputOracle: cannot get output for a block that has not
     * been proposed" when no output covers that block yet (viem's getWithdrawalStatus matches this
     * string), or when only invalidated ones do (a valid one will follow). Bound: it steps over at
     * most MAX_SKIPPED_INVALID invalidated outputs in a row (each one needs an upheld challenge, an
     * executed Governor proposal), then reverts "L2OutputOracle: too many invalidated outputs in a
     * row". Contracts that need the output at a block itself use `getL2OutputIndexAt`.
     */
    function getL2OutputIndexAfter(uint256 _l2BlockNumber) public view returns (uint256) {
        uint256 index = getL2OutputIndexAt(_l2BlockNumber);
        uint256 length = l2Outputs.length;
        for (uint256 skipped = 0; l2Outputs[index].outputRoot == bytes32(0); skipped++) {
            require(skipped < MAX_SKIPPED_INVALID, "L2OutputOracle: too many invalidated outputs in a row");
            index++;
            require(index < length, "L2OutputOracle: cannot get output for a block that has not been proposed");
        }
        return index;
    }

    /**
     * @notice Index of the first output at or after L2 block `_l2BlockNumber` (binary search), valid or
     * invalidated (Bedrock's `getL2OutputIndexAfter`). Reverts with the "not been proposed" string
     * when no output covers that block yet.
     */
    function getL2OutputIndexAt(uint256 _l2BlockNumber) public view returns (uint256) {
        uint256 length = l2Outputs.length;
        require(
            l2Outputs[length - 1].l2BlockNumber >= _l2BlockNumber,
            "L2OutputOracle: cannot get output for a block that has not been proposed"
        );
        uint256 lo = 0;
        uint256 hi = length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (l2Outputs[mid].l2BlockNumber < _l2BlockNumber) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// @notice The first valid output at or after L2 block `_l2BlockNumber` (see `getL2OutputIndexAfter`).
    function getL2OutputAfter(uint256 _l2BlockNumber) external view returns (Types.OutputProposal memory) {
        return l2Outputs[getL2OutputIndexAfter(_l2BlockNumber)];
    }

    /// @notice Index of the latest output (0, the genesis output, before any proposal).
    function latestOutputIndex() external view returns (uint256) {
        return l2Outputs.length - 1;
    }

    /// @notice Index the next output will get.
    function nextOutputIndex() public view returns (uint256) {
        return l2Outputs.length;
    }

    /// @notice L2 block number of the latest output (`startingBlockNumber` before any proposal).
    function latestBlockNumber() public view returns (uint256) {
        return l2Outputs[l2Outputs.length - 1].l2BlockNumber;
    }

    /// @notice The L2 block number the next output must be for.
    function nextBlockNumber() public view returns (uint256) {
        return latestBlockNumber() + SUBMISSION_INTERVAL;
    }

    /// @notice Timestamp of L2 block `_l2BlockNumber` at one block per L2_BLOCK_TIME since the start.
    function computeL2Timestamp(uint256 _l2BlockNumber) public view returns (uint256) {
        return startingTimestamp + (_l2BlockNumber - startingBlockNumber) * L2_BLOCK_TIME;
    }

    /**
     * @notice Whether output `_l2OutputIndex` is final: the genesis output (0), one marked final early,
     * or one not frozen, not invalidated and proposed at least FINALIZATION_PERIOD_SECONDS ago (Bedrock requires one second more; `>=` matches viem, which
     * reports "ready-to-finalize" once the period has passed by the wall clock). The portal
     * finalizes withdrawals only against final outputs. Panics (0x32) when the output does not exist.
     */
    function isOutputFinalized(uint256 _l2OutputIndex) public view returns (bool) {
        uint256 proposedAt = l2Outputs[_l2OutputIndex].timestamp;
        if (_l2OutputIndex == 0 || finalizedEarly[_l2OutputIndex]) return true;
        if (frozen[_l2OutputIndex] || l2Outputs[_l2OutputIndex].outputRoot == bytes32(0)) return false;
        return block.timestamp >= proposedAt + FINALIZATION_PERIOD_SECONDS;
    }

    /**
     * @notice Seam for fast finality (DESIGN.md "Fast finality"): makes an existing output final at
     * once, so the portal stops waiting for its challenge window and the challenger can no longer
     * delete it. Nothing calls it yet; a verifier-quorum contract will, through an entry point that
     * checks the quorum's attestations of `outputRoot` (passed so the attestation cannot apply to a
     * replaced output).
     */
    function _markOutputFinal(uint256 _l2OutputIndex, bytes32 _outputRoot) internal {
        require(_l2OutputIndex < l2Outputs.length, "L2OutputOracle: output does not exist");
        require(l2Outputs[_l2OutputIndex].outputRoot == _outputRoot, "L2OutputOracle: output root mismatch");
        if (finalizedEarly[_l2OutputIndex]) return;
        finalizedEarly[_l2OutputIndex] = true;
        if (_l2OutputIndex >= finalizedEarlyBoundary) finalizedEarlyBoundary = _l2OutputIndex + 1;
        emit OutputFinalizedEarly(_l2OutputIndex, _outputRoot);
    }
}
