import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

/**
 * Three projects: `unit` (pure cores in plain Node), `workers` (inside workerd with real Durable
 * Objects and D1 through the Workers pool) and `e2e` (real `wrangler dev` and anvil processes).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/**/*.test.ts', 'scripts/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations('./migrations'),
                BLOCK_TIME_MS: '0',
                // A third shard, 903, has L1 contract addresses as `npm start` passes them, for /chains;
                // its settlement (which needs a live L1) is exercised end to end in test/e2e/bridge.*.
                SHARDS: JSON.stringify([
                  { chainId: 901, name: 'edge-l2 A' },
                  { chainId: 902, name: 'edge-l2 B' },
                  { chainId: 903, name: 'edge-l2 settled' },
                ]),
                L1: JSON.stringify({
                  chainId: 900,
                  rpcUrl: 'http://127.0.0.1:8545',
                  multicall3: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
                  shards: {
                    903: {
                      portal: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
                      l2OutputOracle: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
                      systemConfig: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
                      batchInbox: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
                      l1StartBlock: '3',
                      token: '0x0165878A594ca255338adfa4d48449f69242Eb8F',
                      governor: '0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6',
                      timelock: '0xa513E6E4b8f2a923D98304ec87F64353C4D5C853',
                      miningVault: '0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e',
                    },
                  },
                }),
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          setupFiles: ['test/workers/setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
