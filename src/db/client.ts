import { join } from 'node:path'
import type { Config } from '../config.ts'
import { redactUrl } from '../config.ts'
import { openPglite } from './pglite.ts'
import { openPostgres } from './postgres.ts'
import type { Store } from './store.ts'
import { withTimeout } from '../shared/timeout.ts'

/** The database cannot be used; main prints the message (no stack) and exits 1. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError'
}

/** Opens the configured database and proves it answers, so a bad DATABASE_URL fails at start, not on the first click. */
export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'poolSize'>,
): Promise<Store> {
  if (!config.databaseUrl) {
    try {
      return await openPglite({ dataDir: join(config.dataDir, 'pglite') })
    } catch (err) {
      throw new DatabaseUnavailableError(`cannot open the embedded database: ${(err as Error).message}`)
    }
  }
  const store = openPostgres({
    url: config.databaseUrl,
    poolSize: config.poolSize,
    connectTimeoutSeconds: CONNECT_TIMEOUT_S,
  })
  try {
    // connect_timeout does not cover a host that accepts and closes at once: postgres.js retries that forever.
    await withTimeout(
      store.query('select 1'),
      (CONNECT_TIMEOUT_S + 1) * 1000,
      'connecting',
      'CONNECT_TIMEOUT',
    )
    return store
  } catch (err) {
    await store.close().catch(() => {})
    throw new DatabaseUnavailableError(
      `cannot connect to DATABASE_URL ${redactUrl(config.databaseUrl)}: ${describePgError(err)}`,
    )
  }
}

const CONNECT_TIMEOUT_S = 5

function describePgError(err: unknown): string {
  const e = err as { code?: string; message?: string }
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is Postgres running and listening there?)'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found'
    case 'CONNECT_TIMEOUT':
      return 'timed out connecting'
    case '3D000':
      return `database does not exist (${e.message})`
    case '28P01':
    case '28000':
      return `authentication failed (${e.message})`
    default:
      return e.message ?? String(err)
  }
}
