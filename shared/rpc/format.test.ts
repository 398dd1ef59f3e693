import { createBlock } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { createTxFromRLP } from '@ethereumjs/tx'
import { hexToBytes, parseGwei } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { createChainCommon } from '../chain/chainCommon.js'
import { encodeDeposit } from '../chain/depositTx.js'
import { blockSize } from './format.js'

const alice = privateKeyToAccount(
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
)
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

describe('blockSize', () => {
  test('behavior: the RLP length of the whole block, deposits included, from the signed bytes', async () => {
    const common = createChainCommon(901)
    const raws = [
      await alice.signTransaction({
        chainId: 901,
        type: 'eip1559',
        nonce: 0,
        gas: 100_000n,
        maxFeePerGas: parseGwei('2'),
        maxPriorityFeePerGas: 1n,
        to,
        // Enough calldata that the transaction list's length prefix keeps its size below.
        data: `0x${'ab'.repeat(300)}`,
      }),
      await alice.signTransaction({
        chainId: 901,
        type: 'legacy',
        nonce: 1,
        gas: 21_000n,
        gasPrice: parseGwei('2'),
        to,
        value: 1n,
      }),
    ].map((h) => hexToBytes(h))
    const block = createBlock(
      { header: { number: 1n }, transactions: raws.map((r) => createTxFromRLP(r, { common })) },
      { common },
    )
    // Without deposits ethereumjs can serialise the same block: the oracle.
    expect(blockSize(block, raws)).toBe(block.serialize().length)
    // A deposit (type 0x7e, unknown to ethereumjs) adds its bytes as one RLP string.
    const deposit = hexToBytes(
      encodeDeposit({
        sourceHash: `0x${'11'.repeat(32)}`,
        from: '0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001',
        to: '0x4200000000000000000000000000000000000015',
        mint: 0n,
        value: 0n,
        gas: 1_000_000n,
        isSystemTx: false,
        data: `0x${'22'.repeat(100)}`,
      }),
    )
    expect(blockSize(block, [deposit, ...raws])).toBe(
      block.serialize().length + RLP.encode(deposit).length,
    )
  })
})
