import { migrationStatus } from '../db/migrate.ts'
import type { Store } from '../db/store.ts'

export interface Readiness {
  ready: boolean
  checks: { database: { ok: boolean; error?: string }; migrations: { ok: boolean; pending?: string[] } }
}

/** Ready means this host can serve every route: the database answers and its schema is the one this binary expects. */
export async function checkReadiness({ store }: { store: Store }): Promise<Readiness> {
  try {
    const status = await migrationStatus(store.db)
    const migrations =
      status.pending.length === 0 ? { ok: true } : { ok: false, pending: [...status.pending] }
    return { ready: migrations.ok, checks: { database: { ok: true }, migrations } }
  } catch (err) {
    return {
      ready: false,
      checks: { database: { ok: false, error: (err as Error).message }, migrations: { ok: false } },
    }
  }
}
