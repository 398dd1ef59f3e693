// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import { ERC20Capped } from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import { ERC20Permit } from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import { ERC20Votes } from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import { Nonces } from "@openzeppelin/contracts/utils/Nonces.sol";

/**
 * @title DacToken
 * @notice The governance token of edge-l2's DAC (symbol EDGE, 18 decimals): OpenZeppelin ERC20 with
 * EIP-2612 permit and ERC20Votes (ERC-5805 delegation and checkpoints), capped at 10,000,000 tokens.
 * The whole supply is minted at construction: MINING_SUPPLY (half) to the mining vault, the given
 * allocations to their holders, and whatever of the other half is left to the treasury (the DAC's
 * Timelock). There is no mint function, no owner and no pause afterwards.
 * Clock: timestamps (ERC-6372 `mode=timestamp`), so the Governor's voting delay and period are
 * seconds on any L1, whatever its block time.
 * Genesis holders start delegated to themselves (their tokens vote at once, as on a devnet every dev
 * account must); later holders delegate as usual with `delegate` or `delegateBySig`.
 * Invariants: totalSupply() <= CAP, and == CAP from construction on (only transfers follow); the vault
 * holds MINING_SUPPLY at construction; votes equal the delegated balances (ERC20Votes).
 */
contract DacToken is ERC20, ERC20Capped, ERC20Permit, ERC20Votes {
    /// @notice The hard cap: 10,000,000 tokens.
    uint256 public constant CAP = 10_000_000e18;
    /// @notice Minted to the mining vault: half of the cap.
    uint256 public constant MINING_SUPPLY = CAP / 2;

    /// @notice The allocation arrays differ in length.
    error AllocationLengthMismatch(uint256 holders, uint256 amounts);
    /// @notice The vault or the treasury is the zero address.
    error ZeroAddress();

    /// @notice Emitted once, at construction: where the supply went.
    event Genesis(address indexed miningVault, address indexed treasury, uint256 allocated, uint256 toTreasury);

    /**
     * @param _miningVault Receives MINING_SUPPLY.
     * @param _treasury    Receives what the allocations leave of the other half (the Timelock).
     * @param _holders     Genesis holders (self-delegated); their amounts may not exceed the other half,
     *                     else the mint past the cap reverts with ERC20ExceededCap.
     * @param _amounts     Their amounts, in wei (18 decimals).
     */
    constructor(address _miningVault, address _treasury, address[] memory _holders, uint256[] memory _amounts)
        ERC20("edge-l2 DAC", "EDGE")
        ERC20Capped(CAP)
        ERC20Permit("edge-l2 DAC")
    {
        if (_miningVault == address(0) || _treasury == address(0)) revert ZeroAddress();
        if (_holders.length != _amounts.length) revert AllocationLengthMismatch(_holders.length, _amounts.length);
        _mint(_miningVault, MINING_SUPPLY);
        uint256 allocated;
        for (uint256 i = 0; i < _holders.length; i++) {
            _mint(_holders[i], _amounts[i]);
            if (delegates(_holders[i]) == address(0)) _delegate(_holders[i], _holders[i]);
            allocated += _amounts[i];
        }
        uint256 rest = CAP - totalSupply();
        if (rest > 0) _mint(_treasury, rest);
        emit Genesis(_miningVault, _treasury, allocated, rest);
    }

    /// @notice ERC-6372: the token's clock is the block timestamp.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice ERC-6372: `mode=timestamp`.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @dev The cap (ERC20Capped) and the vote checkpoints (ERC20Votes) both follow every balance change.
    function _update(address from, address to, uint256 value) internal virtual override(ERC20, ERC20Capped, ERC20Votes) {
        super._update(from, to, value);
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
