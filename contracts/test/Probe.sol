// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title ProbeChild
 * @notice The small contract `Probe.deployChild` creates with CREATE2: it remembers its deployer and a
 * constructor argument, so that the init code (and thus the address) depends on that argument.
 */
contract ProbeChild {
    /// @notice The account that created this contract (the `Probe`).
    address public immutable deployer;
    /// @notice The constructor argument.
    uint256 public immutable value;

    /// @notice Stores `value_`; accepts ether so a test can fund the child at creation.
    constructor(uint256 value_) payable {
        deployer = msg.sender;
        value = value_;
    }
}

/**
 * @title Probe
 * @notice One contract for the differential tests (our node against anvil): every function exercises
 * one piece of EVM behaviour whose result, revert data, logs or gas use must match between the two.
 */
contract Probe {
    /// @notice Raised by `revertCustom`.
    error ProbeError(address caller, uint256 code);
    /// @notice Raised when a precompile call made by a `call*` helper fails.
    error PrecompileFailed(address precompile);

    /// @notice Emitted by `deployChild`.
    event ChildDeployed(address indexed child, bytes32 indexed salt, uint256 value);
    /// @notice Emitted by `transientRoundTrip` with what it read back.
    event TransientValue(uint256 loaded, uint256 loadedByCall);
    /// @notice A LOG4: three indexed arguments (one of them a dynamic type, so hashed) and two in data.
    event Logged(address indexed sender, uint256 indexed id, string indexed tag, uint256 value, bytes data);
    /// @notice A LOG0: anonymous, nothing indexed.
    event LoggedAnonymous(uint256 value) anonymous;

    /// @notice What `blockInfo` returns: the block context as the EVM sees it.
    struct BlockInfo {
        uint256 number;
        uint256 timestamp;
        uint256 basefee;
        uint256 chainid;
        uint256 prevrandao;
        uint256 gaslimit;
        address coinbase;
        bytes32 parentHash;
    }

    /// @dev The transient storage slot used by `transientRoundTrip` and `transientValue`.
    uint256 private constant TRANSIENT_SLOT = 0;

    /// @notice Scratch storage for the gas refund scenario (slot `i` holds `i + 1` when filled).
    mapping(uint256 => uint256) public slots;
    /// @notice The last result of `burnGas`.
    bytes32 public lastBurn;

    /// @notice Accepts plain ether transfers, so that `selfBalance` has something to report.
    receive() external payable {}

    // ---- Reverts ----

    /// @notice Returns `x`; reverts with `Error("probe: zero")` when `x` is zero.
    function requireNonZero(uint256 x) external pure returns (uint256) {
        require(x != 0, "probe: zero");
        return x;
    }

    /// @notice Always reverts with the custom error `ProbeError(msg.sender, code)`.
    function revertCustom(uint256 code) external view {
        revert ProbeError(msg.sender, code);
    }

    /// @notice Returns `a / b`; panics with code 0x12 (division by zero) when `b` is zero.
    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }

    /// @notice Panics with code 0x01 (assert) when `condition` is false.
    function panicAssert(bool condition) external pure {
        assert(condition);
    }

    // ---- Precompiles ----

    /// @notice Calls ecrecover (0x01); returns the signer, or the zero address when recovery fails.
    function callEcrecover(bytes32 hash, uint8 v, bytes32 r, bytes32 s) external view returns (address signer) {
        bytes memory output = _staticcall(address(0x01), abi.encode(hash, v, r, s));
        if (output.length == 32) signer = abi.decode(output, (address));
    }

    /// @notice Calls sha256 (0x02) on `data`.
    function callSha256(bytes calldata data) external view returns (bytes32) {
        return abi.decode(_staticcall(address(0x02), data), (bytes32));
    }

    /// @notice Calls identity (0x04): returns `data` as copied by the precompile.
    function callIdentity(bytes calldata data) external view returns (bytes memory) {
        return _staticcall(address(0x04), data);
    }

    /// @notice Calls modexp (0x05, EIP-198): returns `base ** exponent % modulus`, `modulus.length` bytes.
    function callModexp(bytes calldata base, bytes calldata exponent, bytes calldata modulus)
        external
        view
        returns (bytes memory)
    {
        bytes memory input =
            abi.encodePacked(base.length, exponent.length, modulus.length, base, exponent, modulus);
        return _staticcall(address(0x05), input);
    }

    /// @notice Calls bn256Add (0x06, EIP-196) on two alt_bn128 points; reverts if either is not on the curve.
    function callBn256Add(uint256 x1, uint256 y1, uint256 x2, uint256 y2)
        external
        view
        returns (uint256 x, uint256 y)
    {
        return abi.decode(_staticcall(address(0x06), abi.encode(x1, y1, x2, y2)), (uint256, uint256));
    }

    /// @notice Static-calls any address with `input` and returns the outcome instead of reverting, so
    /// that failures (a bad modexp length, an invalid curve point) can be compared too.
    function callPrecompile(address target, bytes calldata input)
        external
        view
        returns (bool success, bytes memory output)
    {
        return target.staticcall(input);
    }

    // ---- CREATE2 ----

    /// @notice Deploys a `ProbeChild(value)` with CREATE2 under `salt`, forwarding `msg.value`; returns its
    /// address (which `predictChild` computes beforehand). Reverts if that address is already taken.
    function deployChild(bytes32 salt, uint256 value) external payable returns (address child) {
        child = address(new ProbeChild{salt: salt, value: msg.value}(value));
        emit ChildDeployed(child, salt, value);
    }

    /// @notice The address `deployChild(salt, value)` deploys to (EIP-1014):
    /// `keccak256(0xff ++ this ++ salt ++ keccak256(initCode))[12:]`.
    function predictChild(bytes32 salt, uint256 value) external view returns (address) {
        bytes32 initCodeHash = keccak256(abi.encodePacked(type(ProbeChild).creationCode, abi.encode(value)));
        bytes32 digest = keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash));
        return address(uint160(uint256(digest)));
    }

    // ---- Transient storage (EIP-1153) ----

    /// @notice TSTOREs `value`, TLOADs it back directly and through an external call to `transientValue`
    /// (both see it within the transaction), emits both and returns them.
    function transientRoundTrip(uint256 value) external returns (uint256 loaded, uint256 loadedByCall) {
        assembly {
            tstore(TRANSIENT_SLOT, value)
            loaded := tload(TRANSIENT_SLOT)
        }
        loadedByCall = this.transientValue();
        emit TransientValue(loaded, loadedByCall);
    }

    /// @notice TLOADs the slot `transientRoundTrip` writes: zero in any fresh call or transaction, since
    /// transient storage is cleared at the end of every transaction.
    function transientValue() external view returns (uint256 value) {
        assembly {
            value := tload(TRANSIENT_SLOT)
        }
    }

    // ---- Gas: refunds and running out ----

    /// @notice Sets slots `0 .. count-1` to non-zero values (the expensive zero-to-non-zero SSTORE).
    function fillSlots(uint256 count) external {
        for (uint256 i = 0; i < count; i++) slots[i] = i + 1;
    }

    /// @notice Clears slots `0 .. count-1`; clearing slots filled by an earlier transaction earns the
    /// EIP-3529 refund.
    function clearSlots(uint256 count) external {
        for (uint256 i = 0; i < count; i++) delete slots[i];
    }

    /// @notice Fills then clears slots `0 .. count-1` in one transaction: each slot ends where it began,
    /// so most of the SSTORE cost comes back as a refund (EIP-2200, capped at gasUsed / 5 by EIP-3529).
    function fillAndClear(uint256 count) external {
        for (uint256 i = 0; i < count; i++) slots[i] = i + 1;
        for (uint256 i = 0; i < count; i++) delete slots[i];
    }

    /// @notice Hashes in a loop `iterations` times and stores the result: cost grows linearly with
    /// `iterations`, so a large count runs out of gas.
    function burnGas(uint256 iterations) external returns (bytes32 acc) {
        for (uint256 i = 0; i < iterations; i++) acc = keccak256(abi.encode(acc, i));
        lastBurn = acc;
    }

    // ---- Logs ----

    /// @notice Emits `Logged` (LOG4) and then `LoggedAnonymous` (LOG0).
    function emitLogs(uint256 id, string calldata tag, uint256 value, bytes calldata data) external {
        emit Logged(msg.sender, id, tag, value, data);
        emit LoggedAnonymous(value);
    }

    // ---- Context readers ----

    /// @notice The block context: NUMBER, TIMESTAMP, BASEFEE, CHAINID, PREVRANDAO, GASLIMIT, COINBASE
    /// and the BLOCKHASH of the parent block.
    function blockInfo() external view returns (BlockInfo memory info) {
        info.number = block.number;
        info.timestamp = block.timestamp;
        info.basefee = block.basefee;
        info.chainid = block.chainid;
        info.prevrandao = block.prevrandao;
        info.gaslimit = block.gaslimit;
        info.coinbase = block.coinbase;
        info.parentHash = block.number == 0 ? bytes32(0) : blockhash(block.number - 1);
    }

    /// @notice BLOCKHASH of `number`: zero unless it is one of the 256 blocks before the current one.
    function blockHashOf(uint256 number) external view returns (bytes32) {
        return blockhash(number);
    }

    /// @notice SELFBALANCE: this contract's balance in wei.
    function selfBalance() external view returns (uint256 weiBalance) {
        assembly {
            weiBalance := selfbalance()
        }
    }

    /// @notice EXTCODEHASH of `account`: zero for an account that does not exist, keccak256("") for one
    /// with no code.
    function extCodeHashOf(address account) external view returns (bytes32 hash) {
        assembly {
            hash := extcodehash(account)
        }
    }

    /// @dev Static-calls `target` and returns its output; reverts with `PrecompileFailed` if the call fails.
    function _staticcall(address target, bytes memory input) private view returns (bytes memory output) {
        bool success;
        (success, output) = target.staticcall(input);
        if (!success) revert PrecompileFailed(target);
    }
}
