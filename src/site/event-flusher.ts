import type { Store } from '../db/store.ts'
import type { Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { isTransientDbError } from '../webhooks/service.ts'
import { FLUSH_SQL } from './flush-sql.ts'

// Snippet events are buffered like clicks: the request only appends to memory, and one statement per batch stores
// them and folds them into their sessions. Held in memory while Postgres is away (bounded: then 503, which the
// snippet's fetch fallback and the next page's events survive), drained on stop.

export interface PendingEvent {
  readonly id: string
  readonly received_at: string
  readonly kind: 'session' | 'pageview' | 'conversion'
  readonly merchant_id: string
  readonly origin: string
  readonly session_id: string
  readonly click_token: string | null
  readonly click_id: string | null
  /** The click's time, from its v7 id: the clicks partition to look in. */
  readonly clicked_at: string | null
  readonly click_status: string
  readonly url: string | null
  readonly referrer: string | null
  readonly user_agent: string | null
  readonly ip_hash: string | null
  readonly bot_score: number
  readonly order_id: string | null
  readonly revenue: string | null
  readonly currency: string | null
  readonly conversion_id: string | null
}

export interface EventFlusherOptions {
  readonly store: Store
  readonly log: Logger
  readonly intervalMs?: number
  readonly maxRows?: number
  /** Events held at most (waiting for Postgres); beyond it push refuses. */
  readonly capacity?: number
}

const MAX_RETRY_MS = 2_000
const STOP_DEADLINE_MS = 15_000

export function createEventFlusher(o: EventFlusherOptions) {
  const intervalMs = o.intervalMs ?? 20
  const maxRows = o.maxRows ?? 1_000
  const capacity = o.capacity ?? 200_000
  let queue: PendingEvent[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<void> | undefined
  let stopped = true
  let retryDelay = 50
  let retryAt = 0
  const stats = { stored: 0, failures: 0, refused: 0, dropped: 0, healthy: true }

  const store = (rows: readonly PendingEvent[]) => o.store.query(FLUSH_SQL, [JSON.stringify(rows)])

  /**
   * A batch Postgres refuses for its content (not for being away) is stored row by row, so one event the checks
   * missed cannot hold every later one back forever; only rows refused on their own are dropped, and logged.
   */
  async function storeApart(batch: readonly PendingEvent[]): Promise<void> {
    for (const row of batch)
      try {
        await store([row])
        stats.stored++
      } catch (err) {
        if (isTransientDbError(err)) throw err
        stats.dropped++
        o.log.error({ err, event: row }, 'site events: an event Postgres refuses was dropped')
      }
  }

  async function flushOnce(): Promise<void> {
    while (queue.length) {
      const batch = queue.slice(0, maxRows)
      try {
        await store(batch)
        stats.stored += batch.length
      } catch (err) {
        if (isTransientDbError(err)) throw err
        await storeApart(batch)
      }
      queue = queue.slice(batch.length)
    }
  }

  function flush(): Promise<void> {
    running ??= flushOnce()
      .then(
        () => {
          stats.healthy = true
          retryDelay = 50
        },
        (err) => {
          stats.failures++
          stats.healthy = false
          retryAt = Date.now() + retryDelay
          retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS)
          o.log.warn({ err, waiting: queue.length }, 'site events: flush failed, kept in memory')
        },
      )
      .finally(() => {
        running = undefined
      })
    return running
  }

  function schedule() {
    if (stopped) return
    timer = setTimeout(async () => {
      if (queue.length && Date.now() >= retryAt) await flush()
      schedule()
    }, intervalMs)
  }

  const worker: Worker = {
    name: 'site-event-flusher',
    start() {
      stopped = false
      schedule()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      // Everything accepted is stored before the process exits, unless Postgres stays away past the deadline.
      const deadline = Date.now() + STOP_DEADLINE_MS
      while (queue.length || running) {
        await (running ?? flush())
        if (queue.length && Date.now() > deadline) {
          o.log.error({ lost: queue.length }, 'site events: Postgres unreachable at shutdown')
          return
        }
        if (queue.length) await Bun.sleep(Math.min(retryDelay, 200))
      }
    },
  }

  return {
    worker,
    stats,
    /** False when the buffer is full (Postgres away for long): the caller answers 503. */
    push(e: PendingEvent): boolean {
      if (queue.length >= capacity) {
        stats.refused++
        return false
      }
      queue.push(e)
      if (queue.length >= maxRows && !running && Date.now() >= retryAt) void flush()
      return true
    },
    get waiting() {
      return queue.length
    },
    /** Stores what is waiting now (tests, and anything that must read its own events at once). */
    flush: async () => {
      while (running) await running
      if (queue.length) await flush()
    },
  }
}

export type EventFlusher = ReturnType<typeof createEventFlusher>
