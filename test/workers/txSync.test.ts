import { env, runInDurableObject } from 'cloudflare:test'
import { parseGwei, type Hex } from 'viem'
import { sendRawTransactionSync } from 'viem/actions'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import genesis from '../../genesis.json'
import type { GenesisSpec } from '../../shared/chain/genesis.js'
import { ReceiptWaiters } from '../../shared/chain/receiptWaiters.js'
import { ChainCore } from '../../shared/chain/chainCore.js'
import { Sequencing } from '../../shared/sequencing/sequencing.js'
import { toRpcError } from '../../shared/rpc/toRpcError.js'
import { decodeRawTransaction } from '../../shared/txpool/decodeRawTransaction.js'
import { call, clients, KEYS } from './helpers.js'

// eth_sendRawTransactionSync (EIP-7966): the receipt in the same call, or error 5 (cannot run now /
// dropped) or 4 (timed out) with the transaction hash as data.

const carol = privateKeyToAccount(KEYS[2])
const to = privateKeyToAccount(KEYS[0]).address

const sign = (nonce: number, chainId = 901, tip = parseGwei('1')) =>
  carol.signTransaction({
    chainId,
    type: 'eip1559',
    nonce,
    gas: 21_000n,
    maxFeePerGas: parseGwei('100'),
    maxPriorityFeePerGas: tip,
    to,
    value: 1n,
  })

const nextNonce = async () =>
  Number(BigInt((await call('eth_getTransactionCount', [carol.address, 'pending'])).result))

describe('eth_sendRawTransactionSync over the Worker', () => {
  test('default: viem gets the receipt that eth_getTransactionReceipt later serves', async () => {
    const c = clients(901, KEYS[2])
    const raw = await sign(await nextNonce())
    const receipt = await sendRawTransactionSync(c.public, { serializedTransaction: raw })
    expect(receipt.status).toBe('success')
    const stored = (await call('eth_getTransactionReceipt', [receipt.transactionHash])).result
    expect(stored.blockHash).toBe(receipt.blockHash)
    expect(BigInt(stored.gasUsed)).toBe(receipt.gasUsed)
    // A hex timeout and a number are both accepted; the wire receipt is the stored one exactly.
    const raw2 = await sign(await nextNonce())
    const wire = (await call('eth_sendRawTransactionSync', [raw2, '0x1388'])).result
    expect(wire).toEqual((await call('eth_getTransactionReceipt', [wire.transactionHash])).result)
  })

  test('behavior: a nonce gap answers 5 with the hash; the transaction stays queued and is mined once the gap fills', async () => {
    const nonce = await nextNonce()
    const gapped = await sign(nonce + 1)
    const res = await call('eth_sendRawTransactionSync', [gapped, 2000])
    expect(res.error.code).toBe(5)
    expect(res.error.message).toMatch(/missing nonce/)
    const hash = decodeRawTransaction(gapped, 901).hash
    expect(res.error.data).toBe(hash)
    const queued = (await call('txpool_content')).result.queued[carol.address.toLowerCase()]
    expect(queued[String(nonce + 1)].hash).toBe(hash)
    const filled = await call('eth_sendRawTransactionSync', [await sign(nonce)])
    expect(filled.result.status).toBe('0x1')
    // The queued one runs right after; its own sync call now finds it mined or about to be.
    const later = await call('eth_sendRawTransactionSync', [gapped])
    expect(later.error?.message ?? '').toBe('already known')
    const mined = await call('eth_getTransactionReceipt', [hash])
    for (let i = 0; !mined.result && i < 50; i++)
      Object.assign(mined, await call('eth_getTransactionReceipt', [hash]))
    expect(mined.result.status).toBe('0x1')
  })

  test("behavior: rejections are eth_sendRawTransaction's, and change nothing", async () => {
    const nonce = await nextNonce()
    const wrongChain = await sign(nonce, 902)
    const a = await call('eth_sendRawTransaction', [wrongChain])
    const b = await call('eth_sendRawTransactionSync', [wrongChain])
    expect(b.error).toEqual(a.error)
    expect(b.error.code).toBe(-32000)
    expect((await call('eth_sendRawTransactionSync', [])).error.code).toBe(-32602)
    expect((await call('eth_sendRawTransactionSync', ['0x02zz'])).error.code).toBe(-32602)
    expect(await nextNonce()).toBe(nonce)
  })
})

