import { defineConfig } from 'drizzle-kit'

// Dev tool only (drizzle-kit generate/studio); the app reads its config through src/config.ts.
export default defineConfig({
  dialect: 'postgresql',
  out: './drizzle',
  // index.ts, not the folder: clicks.ts must stay invisible to drizzle-kit (custom partitioned SQL).
  schema: './src/db/schema/index.ts',
  // Keep push/pull/studio away from the partitioned clicks table and its daily partitions.
  tablesFilter: ['!clicks', '!clicks_*'],
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  strict: true,
  verbose: true,
})
