import { createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import type { Store } from '../../src/db/store.ts'
import { createLogger } from '../../src/shared/logger.ts'

export const testSecretsEnv = {
  CLICK_ID_KEYS: `t1:${'11'.repeat(32)}`,
  IP_HASH_SALT: '22'.repeat(16),
  MASTER_KEY: '33'.repeat(32),
}

export function testConfig(databaseUrl: string) {
  return loadConfig({ ...testSecretsEnv, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' })
}

export function testApp(store: Store, databaseUrl: string) {
  return createApp({ config: testConfig(databaseUrl), store, log: createLogger('silent') })
}

export const get = (path: string, init?: RequestInit) => new Request(`http://localhost${path}`, init)
