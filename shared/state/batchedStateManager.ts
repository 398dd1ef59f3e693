import { RLP } from '@ethereumjs/rlp'
import { CODEHASH_PREFIX, MerkleStateManager } from '@ethereumjs/statemanager'
import {
  Account,
  type Address,
  concatBytes,
  createAddressFromString,
  unpadBytes,
  unprefixedHexToBytes,
} from '@ethereumjs/util'
import { batchUpdate, type TrieWrite } from './batchTrie.js'

/**
 * ethereumjs's state manager with a cheaper `flush`: the cached writes of a block go into the
 * storage tries and then the account trie as one `batchUpdate` each, instead of one `put` per slot
 * and account (which re-hashed the whole path every time, and wrote every intermediate node). Same
 * roots and nodes; everything else is the stock manager.
 */
export class BatchedStateManager extends MerkleStateManager {
  /**
   * The stock `putStorage` means to write the storage cache only, but `cache.put(...) ?? writeTrie()`
   * also writes the trie on every SSTORE (the cache's put returns undefined), re-hashing the storage
   * path and the account each time. With a storage cache, the cache alone holds the write until
   * `flush`, as for accounts and code.
   */
  override async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const cache = this._caches?.storage
    if (!cache) return super.putStorage(address, key, value)
    if (key.length !== 32) throw new Error('Storage key must be 32 bytes long')
    if (value.length > 32) throw new Error('Storage value cannot be longer than 32 bytes')
    if (!(await this.getAccount(address)))
      throw new Error('putStorage() called on non-existing account')
    cache.put(address, key, RLP.encode(unpadBytes(value)))
  }

  override async flush(): Promise<void> {
    const caches = this._caches
    if (!caches) return super.flush()

    // Code first, as the stock flush does: it sets code hashes on the accounts.
    for (const [addressHex, { code }] of caches.code?.flush() ?? []) {
      if (code === undefined) continue
      const address = createAddressFromString(`0x${addressHex}`)
      const codeHash = this.keccak(code)
      const key = this._prefixCodeHashes ? concatBytes(CODEHASH_PREFIX, codeHash) : codeHash
      await this._getCodeDB().put(key, code)
      if ((await this.getAccount(address)) === undefined)
        await this.putAccount(address, new Account())
      await this.modifyAccountFields(address, { codeHash })
    }

    // Storage, one batch per contract, then the contract's new storage root into its account.
    const byAccount = new Map<string, TrieWrite[]>()
    for (const [addressHex, keyHex, value] of caches.storage?.flush() ?? []) {
      // The cache holds the slot's RLP, as the trie stores it; an empty value deletes the slot.
      const empty = (RLP.decode(value ?? new Uint8Array(0)) as Uint8Array).length === 0
      const writes = byAccount.get(addressHex) ?? []
      writes.push({ key: unprefixedHexToBytes(keyHex), value: empty ? undefined : value })
      byAccount.set(addressHex, writes)
    }
    for (const [addressHex, writes] of byAccount) {
      const address = createAddressFromString(`0x${addressHex}`)
      const account = await this.getAccount(address)
      if (!account) continue
      const trie = this._getStorageTrie(address, account)
      // The account's root, not the cached trie's: they differ when the account was deleted and
      // created again since the last flush, and its old storage must not come back.
      trie.root(account.storageRoot)
      await batchUpdate(trie, writes)
      account.storageRoot = trie.root()
      await this.putAccount(address, account)
    }

    // Accounts: one batch into the state trie.
    const accounts: TrieWrite[] = (caches.account?.flush() ?? []).map(([addressHex, elem]) => ({
      key: unprefixedHexToBytes(addressHex),
      value: elem.accountRLP,
    }))
    await batchUpdate(this._trie, accounts)
  }

  /** The manager's own hash function (private in ethereumjs: the Common's keccak or noble's). */
  private keccak(bytes: Uint8Array): Uint8Array {
    return (this as unknown as { keccakFunction(b: Uint8Array): Uint8Array }).keccakFunction(bytes)
  }
}
