import { createRuntime } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
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

export function testRuntime(store: Store, databaseUrl: string, env: Record<string, string> = {}) {
  const config = loadConfig({ ...testSecretsEnv, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...env })
  return createRuntime({ config, store, log: createLogger('silent') })
}

export function testApp(store: Store, databaseUrl: string) {
  return testRuntime(store, databaseUrl).app
}

export const get = (path: string, init?: RequestInit) => new Request(`http://localhost${path}`, init)
