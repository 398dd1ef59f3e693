// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import { DacToken } from "../dac/DacToken.sol";

/**
 * @title DacTokenHarness
 * @notice Test-only: DacToken with its internal `_mint` exposed, so that a test can try to mint past
 * the cap (DacToken itself has no mint function after construction). Never deployed by deploy-l1.
 */
contract DacTokenHarness is DacToken {
    constructor(address _miningVault, address _treasury, address[] memory _holders, uint256[] memory _amounts)
        DacToken(_miningVault, _treasury, _holders, _amounts)
    { }

    /// @notice Mints `_amount` to `_to`: reverts with ERC20ExceededCap past the cap.
    function mint(address _to, uint256 _amount) external {
        _mint(_to, _amount);
    }
}