describe('the sequencer side of the wait', () => {
  const open = (storage: DurableObjectStorage) =>
    ChainCore.open({
      sql: storage.sql,
      transact: (fn) => storage.transactionSync(fn),
      chainId: 901,
      genesis: genesis as GenesisSpec,
      blockGasLimit: 30_000_000n,
    }).then((core) => Sequencing.open(core))
  const admit = async (chain: Sequencing, raw: Hex) => {
    const d = decodeRawTransaction(raw, 901)
    return chain.submit({ raw: d.raw, hash: d.hash, sender: d.sender, pubkey: d.pubkey })
  }
  const wire = (p: Promise<unknown>) =>
    p.then(
      (result) => ({ result }),
      (err) => ({ error: toRpcError(err) }),
    )

  test('behavior: no block within the wait answers 4 with the hash; the seal answers waiters with the stored receipt', async () => {
    const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName('tx-sync-waiters'))
    await runInDurableObject(stub, async (_i, state) => {
      const chain = await open(state.storage)
      const waiters = new ReceiptWaiters()
      const hash = await admit(chain, await sign(0))
      // No seal happens here (the chain is driven by hand): the wait times out.
      const timedOut = await wire(waiters.wait(chain, hash, 30))
      expect(timedOut).toEqual({
        error: {
          code: 4,
          message: "The transaction was added to the mempool but wasn't processed in 30ms.",
          data: hash,
        },
      })
      expect(waiters.size).toBe(0)
      // Two callers wait on the same hash; one seal answers both.
      const first = waiters.wait(chain, hash, 5_000)
      const second = waiters.wait(chain, hash, 5_000)
      await new Promise((r) => setTimeout(r, 5))
      expect(waiters.size).toBe(2)
      const sealed = await chain.seal(BigInt(Math.floor(Date.now() / 1000)), to)
      waiters.sealed(sealed!)
      const stored = JSON.parse(chain.core.store.tx(hash)!.receipt)
      expect(await first).toEqual(stored)
      expect(await second).toEqual(stored)
      // Once mined, a wait answers at once.
      expect(await waiters.wait(chain, hash, 1)).toEqual(stored)
      // Waits of different lengths share one timer: the short one ends, the long one still gets
      // the receipt from the seal after it.
      const [long, short] = [await sign(1), await sign(2)]
      const longHash = await admit(chain, long)
      const shortHash = await admit(chain, short)
      const longWait = waiters.wait(chain, longHash, 5_000)
      const shortWait = wire(waiters.wait(chain, shortHash, 20))
      expect(await shortWait).toMatchObject({ error: { code: 4, data: shortHash } })
      expect(waiters.size).toBe(1)
      waiters.sealed((await chain.seal(BigInt(Math.floor(Date.now() / 1000)) + 1n, to))!)
      expect((await longWait).transactionHash).toBe(longHash)
      expect(waiters.size).toBe(0)
      // A hash the pool never held answers 5.
      const unknown = await wire(waiters.wait(chain, `0x${'ab'.repeat(32)}`, 10))
      expect(unknown).toMatchObject({ error: { code: 5, message: 'transaction not found' } })
    })
  })

  test('behavior: a synchronous submission writes no pool row unless the answer names it without a receipt (timeout, nonce gap); then it survives a restart', async () => {
    const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName('tx-sync-durability'))
    await runInDurableObject(stub, async (_i, state) => {
      const chain = await open(state.storage)
      const waiters = new ReceiptWaiters()
      const rows = () =>
        state.storage.sql
          .exec<{ hash: string }>('SELECT hash FROM pool ORDER BY nonce')
          .toArray()
          .map((r) => r.hash)
      const admitSync = (raw: Hex) => {
        const d = decodeRawTransaction(raw, 901)
        return chain.submit(d, { persist: false })
      }
      // Mined: answered with the receipt, no row ever.
      const mined = await admitSync(await sign(0))
      expect(rows()).toEqual([])
      const waiting = waiters.wait(chain, mined, 5_000)
      waiters.sealed((await chain.seal(BigInt(Math.floor(Date.now() / 1000)), to))!)
      expect((await waiting).transactionHash).toBe(mined)
      expect(rows()).toEqual([])
      // A nonce gap answers 5 naming the hash: the row is written first.
      const gapped = await admitSync(await sign(2))
      expect(rows()).toEqual([])
      expect(await wire(waiters.wait(chain, gapped, 5_000))).toMatchObject({
        error: { code: 5, data: gapped },
      })
      expect(rows()).toEqual([gapped])
      // A timeout answers 4 naming the hash: the row is written first.
      const slow = await admitSync(await sign(1))
      expect(await wire(waiters.wait(chain, slow, 10))).toMatchObject({
        error: { code: 4, data: slow },
      })
      expect(rows()).toEqual([slow, gapped])
      // A hash returned by eth_sendRawTransaction writes the rows of the sender's earlier nonces
      // too, so it never waits on a nonce a crash could lose.
      const syncEarlier = await admitSync(await sign(3))
      expect(rows()).toEqual([slow, gapped])
      const returned = await chain.submit(decodeRawTransaction(await sign(4), 901))
      expect(rows()).toEqual([slow, gapped, syncEarlier, returned])
      // Replacing a synchronous submission that has no row leaves only the replacement's.
      const replaced = await admitSync(await sign(5))
      const replacement = await chain.submit(
        decodeRawTransaction(
          await carol.signTransaction({
            chainId: 901,
            type: 'eip1559',
            nonce: 5,
            gas: 21_000n,
            maxFeePerGas: parseGwei('200'),
            maxPriorityFeePerGas: parseGwei('2'),
            to,
            value: 1n,
          }),
          901,
        ),
      )
      expect(rows()).toEqual([slow, gapped, syncEarlier, returned, replacement])
      expect(chain.droppedReason(replaced)).toBe(`replaced by ${replacement}`)
      // All are in the pool of a sequencer opened again on the same storage, and get mined.
      const reopened = await open(state.storage)
      expect(reopened.pool.get(slow)).toBeDefined()
      expect(reopened.pool.get(gapped)).toBeDefined()
      await reopened.seal(BigInt(Math.floor(Date.now() / 1000)) + 1n, to)
      for (const h of [slow, gapped, syncEarlier, returned, replacement])
        expect(reopened.core.store.tx(h)).toBeDefined()
      expect(rows()).toEqual([])
    })
  })
})
