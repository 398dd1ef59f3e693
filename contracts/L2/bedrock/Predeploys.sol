// SPDX-License-Identifier: MIT
pragma solidity 0.8.15;

// L2 predeploys from Optimism Bedrock (npm @eth-optimism/contracts-bedrock, unmodified), compiled here so
// their runtime code can be placed in every shard's genesis (scripts/build-genesis.ts):
// L2ToL1MessagePasser at 0x4200000000000000000000000000000000000016 (withdrawals; `sentMessages` at slot 0).
import { L2ToL1MessagePasser } from "@eth-optimism/contracts-bedrock/src/L2/L2ToL1MessagePasser.sol";

/// @notice Bedrock's L2ToL1MessagePasser as compiled for edge-l2's genesis (no changes, no immutables).
contract L2ToL1MessagePasserPredeploy is L2ToL1MessagePasser {}
