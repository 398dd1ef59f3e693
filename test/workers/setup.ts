import { applyD1Migrations, env } from 'cloudflare:test'

// Every workers test starts with the D1 schema the migrations define, as wrangler applies it.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
