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

/**
 * Keeps a week of click partitions ahead of the clock. Every host runs it (the SQL takes an advisory
 * lock); a missed run only means clicks land in clicks_default until the next one moves them.
 */
export function clickPartitionWorker(opts: { store: Store; log: Logger; intervalMs?: number }): Worker {
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<void> = Promise.resolve()
  const tick = () => {
    running = ensureClickPartitions(opts.store)
      .then((created) => {
        if (created) opts.log.info({ created }, 'click partitions created')
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
