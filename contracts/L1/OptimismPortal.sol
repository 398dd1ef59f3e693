// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { ReentrancyGuard } from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import { Types } from "@eth-optimism/contracts-bedrock/src/libraries/Types.sol";
import { AddressAliasHelper } from "@eth-optimism/contracts-bedrock/src/vendor/AddressAliasHelper.sol";
import { IStorageProofVerifier } from "./interfaces/IStorageProofVerifier.sol";
import { L2OutputOracle } from "./L2OutputOracle.sol";
import { SystemConfig } from "./SystemConfig.sol";

/**
 * @title OptimismPortal
 * @notice The L1 end of one shard's bridge, compatible with Optimism Bedrock's OptimismPortal on the
 * L2OutputOracle path (`version()` 2.x, which viem's op-stack actions treat as the legacy portal):
 * deposits become `TransactionDeposited` logs (version 0) that the L2 turns into 0x7e transactions;
 * withdrawals are proven against an output root with a storage proof of
 * `L2ToL1MessagePasser.sentMessages[withdrawalHash] == 1` (slot 0 mapping of the predeploy at
 * 0x4200000000000000000000000000000000000016), then finalized once proof and output are final.
 * ABI and revert strings follow Bedrock 1.x; differences: no owner, no pause and no guardian
 * (`paused()` is false: no key can halt deposits or withdrawals; what the portal trusts, the oracle
 * and SystemConfig, is fixed at construction and governed by the DAC's Timelock), no deposit gas market (deposit gas per L1 block is capped instead), every rejected storage
 * proof reverts with "OptimismPortal: invalid withdrawal inclusion proof", and reentrancy is
 * guarded by OpenZeppelin's ReentrancyGuard (l2Sender keeps its Bedrock meaning for targets).
 * Invariants: a withdrawal is finalized at most once, only against the output it was proven
 * against, and only when that output is final (`L2OutputOracle.isOutputFinalized`).
 */
