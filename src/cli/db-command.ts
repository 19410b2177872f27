import type { Config } from '../config.ts'
import { openStore } from '../db/client.ts'
import { migrationStatus } from '../db/migrate.ts'
import type { Store } from '../db/store.ts'

export type Write = (text: string) => void

export const stdout: Write = (text) => void process.stdout.write(text)
export const stderr: Write = (text) => void process.stderr.write(text)

/**
 * Runs an operator command against the configured database, refusing (exit 1) when migrations are pending:
 * against an older schema a check or a write would fail half-way. An unreachable database throws
 * DatabaseUnavailableError from openStore, which main maps to exit 1.
 */
export async function withCurrentSchema(
  config: Config,
  err: Write,
  run: (store: Store) => Promise<number>,
): Promise<number> {
  const store = await openStore(config)
  try {
    const { pending } = await migrationStatus(store.db)
    if (pending.length > 0) {
      err(`skinstack: the database has pending migrations (${pending.join(', ')}); run 'skinstack migrate'\n`)
      return 1
    }
    return await run(store)
  } finally {
    await store.close()
  }
}
