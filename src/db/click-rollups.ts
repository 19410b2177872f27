import { sql } from 'drizzle-orm'
import { rawRows } from './rows.ts'
import type { Store } from './store.ts'

/**
 * Folds the clicks queued by the clicks trigger into the stats rollups (drizzle/0022); false when wait is false
 * and another session is folding. In a transaction so it holds a connection of its own: postgres.js pipelines a
 * plain query behind whatever its connection is running, and a fold of a busy second took redirect cache-miss
 * lookups queued behind it to ~1 s (bench:redirect p99).
 */
export async function foldClickRollups(store: Store, wait: boolean): Promise<boolean> {
  const [row] = await store.db.transaction((tx) =>
    rawRows<{ ok: boolean }>(tx, sql`select click_rollups_apply(${wait}) as ok`),
  )
  return row?.ok === true
}
