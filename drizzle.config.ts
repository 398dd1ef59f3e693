import { defineConfig } from 'drizzle-kit'

/** drizzle-kit: generates the D1 migrations under migrations/ from shared/db/schema.ts (`npm run db:generate`). */
export default defineConfig({
  dialect: 'sqlite',
  schema: './shared/db/schema.ts',
  out: './migrations',
})
