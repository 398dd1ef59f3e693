import { createBlock, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { mnemonicToAccount } from 'viem/accounts'
import type { Address as Hex20, Hex } from 'viem'

/** One genesis account: balance and nonce as decimal or hex strings; code and storage for predeploys. */
export type GenesisAccount = {
  balance?: string
  nonce?: string
  code?: Hex
  storage?: Record<Hex, Hex>
}

/** The genesis template (genesis.json): the same for every shard but for the chain id. */
export type GenesisSpec = {
  timestamp: number
  gasLimit: string
  baseFeePerGas: string
  coinbase: Hex20
  devMnemonic: string
  devAccounts: number
  devBalance: string
  alloc: Record<Hex20, GenesisAccount>
}

/** The dev accounts of the spec's mnemonic, in order, as anvil derives them. */
export function buildDevAccounts(spec: Pick<GenesisSpec, 'devMnemonic' | 'devAccounts'>) {
  return Array.from({ length: spec.devAccounts }, (_, i) => {
    const account = mnemonicToAccount(spec.devMnemonic, { addressIndex: i })
    const key = account.getHdKey().privateKey!
    return { address: account.address, privateKey: `0x${Buffer.from(key).toString('hex')}` as Hex }
  })
}

/** The full allocation: dev accounts with `devBalance` each, then `alloc` (which wins on overlap). */
export function buildGenesisAlloc(spec: GenesisSpec): Record<Hex20, GenesisAccount> {
  const alloc: Record<Hex20, GenesisAccount> = {}
  for (const { address } of buildDevAccounts(spec)) alloc[address] = { balance: spec.devBalance }
  return { ...alloc, ...spec.alloc }
}

/** The ETH (wei) the genesis block mints: the sum of the full allocation's balances. */
export function genesisEthSupply(spec: GenesisSpec): bigint {
  return Object.values(buildGenesisAlloc(spec)).reduce((sum, a) => sum + BigInt(a.balance ?? 0), 0n)
}

/** Writes the allocation into an empty state and returns the state root. */
export async function writeGenesisState(
  state: MerkleStateManager,
  alloc: Record<Hex20, GenesisAccount>,
): Promise<Uint8Array> {
  await state.checkpoint()
  for (const [addr, acct] of Object.entries(alloc)) {
    const address = new Address(hexToBytes(addr as Hex))
    await state.putAccount(address, new Account(BigInt(acct.nonce ?? 0), BigInt(acct.balance ?? 0)))
    if (acct.code) await state.putCode(address, hexToBytes(acct.code))
    for (const [slot, value] of Object.entries(acct.storage ?? {}))
      await state.putStorage(address, setLengthLeft(hexToBytes(slot as Hex), 32), hexToBytes(value))
  }
  await state.commit()
  await state.flush()
  return state.getStateRoot()
}

/** The genesis block: number 0, the given state root, the spec's gas limit, base fee and time. */
export function buildGenesisBlock(common: Common, spec: GenesisSpec, stateRoot: Uint8Array): Block {
  return createBlock(
    {
      header: {
        number: 0n,
        stateRoot,
        gasLimit: BigInt(spec.gasLimit),
        baseFeePerGas: BigInt(spec.baseFeePerGas),
        timestamp: BigInt(spec.timestamp),
        coinbase: spec.coinbase,
        excessBlobGas: 0n,
        blobGasUsed: 0n,
      },
    },
    { common },
  )
}
