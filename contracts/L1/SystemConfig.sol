// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { Ownable2Step } from "@openzeppelin/contracts/access/Ownable2Step.sol";

/**
 * @title SystemConfig
 * @notice The L1 settings of one L2 shard: who may post batches (batcher), who may propose output
 * roots (proposer), who may delete unfinalized outputs (challenger), and the L2 block gas limit.
 * Every other contract of the shard reads its roles from here, so one owner action rotates them.
 * Modelled on Optimism Bedrock's SystemConfig (`batcher` instead of `batcherHash`; proposer and
 * challenger live here rather than in the output oracle's immutables).
 * Owner: the DAC's Timelock (scripts/deploy-l1.ts passes it to the constructor and also makes it the
 * challenger), so every setting changes only through a Governor vote and the Timelock's delay. The
 * batcher and proposer are operational roles the owner assigns, not admin powers.
 * Invariants: only the owner changes a setting, and each change emits an event; ownership moves in
 * two steps (Ownable2Step: the new owner must accept); the gas limit stays within its bounds.
 */
contract SystemConfig is Ownable2Step {
    /**
     * @notice Lowest L2 gas limit: the deposit gas the portal admits per L1 block
     * (`OptimismPortal.MAX_DEPOSIT_GAS_PER_L1_BLOCK`, 20M) plus 1M for the L1-attributes system deposit,
     * so that an L2 block always fits the deposits of its L1 origin.
     */
    uint64 public constant MINIMUM_GAS_LIMIT = 21_000_000;
    /// @notice Highest L2 gas limit (Bedrock's `maximumGasLimit`).
    uint64 public constant MAXIMUM_GAS_LIMIT = 200_000_000;

    /// @notice Chain id of the L2 this configuration belongs to.
    uint256 public immutable L2_CHAIN_ID;
    /// @notice The L1 block this contract was deployed in: where a node starts scanning L1 for the shard.
    uint256 public immutable startBlock;

    /// @notice The only account whose calls the shard's BatchInbox accepts.
    address public batcher;
    /// @notice The only account that may propose L2 output roots to the shard's L2OutputOracle.
    address public proposer;
    /// @notice The only account that may delete unfinalized output roots.
    address public challenger;
    /// @notice The L2 block gas limit.
    uint64 public gasLimit;

    event BatcherUpdated(address indexed previousBatcher, address indexed newBatcher);
    event ProposerUpdated(address indexed previousProposer, address indexed newProposer);
    event ChallengerUpdated(address indexed previousChallenger, address indexed newChallenger);
    event GasLimitUpdated(uint64 previousGasLimit, uint64 newGasLimit);

    /**
     * @param _owner      Owner: the DAC's Timelock.
     * @param _l2ChainId  Chain id of the shard.
     * @param _batcher    Initial batcher.
     * @param _proposer   Initial output proposer.
     * @param _challenger Initial challenger (deploy-l1: the Timelock; later, a verifier contract).
     * @param _gasLimit   Initial L2 block gas limit.
     */
    constructor(
        address _owner,
        uint256 _l2ChainId,
        address _batcher,
        address _proposer,
        address _challenger,
        uint64 _gasLimit
    ) Ownable(_owner) {
        require(_l2ChainId != 0, "SystemConfig: L2 chain id must not be 0");
        L2_CHAIN_ID = _l2ChainId;
        startBlock = block.number;
        _setBatcher(_batcher);
        _setProposer(_proposer);
        _setChallenger(_challenger);
        _setGasLimit(_gasLimit);
    }

    /// @notice Chain id of the L2 (same as `L2_CHAIN_ID`).
    function l2ChainId() external view returns (uint256) {
        return L2_CHAIN_ID;
    }

    /// @notice Semantic version.
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    /// @notice Lowest accepted L2 gas limit (Bedrock name).
    function minimumGasLimit() external pure returns (uint64) {
        return MINIMUM_GAS_LIMIT;
    }

    /// @notice Highest accepted L2 gas limit (Bedrock name).
    function maximumGasLimit() external pure returns (uint64) {
        return MAXIMUM_GAS_LIMIT;
    }

    /// @notice Replaces the batcher. Owner only.
    function setBatcher(address _batcher) external onlyOwner {
        _setBatcher(_batcher);
    }

    /// @notice Replaces the output proposer. Owner only.
    function setProposer(address _proposer) external onlyOwner {
        _setProposer(_proposer);
    }

    /// @notice Replaces the challenger. Owner only.
    function setChallenger(address _challenger) external onlyOwner {
        _setChallenger(_challenger);
    }

    /// @notice Sets the L2 block gas limit, within [MINIMUM_GAS_LIMIT, MAXIMUM_GAS_LIMIT]. Owner only.
    function setGasLimit(uint64 _gasLimit) external onlyOwner {
        _setGasLimit(_gasLimit);
    }

    function _setBatcher(address _batcher) private {
        emit BatcherUpdated(batcher, _batcher);
        batcher = _batcher;
    }

    function _setProposer(address _proposer) private {
        emit ProposerUpdated(proposer, _proposer);
        proposer = _proposer;
    }

    function _setChallenger(address _challenger) private {
        emit ChallengerUpdated(challenger, _challenger);
        challenger = _challenger;
    }

    function _setGasLimit(uint64 _gasLimit) private {
        require(_gasLimit >= MINIMUM_GAS_LIMIT, "SystemConfig: gas limit too low");
        require(_gasLimit <= MAXIMUM_GAS_LIMIT, "SystemConfig: gas limit too high");
        emit GasLimitUpdated(gasLimit, _gasLimit);
        gasLimit = _gasLimit;
    }
}
