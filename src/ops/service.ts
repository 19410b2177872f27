import { migrationStatus } from '../db/migrate.ts'
import type { Store } from '../db/store.ts'

export interface ClickCheck {
  ok: boolean
  /** The flusher's last COPY worked (false: clicks go to the journal). */
  postgres: boolean
  /** Clicks are written to the WAL as they are served (survive a kill). */
  wal: boolean
  buffered: number
  unsaved: number
  dropped: number
  journalError?: string
}

export interface Readiness {
  ready: boolean
  checks: {
    database: { ok: boolean; error?: string }
    migrations: { ok: boolean; pending?: string[] }
    clicks?: ClickCheck
  }
}

/** Ready means this host can serve every route: the database answers and its schema is the one this binary expects. */
// A click check that fails does not make the host unready: it still redirects and stores clicks in Postgres;
// the check is there for the operator (and alerting) to see that a disk problem removed the safety net.
export async function checkReadiness({
  store,
  clicks,
}: {
  store: Store
  clicks?: () => ClickCheck
}): Promise<Readiness> {
  const c = clicks ? { clicks: clicks() } : {}
  try {
    const status = await migrationStatus(store.db)
    const migrations =
      status.pending.length === 0 ? { ok: true } : { ok: false, pending: [...status.pending] }
    return { ready: migrations.ok, checks: { database: { ok: true }, migrations, ...c } }
  } catch (err) {
    return {
      ready: false,
      checks: { database: { ok: false, error: (err as Error).message }, migrations: { ok: false }, ...c },
    }
  }
}
