/**
 * The devnet's verifier operators: keys 10, 11 and 12 of the test mnemonic (outside anvil's ten dev
 * accounts, so no test or wallet shares their nonces), and `stakeOperators`, which gives each ETH for
 * gas and bonds its stake in VerifierStaking from a funding account's EDGE (dev account 9 on the devnet:
 * tests vote with accounts 0 to 8). Used by `npm start` and the end-to-end fixtures.
 */
import {
  erc20Abi,
  parseEther,
  toHex,
  type Account,
  type Address,
  type Chain,
  type Client,
  type Hex,
  type Transport,
} from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import {
  readContract,
  sendTransaction,
  waitForTransactionReceipt,
  writeContract,
} from 'viem/actions'
import { verifierStakingAbi } from '../generated/contracts/VerifierStaking'

const mnemonic = 'test test test test test test test test test test test junk'

/** Operator `i` (0, 1, 2, …): mnemonic key 10 + i, with its private key for a node's VERIFIER_KEY. */
export function devnetOperator(i: number): { account: Account; address: Address; key: Hex } {
  const account = mnemonicToAccount(mnemonic, { addressIndex: 10 + i })
  return { account, address: account.address, key: toHex(account.getHdKey().privateKey!) }
}

/** What each devnet operator bonds: 100,000 EDGE. */
export const DEVNET_STAKE = parseEther('100000')

type Wallet = Client<Transport, Chain | undefined, Account>

/**
 * From `funder` (which holds EDGE and ETH): sends each operator 10 ETH for gas, approves and bonds
 * `amount` EDGE to each in `staking`. Resolves once every transaction is mined.
 */
export async function stakeOperators(
  funder: Wallet,
  contracts: { token: Address; staking: Address },
  operators: readonly Address[],
  amount: bigint = DEVNET_STAKE,
): Promise<void> {
  const send = async (hash: Hex) => {
    const receipt = await waitForTransactionReceipt(funder, { hash })
    if (receipt.status !== 'success') throw new Error(`stakeOperators: ${hash} reverted`)
  }
  const chain = funder.chain ?? null
  const account = funder.account
  await send(
    await writeContract(funder, {
      chain,
      account,
      address: contracts.token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [contracts.staking, amount * BigInt(operators.length)],
    }),
  )
  for (const operator of operators) {
    await send(
      await sendTransaction(funder, { chain, account, to: operator, value: parseEther('10') }),
    )
    await send(
      await writeContract(funder, {
        chain,
        account,
        address: contracts.staking,
        abi: verifierStakingAbi,
        functionName: 'stake',
        args: [operator, amount],
        // Not an estimate: the funder's vote checkpoint costs ~20k more gas when the stake lands a
        // second after the one estimated in (a new checkpoint instead of an update), so a tight
        // estimate ran out of gas on a loaded machine.
        gas: 500_000n,
      }),
    )
  }
  const active = await readContract(funder, {
    address: contracts.staking,
    abi: verifierStakingAbi,
    functionName: 'activeStake',
  })
  if (active < amount * BigInt(operators.length))
    throw new Error(
      `stakeOperators: active stake ${active} after staking ${operators.length} operators`,
    )
}
