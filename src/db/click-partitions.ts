import type { Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import type { Store } from './store.ts'

const DAY_MS = 86_400_000

/** Creates clicks_YYYYMMDD partitions from yesterday to `daysAhead` days out; returns how many were new. */
export async function ensureClickPartitions(store: Store, daysAhead = 7, now = new Date()): Promise<number> {
  const from = new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10)
  const [row] = await store.query<{ created: number }>(
    'select ensure_click_partitions($1::date, $2) as created',
    [from, daysAhead + 2],
  )
  return Number(row?.created ?? 0)
}

/** Drops whole-day partitions older than retentionDays (0 keeps everything); returns the dropped names. */
export async function dropExpiredClickPartitions(
  store: Store,
  retentionDays: number,
  now = new Date(),
): Promise<string[]> {
  if (retentionDays <= 0) return []
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS)
    .toISOString()
    .slice(0, 10)
    .replaceAll('-', '')
  const parts = await store.query<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'clicks'::regclass and c.relname ~ '^clicks_[0-9]{8}$'`,
  )
  // A partition named for day D holds only D's clicks, so it may go once D is before the cutoff day.
  const expired = parts.map((p) => p.name).filter((n) => n.slice(7) < cutoff)
  for (const name of expired) await store.query(`drop table if exists "${name}"`)
  return expired
}

/**
 * Deletes click_visitors rows of UTC days more than `keepDays` before today's (so today and the `keepDays` days
 * before it stay); returns how many went. They only decide whether a click is its visitor's first on a link that
 * day, and clicks that late arrive only from a journal replayed days after an outage (such a click would count
 * as unique again).
 */
export async function pruneClickVisitors(store: Store, keepDays = 2, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - keepDays * DAY_MS).toISOString().slice(0, 10)
  const [row] = await store.query<{ n: number }>(
    'with d as (delete from click_visitors where day < $1::date returning 1) select count(*)::int as n from d',
    [cutoff],
  )
  return Number(row?.n ?? 0)
}

/**
 * Keeps a week of click partitions ahead of the clock and drops those past retention; prunes click_visitors. Every host runs it (the SQL takes an advisory
 * lock); a missed run only means clicks land in clicks_default until the next one moves them.
 */
export function clickPartitionWorker(opts: {
  store: Store
  log: Logger
  retentionDays: number
  intervalMs?: number
}): Worker {
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<void> = Promise.resolve()
  const tick = () => {
    running = ensureClickPartitions(opts.store)
      .then(async (created) => {
        if (created) opts.log.info({ created }, 'click partitions created')
        const dropped = await dropExpiredClickPartitions(opts.store, opts.retentionDays)
        if (dropped.length) opts.log.info({ dropped }, 'click partitions past retention dropped')
        const visitors = await pruneClickVisitors(opts.store)
        if (visitors) opts.log.info({ visitors }, 'click visitors of past days deleted')
      })
      .catch((err) => opts.log.error({ err }, 'click partition maintenance failed'))
  }
  return {
    name: 'click-partitions',
    async start() {
      tick()
      await running
      timer = setInterval(tick, opts.intervalMs ?? 6 * 3_600_000)
      timer.unref?.()
    },
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
