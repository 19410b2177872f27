import { sql } from 'drizzle-orm'
import { rawRows } from './rows.ts'
import type { Store } from './store.ts'

/**
 * Folds the queued clicks (drizzle/0022) and queued commission/reversal deltas (drizzle/0024) into the stats
 * rollups; false when wait is false and another session is folding either. In a transaction so it holds a
 * connection of its own: postgres.js pipelines a plain query behind whatever its connection is running, and a
 * fold of a busy second took redirect cache-miss lookups queued behind it to ~1 s (bench:redirect p99).
 */
export async function foldRollups(store: Store, wait: boolean): Promise<boolean> {
  const [row] = await store.db.transaction((tx) =>
    rawRows<{ clicks: boolean; sales: boolean }>(
      tx,
      sql`select click_rollups_apply(${wait}) as clicks, sales_rollups_fold(${wait}) as sales`,
    ),
  )
  return row?.clicks === true && row.sales === true
}