contract OptimismPortal is ReentrancyGuard {
    /// @notice A proven withdrawal (Bedrock layout).
    struct ProvenWithdrawal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2OutputIndex;
    }

    /// @notice Version of the TransactionDeposited event's opaqueData encoding.
    uint256 internal constant DEPOSIT_VERSION = 0;
    /// @notice L2 gas of a deposit made by sending ether to the portal.
    uint64 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;
    /// @notice Largest deposit calldata (Bedrock: fits the 128 kB p2p limit).
    uint256 internal constant MAX_DEPOSIT_DATA = 120_000;
    /// @notice `l2Sender` outside a withdrawal's call.
    address internal constant DEFAULT_L2_SENDER = 0x000000000000000000000000000000000000dEaD;
    /// @notice `tx.origin` that gas estimation uses to learn a failing withdrawal's gas (Bedrock).
    address internal constant ESTIMATION_ADDRESS = address(1);
    /// @notice The L2ToL1MessagePasser predeploy whose storage a withdrawal proof opens.
    address public constant L2_TO_L1_MESSAGE_PASSER = 0x4200000000000000000000000000000000000016;
    /**
     * @notice Deposit L2 gas admitted per L1 block (Bedrock's default maxResourceLimit), so that the
     * deposits of one L1 block fit one L2 block (SystemConfig.MINIMUM_GAS_LIMIT leaves room).
     */
    uint64 public constant MAX_DEPOSIT_GAS_PER_L1_BLOCK = 20_000_000;

    /// @notice The shard's output oracle.
    L2OutputOracle public immutable L2_ORACLE;
    /// @notice The shard's configuration.
    SystemConfig public immutable SYSTEM_CONFIG;
    /// @notice The Merkle-Patricia verifier (Bedrock's SecureMerkleTrie).
    IStorageProofVerifier public immutable STORAGE_PROOF_VERIFIER;

    /// @notice The L2 sender of the withdrawal being finalized, else 0x…dEaD (Bedrock semantics).
    address public l2Sender;
    /// @notice Withdrawal hashes already finalized.
    mapping(bytes32 => bool) public finalizedWithdrawals;
    /// @notice Proven withdrawals by hash.
    mapping(bytes32 => ProvenWithdrawal) public provenWithdrawals;

    /// @notice L1 block of the latest deposit and the deposit gas admitted in it.
    uint64 internal depositBlock;
    uint64 internal depositGasInBlock;

    /// @notice Emitted for each deposit; read by L2 nodes (Bedrock event, version 0).
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    /// @notice Emitted when a withdrawal is proven (Bedrock event).
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    /// @notice Emitted when a withdrawal is finalized, whether its call succeeded or not (Bedrock event).
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);

    /**
     * @param _l2Oracle The shard's L2OutputOracle.
     * @param _systemConfig The shard's SystemConfig.
     * @param _verifier The StorageProofVerifier.
     */
    constructor(L2OutputOracle _l2Oracle, SystemConfig _systemConfig, IStorageProofVerifier _verifier) {
        L2_ORACLE = _l2Oracle;
        SYSTEM_CONFIG = _systemConfig;
        STORAGE_PROOF_VERIFIER = _verifier;
        l2Sender = DEFAULT_L2_SENDER;
    }

    /// @notice Deposits the ether sent to the caller's own L2 address with 100,000 L2 gas.
    receive() external payable {
        depositTransaction(msg.sender, msg.value, RECEIVE_DEFAULT_GAS_LIMIT, false, bytes(""));
    }

    /// @notice Semantic version: 2.x marks the L2OutputOracle-based portal for viem.
    function version() external pure returns (string memory) {
        return "2.8.0";
    }

    /// @notice Same as `L2_ORACLE`.
    function l2Oracle() external view returns (L2OutputOracle) {
        return L2_ORACLE;
    }

    /// @notice Same as `SYSTEM_CONFIG`.
    function systemConfig() external view returns (SystemConfig) {
        return SYSTEM_CONFIG;
    }

    /// @notice Always false: the portal has no pause (DESIGN.md invariant 7: no admin key).
    function paused() external pure returns (bool) {
        return false;
    }

    /// @notice Smallest L2 gas limit for a deposit with `_byteCount` bytes of data.
    function minimumGasLimit(uint64 _byteCount) public pure returns (uint64) {
        return _byteCount * 16 + 21000;
    }

    /// @notice Accepts ether without a deposit (Bedrock).
    function donateETH() external payable {}

    /**
     * @notice Deposits a transaction to L2: `msg.value` is minted to the sender on L2, which then
     * calls (or creates, with `_to` zero) with `_value`, `_gasLimit` and `_data`. A contract caller
     * appears on L2 under its alias (address + 0x1111000000000000000000000000000000001111).
     * opaqueData = abi.encodePacked(msg.value, _value, _gasLimit, _isCreation, _data).
     */
    function depositTransaction(
        address _to,
        uint256 _value,
        uint64 _gasLimit,
        bool _isCreation,
        bytes memory _data
    ) public payable {
        if (_isCreation) {
            require(_to == address(0), "OptimismPortal: must send to address(0) when creating a contract");
        }
        require(_gasLimit >= minimumGasLimit(uint64(_data.length)), "OptimismPortal: gas limit too small");
        require(_data.length <= MAX_DEPOSIT_DATA, "OptimismPortal: data too large");
        _admitDepositGas(_gasLimit);

        address from = msg.sender;
        if (msg.sender != tx.origin) from = AddressAliasHelper.applyL1ToL2Alias(msg.sender);
        bytes memory opaqueData = abi.encodePacked(msg.value, _value, _gasLimit, _isCreation, _data);
        emit TransactionDeposited(from, _to, DEPOSIT_VERSION, opaqueData);
    }

    /**
     * @notice Proves that withdrawal `_tx` was initiated on L2: output `_l2OutputIndex` must equal the
     * hash of `_outputRootProof`, and `_withdrawalProof` must show slot
     * keccak256(abi.encode(withdrawalHash, 0)) = 1 in its message passer storage root. A proven
     * withdrawal may be proven again only after its output was replaced.
     */
    function proveWithdrawalTransaction(
        Types.WithdrawalTransaction memory _tx,
        uint256 _l2OutputIndex,
        Types.OutputRootProof calldata _outputRootProof,
        bytes[] calldata _withdrawalProof
    ) external {
        require(_tx.target != address(this), "OptimismPortal: you cannot send messages to the portal contract");

        bytes32 outputRoot = L2_ORACLE.getL2Output(_l2OutputIndex).outputRoot;
        require(outputRoot == hashOutputRootProof(_outputRootProof), "OptimismPortal: invalid output root proof");

        bytes32 withdrawalHash = hashWithdrawal(_tx);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        require(
            proven.timestamp == 0 || L2_ORACLE.getL2Output(proven.l2OutputIndex).outputRoot != proven.outputRoot,
            "OptimismPortal: withdrawal hash has already been proven"
        );

        bytes32 storageKey = keccak256(abi.encode(withdrawalHash, uint256(0)));
        require(
            _isIncluded(abi.encode(storageKey), _withdrawalProof, _outputRootProof.messagePasserStorageRoot),
            "OptimismPortal: invalid withdrawal inclusion proof"
        );

        provenWithdrawals[withdrawalHash] = ProvenWithdrawal({
            outputRoot: outputRoot,
            timestamp: uint128(block.timestamp),
            l2OutputIndex: uint128(_l2OutputIndex)
        });
        emit WithdrawalProven(withdrawalHash, _tx.sender, _tx.target);
    }

    /**
     * @notice Finalizes proven withdrawal `_tx`: calls `_tx.target` with `_tx.data`, `_tx.value` and
     * at least `_tx.gasLimit` gas, with `l2Sender` set to `_tx.sender` during the call. A failed call
     * still finalizes (WithdrawalFinalized reports it), as in Bedrock.
     */
    function finalizeWithdrawalTransaction(Types.WithdrawalTransaction memory _tx) external nonReentrant {
        bytes32 withdrawalHash = hashWithdrawal(_tx);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        require(proven.timestamp != 0, "OptimismPortal: withdrawal has not been proven yet");
        require(
            proven.timestamp >= L2_ORACLE.startingTimestamp(),
            "OptimismPortal: withdrawal timestamp less than L2 Oracle starting timestamp"
        );
        require(_isProofMature(proven), "OptimismPortal: proven withdrawal finalization period has not elapsed");
        require(
            L2_ORACLE.getL2Output(proven.l2OutputIndex).outputRoot == proven.outputRoot,
            "OptimismPortal: output root proven is not the same as current output root"
        );
        require(
            L2_ORACLE.isOutputFinalized(proven.l2OutputIndex),
            "OptimismPortal: output proposal finalization period has not elapsed"
        );
        require(!finalizedWithdrawals[withdrawalHash], "OptimismPortal: withdrawal has already been finalized");

        finalizedWithdrawals[withdrawalHash] = true;
        l2Sender = _tx.sender;
        bool success = _callWithMinGas(_tx.target, _tx.gasLimit, _tx.value, _tx.data);
        l2Sender = DEFAULT_L2_SENDER;
        emit WithdrawalFinalized(withdrawalHash, success);

        if (!success && tx.origin == ESTIMATION_ADDRESS) revert("OptimismPortal: withdrawal failed");
    }

    /// @notice Whether output `_l2OutputIndex` is final (reverts when it does not exist).
    function isOutputFinalized(uint256 _l2OutputIndex) external view returns (bool) {
        return L2_ORACLE.isOutputFinalized(_l2OutputIndex);
    }

    /// @notice Withdrawal hash: keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)).
    function hashWithdrawal(Types.WithdrawalTransaction memory _tx) public pure returns (bytes32) {
        return keccak256(abi.encode(_tx.nonce, _tx.sender, _tx.target, _tx.value, _tx.gasLimit, _tx.data));
    }

    /// @notice Output root (any version): keccak256 of the four fields, abi-encoded.
    function hashOutputRootProof(Types.OutputRootProof calldata _proof) public pure returns (bytes32) {
        return keccak256(
            abi.encode(_proof.version, _proof.stateRoot, _proof.messagePasserStorageRoot, _proof.latestBlockhash)
        );
    }

    /**
     * @notice Whether a proof has waited long enough: FINALIZATION_PERIOD_SECONDS since it was made
     * (Bedrock, which wants one second more; `>=` agrees with viem's getTimeToFinalize), or not at
     * all once its output was finalized early by the oracle's fast-finality seam.
     */
    function _isProofMature(ProvenWithdrawal memory _proven) internal view returns (bool) {
        return block.timestamp >= _proven.timestamp + L2_ORACLE.FINALIZATION_PERIOD_SECONDS()
            || L2_ORACLE.finalizedEarly(_proven.l2OutputIndex);
    }

    /// @notice Whether the storage proof shows value 1 (RLP 0x01) at `_key`; a malformed proof is false.
    function _isIncluded(bytes memory _key, bytes[] calldata _proof, bytes32 _root) internal view returns (bool) {
        try STORAGE_PROOF_VERIFIER.verifyInclusionProof(_key, hex"01", _proof, _root) returns (bool valid) {
            return valid;
        } catch {
            return false;
        }
    }

    /**
     * @notice Admits `_gasLimit` of deposit gas in this L1 block, at most MAX_DEPOSIT_GAS_PER_L1_BLOCK
     * in total (the limit of Bedrock's ResourceMetering, without its fee market).
     */
    function _admitDepositGas(uint64 _gasLimit) internal {
        uint64 used = depositBlock == block.number ? depositGasInBlock : 0;
        require(
            uint256(used) + _gasLimit <= MAX_DEPOSIT_GAS_PER_L1_BLOCK,
            "ResourceMetering: cannot buy more gas than available gas limit"
        );
        depositBlock = uint64(block.number);
        depositGasInBlock = used + _gasLimit;
    }

    /**
     * @notice Calls `_target` with all remaining gas, without copying return data (so a target cannot
     * make the portal run out of gas), after checking that at least `_minGas` reaches it given
     * EIP-150's 63/64 rule and a 40,000 gas margin for the CALL itself (Bedrock's SafeCall rule:
     * gasleft × 63 ≥ minGas × 64 + 40,000 × 63, else "SafeCall: Not enough gas").
     */
    function _callWithMinGas(address _target, uint256 _minGas, uint256 _value, bytes memory _data)
        internal
        returns (bool success)
    {
        require(gasleft() * 63 >= _minGas * 64 + 40_000 * 63, "SafeCall: Not enough gas");
        assembly ("memory-safe") {
            success := call(gas(), _target, _value, add(_data, 32), mload(_data), 0, 0)
        }
    }
}
