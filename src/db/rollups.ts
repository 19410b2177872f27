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

/**
 * Reclaims the queue rows the folds deleted. Every click passes through click_rollup_queue (added by the COPY's
 * trigger, deleted by the fold about a second later), so at 5,000 clicks/s it gains 300k dead rows a minute, and
 * the next fold's DELETE reads every one of them again. Left to autovacuum (a minute apart at best; off on the
 * CI machine) the queue reached 1.25M dead rows and 199 MB, and the fold of one hot link's clicks 45–175 ms of
 * Postgres CPU every second instead of a few. SKIP_LOCKED: when another host is vacuuming it, that is enough.
 */
export async function vacuumRollupQueues(store: Store): Promise<void> {
  await store.query('vacuum (skip_locked) click_rollup_queue, sales_rollup_queue')
}
