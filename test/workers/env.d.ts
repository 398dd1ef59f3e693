declare namespace Cloudflare {
  interface Env {
    /** D1 migrations read by vitest.config.ts and applied by test/workers/setup.ts. */
    TEST_MIGRATIONS: import('@cloudflare/vitest-pool-workers').D1Migration[]
  }
}
