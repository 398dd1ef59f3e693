// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/**
 * @title TestToken
 * @notice An ERC-20 with EIP-2612 `permit` (OpenZeppelin 5) for tests, plus two functions that revert on
 * purpose so that tests can check how a custom error and a reason string travel back to the client.
 */
contract TestToken is ERC20, ERC20Permit {
    /// @notice Raised by `guarded` for every caller but `owner`.
    error NotAllowed(address who);

    /// @notice The deployer: the only account `guarded` lets through.
    address public immutable owner;

    /// @notice Names the token and mints `initialSupply` (in base units) to the deployer.
    constructor(string memory name_, string memory symbol_, uint256 initialSupply)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
    {
        owner = msg.sender;
        _mint(msg.sender, initialSupply);
    }

    /// @notice Returns true for `owner`; reverts with `NotAllowed(msg.sender)` for anyone else.
    function guarded() external view returns (bool) {
        if (msg.sender != owner) revert NotAllowed(msg.sender);
        return true;
    }

    /// @notice Always reverts with the reason string "token: nope" (an `Error(string)` payload).
    function failWithReason() external pure {
        revert("token: nope");
    }
}
