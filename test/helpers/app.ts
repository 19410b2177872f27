import { afterAll } from 'bun:test'
import { createRuntime } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { Lifecycle } from '../../src/lifecycle.ts'
import type { Store } from '../../src/db/store.ts'
import { createLogger } from '../../src/shared/logger.ts'

export const testSecretsEnv = {
  CLICK_ID_KEYS: `t1:${'11'.repeat(32)}`,
  IP_HASH_SALT: '22'.repeat(16),
  MASTER_KEY: '33'.repeat(32),
  // Grants /api/v1 in tests; send it with `Authorization: Bearer ${testAdminKey}`.
  ADMIN_API_KEY: 'test-admin-key-0123456789abcdef',
}

export const testAdminKey = testSecretsEnv.ADMIN_API_KEY

export function testConfig(databaseUrl: string) {
  return loadConfig({ ...testSecretsEnv, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' })
}

type Feed = Parameters<typeof createRuntime>[0]['feed']

export function testRuntime(
  store: Store,
  databaseUrl: string,
  env: Record<string, string> = {},
  feed?: Feed,
) {
  // No click WAL in process (test/binary covers it): a runtime a test never stops would leave live slots for the
  // next run's first runtime to recover into its own database.
  const config = loadConfig({
    ...testSecretsEnv,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    CLICK_WAL_SLOTS: '0',
    ...env,
  })
  return createRuntime({ config, store, log: createLogger('silent'), feed })
}

export function testApp(store: Store, databaseUrl: string) {
  return testRuntime(store, databaseUrl).app
}

export const get = (path: string, init?: RequestInit) => new Request(`http://localhost${path}`, init)

/**
 * The whole runtime listening on a loopback port with its workers running (flusher, LISTEN), as a host
 * runs it; stopped (and drained) after the calling test file.
 */
export async function startTestServer(
  store: Store,
  databaseUrl: string,
  env: Record<string, string> = {},
  feed?: Feed,
) {
  const rt = testRuntime(
    store,
    databaseUrl,
    {
      CLICK_JOURNAL_DIR: `/tmp/skinstack-test-journal-${process.pid}-${Math.random().toString(36).slice(2)}`,
      ...env,
    },
    feed,
  )
  const lifecycle = new Lifecycle(createLogger('silent'))
  await lifecycle.start(rt.workers)
  const server = rt.app.listen({ port: 0, hostname: '127.0.0.1' }).server
  afterAll(async () => {
    await rt.app.stop(true)
    await lifecycle.stop()
  })
  return { rt, base: `http://127.0.0.1:${server?.port}` }
}
