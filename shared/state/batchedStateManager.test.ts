import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { describe, expect, test } from 'vitest'
import { createChainCommon } from '../chain/chainCommon.js'
import { BatchedStateManager } from './batchedStateManager.js'

describe('BatchedStateManager', () => {
  test('behavior: the same state roots as ethereumjs’s manager over blocks of account, storage and code writes, deletes and reverts', async () => {
    const common = createChainCommon(901)
    const managers = [
      new MerkleStateManager({ common, caches: new Caches() }),
      new BatchedStateManager({ common, caches: new Caches() }),
    ]
    const addr = (i: number) => new Address(setLengthLeft(Uint8Array.of(1, i), 20))
    let seed = 5
    const r = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    const roots: string[][] = [[], []]
    for (let block = 0; block < 25; block++) {
      // One script per block, run on both managers.
      const script: ((sm: MerkleStateManager) => Promise<void>)[] = []
      for (let i = 0; i < 30; i++) {
        const a = addr(Math.floor(r() * 40))
        const pick = r()
        const n = BigInt(Math.floor(r() * 1000))
        const slot = setLengthLeft(Uint8Array.of(Math.floor(r() * 20)), 32)
        if (pick < 0.3)
          // As the VM changes accounts: nonce and balance, keeping code and storage root.
          script.push(async (sm) => {
            const acct = (await sm.getAccount(a)) ?? new Account()
            acct.nonce = n
            acct.balance = n * 10n ** 18n
            await sm.putAccount(a, acct)
          })
        else if (pick < 0.65)
          script.push(async (sm) => {
            if (!(await sm.getAccount(a))) await sm.putAccount(a, new Account(1n))
            // A zero value deletes the slot.
            await sm.putStorage(
              a,
              slot,
              n % 4n === 0n ? new Uint8Array() : setLengthLeft(Uint8Array.of(Number(n % 256n)), 32),
            )
          })
        else if (pick < 0.72)
          // Accounts without storage (as EIP-161 deletes them; the stock manager keeps the old storage
          // of an account deleted and re-created in one block, tested on its own below).
          script.push(async (sm) => sm.deleteAccount(addr(100 + Math.floor(r() * 20))))
        else if (pick < 0.78)
          script.push(async (sm) => {
            if (!(await sm.getAccount(a))) await sm.putAccount(a, new Account())
            await sm.putCode(a, Uint8Array.of(0x60, Number(n % 256n), 0x00))
          })
        else
          // A transaction that reverts: its writes must not reach the trie.
          script.push(async (sm) => {
            await sm.checkpoint()
            await sm.putAccount(a, new Account(99n, 99n))
            await sm.revert()
          })
      }
      for (const [k, sm] of managers.entries()) {
        await sm.checkpoint()
        for (const step of script) await step(sm)
        await sm.commit()
        roots[k].push(bytesToHex(await sm.getStateRoot()))
      }
    }
    expect(new Set(roots[0]).size).toBeGreaterThan(20)
    expect(roots[1]).toEqual(roots[0])
    // Reads after the flushes come from the batched tries' nodes, not only the caches.
    const fresh = new MerkleStateManager({
      common,
      trie: (managers[1] as BatchedStateManager)['_trie'],
    })
    for (let i = 0; i < 120; i++)
      expect((await fresh.getAccount(addr(i)))?.serialize()).toEqual(
        (await managers[0].getAccount(addr(i)))?.serialize(),
      )
    // CPU-bound (two managers over many blocks): the 5 s default fails on a loaded machine.
  }, 60_000)

  test('behavior: an account deleted and created again before a flush has only its new storage', async () => {
    const common = createChainCommon(901)
    const sm = new BatchedStateManager({ common, caches: new Caches() })
    const a = new Address(setLengthLeft(Uint8Array.of(7), 20))
    const slot = (i: number) => setLengthLeft(Uint8Array.of(i), 32)
    await sm.putAccount(a, new Account(1n))
    await sm.putStorage(a, slot(1), Uint8Array.of(11))
    await sm.getStateRoot()
    await sm.deleteAccount(a)
    await sm.putAccount(a, new Account(1n))
    await sm.putStorage(a, slot(2), Uint8Array.of(22))
    const root = await sm.getStateRoot()
    const fresh = new MerkleStateManager({ common, trie: sm['_trie'] })
    await fresh.setStateRoot(root)
    expect(await fresh.getStorage(a, slot(1))).toEqual(new Uint8Array())
    expect(await fresh.getStorage(a, slot(2))).toEqual(Uint8Array.of(22))
  })
})
