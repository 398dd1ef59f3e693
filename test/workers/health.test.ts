import { SELF } from 'cloudflare:test'
import { describe, expect, test } from 'vitest'

describe('discovery', () => {
  test('GET /health answers ok', async () => {
    const res = await SELF.fetch('http://node/health')
    expect(res.status).toBe(200)
  })

  test('GET /chains lists every shard, with its L1 contracts and a viem chain when settled', async () => {
    const chains = (await (await SELF.fetch('http://node:9545/chains')).json()) as any[]
    expect(chains.map((c) => c.chainId)).toEqual([901, 902, 903])
    expect(chains[2]).toMatchObject({
      rpcUrl: 'http://node:9545/chain/903',
      wsUrl: 'ws://node:9545/chain/903',
      l1: {
        chainId: 900,
        rpcUrl: 'http://127.0.0.1:8545',
        portal: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
        // The DAC beside the shard's contracts: the Timelock owns them, the Governor owns the Timelock.
        token: '0x0165878A594ca255338adfa4d48449f69242Eb8F',
        governor: '0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6',
        timelock: '0xa513E6E4b8f2a923D98304ec87F64353C4D5C853',
        miningVault: '0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e',
      },
      viem: {
        id: 903,
        sourceId: 900,
        rpcUrls: { default: { http: ['http://node:9545/chain/903'] } },
        contracts: {
          portal: { 900: { address: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9' } },
          l2OutputOracle: { 900: { address: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9' } },
        },
      },
    })
    // A shard without L1 contracts configured gets no settlement fields.
    expect(chains[0].viem).toBeUndefined()
    expect(chains[1].viem).toBeUndefined()
  })
})
