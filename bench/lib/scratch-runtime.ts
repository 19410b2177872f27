// A throwaway migrated + demo-seeded database and an in-process runtime on it, for the micro benches.
import postgres from 'postgres'
import { createRuntime } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { migrate } from '../../src/db/migrate.ts'
import { openPostgres } from '../../src/db/postgres.ts'
import { seedDemo } from '../../src/db/seed-demo.ts'
import type { Store } from '../../src/db/store.ts'
import { createLogger } from '../../src/shared/logger.ts'

export async function withScratchRuntime(
  name: string,
  env: Record<string, string>,
  fn: (ctx: { store: Store; rt: ReturnType<typeof createRuntime> }) => Promise<void>,
): Promise<void> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const db = `skinstack_${name}_${process.pid}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${db}`)
  const url = new URL(adminUrl)
  url.pathname = `/${db}`
  // BENCH_PG_SOCKET=/var/run/postgresql: the runtime talks to Postgres over its Unix socket instead of TCP.
  if (process.env.BENCH_PG_SOCKET) url.searchParams.set('host', process.env.BENCH_PG_SOCKET)
  const store = openPostgres({ url: url.toString(), poolSize: 4 })
  try {
    await migrate(store.db)
    await seedDemo(store.db)
    const config = loadConfig({
      DATABASE_URL: url.toString(),
      CLICK_ID_KEYS: `b1:${'11'.repeat(32)}`,
      IP_HASH_SALT: '22'.repeat(16),
      MASTER_KEY: '33'.repeat(32),
      CLICK_JOURNAL_DIR: `/tmp/skinstack-${name}-${process.pid}`,
      ...env,
    })
    await fn({ store, rt: createRuntime({ config, store, log: createLogger('warn') }) })
  } finally {
    await store.close()
    await admin.unsafe(`drop database ${db} with (force)`)
    await admin.end()
  }
}
