import { foldRollups } from '../db/rollups.ts'
import type { Store } from '../db/store.ts'
import type { Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { withTimeout } from '../shared/timeout.ts'
import type { ClickBuffer, ClickRecord } from './click-buffer.ts'
import { CLICK_COLUMNS, type ClickEncoder } from './click-encoder.ts'
import type { ClickJournal } from './click-journal.ts'

export interface FlusherStats {
  flushed: number
  journaled: number
  replayed: number
  failures: number
  healthy: boolean
}

export interface FlusherOptions {
  readonly store: Store
  readonly buffer: ClickBuffer
  readonly encoder: ClickEncoder
  readonly journal: ClickJournal
  readonly log: Logger
  readonly intervalMs: number
  readonly maxRows: number
  /** Told of every batch once it has committed (not of journaled ones): the live feed's source of clicks. */
  readonly onStored?: (records: readonly ClickRecord[]) => void
}

const MAX_RETRY_MS = 1000
// A COPY on a connection that died mid-write can stay pending forever (postgres.js): give up on it, journal the
// batch (its replay skips duplicates, should it have committed after all) and carry on.
const STALL_MS = 10_000
const PROBE_MS = 2_000
// Clicks are queued for the stats rollups by the COPY's trigger and folded in this often (drizzle/0022): a rollup
// group is then upserted once a second rather than once per batch, which was most of Postgres' work per click.
const ROLLUP_EVERY_MS = 1_000

/**
 * Moves clicks from the ring buffer into Postgres every intervalMs (or sooner, when maxRows are waiting).
 * A failed batch goes straight to the journal, and while Postgres is unreachable every batch does; the
 * journal is replayed as soon as a probe succeeds. So memory stays bounded and nothing is dropped.
 */
export function createClickFlusher(o: FlusherOptions) {
  const stats: FlusherStats = { flushed: 0, journaled: 0, replayed: 0, failures: 0, healthy: true }
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = true
  let running: Promise<void> | undefined
  let retryAt = 0
  let retryDelay = 50
  let rollupAt = 0
  let rolling: Promise<void> | undefined

  /** wait = false: skip when another host is folding (it takes these rows, or its next run does). */
  const applyRollups = (wait: boolean): Promise<void> => {
    rollupAt = Date.now() + ROLLUP_EVERY_MS
    // Chained, so a drain's fold starts after a periodic one and sees whatever that one left.
    const run = (rolling ?? Promise.resolve())
      .then(() => foldRollups(o.store, wait))
      .then(
        () => undefined,
        (err) =>
          o.log.warn({ err }, 'folding queued clicks into the stats rollups failed; retried next time'),
      )
    rolling = run
    void run.then(() => {
      if (rolling === run) rolling = undefined
    })
    return run
  }

  const encode = (n: number) => {
    let text = ''
    const records = o.buffer.take(n)
    for (const rec of records) text += o.encoder.encode(rec)
    return { text, records }
  }

  /** Synchronous, so the ring's onFull can call it from the request path as a last resort. */
  const spill = (n = o.buffer.size) => {
    const count = Math.min(n, o.buffer.size)
    o.journal.append(encode(count).text)
    stats.journaled += count
  }

  const markDown = (err: unknown) => {
    stats.failures++
    if (stats.healthy) o.log.error({ err }, 'click flush failed; journaling clicks until Postgres answers')
    stats.healthy = false
    retryAt = Date.now() + retryDelay
    retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS)
  }

  const recover = async () => {
    // A cheap probe first: a transaction (the replay) opened while Postgres is still down can hang in
    // postgres.js long after it returns, whereas a plain query fails fast and reconnects.
    await withTimeout(o.store.query('select 1'), PROBE_MS, 'database probe')
    const r = await withTimeout(o.journal.replay(o.store), STALL_MS * 6, 'click journal replay')
    stats.replayed += r.rows
    if (!stats.healthy)
      o.log.info({ replayedRows: r.rows, files: r.files }, 'Postgres back; click journal replayed')
    stats.healthy = true
    retryDelay = 50
  }

  const flushOnce = async (): Promise<void> => {
    if (!stats.healthy) {
      if (o.buffer.size > 0) spill()
      if (Date.now() < retryAt) return
      try {
        await recover()
      } catch (err) {
        markDown(err)
        return
      }
    }
    // Encode the next batch while Postgres takes the previous one: JS and Postgres work on different cores.
    let inFlight: Promise<boolean> | undefined
    while (o.buffer.size > 0) {
      const n = Math.min(o.maxRows, o.buffer.size)
      const { text, records } = encode(n)
      if (inFlight && !(await inFlight)) {
        journal(text, n)
        return
      }
      inFlight = copyBatch(text, records)
      if (!stopped && o.buffer.size < o.maxRows) break
    }
    await inFlight
    if (stats.healthy && !rolling && Date.now() >= rollupAt) void applyRollups(false)
  }

  /** Flushes, then folds every queued click into the rollups (drains and tests read exact stats after it). */
  const drain = async () => {
    await (running ?? flushOnce())
    await applyRollups(true)
  }

  const journal = (text: string, n: number) => {
    o.journal.append(text)
    stats.journaled += n
  }

  const copyBatch = async (text: string, records: readonly ClickRecord[]): Promise<boolean> => {
    const n = records.length
    try {
      await withTimeout(o.store.copyIn('clicks', CLICK_COLUMNS, text), STALL_MS, 'click COPY')
      stats.flushed += n
      try {
        o.onStored?.(records)
      } catch (err) {
        o.log.warn({ err }, 'click feed listener failed; clicks are stored regardless')
      }
      return true
    } catch (err) {
      // Whether that batch committed is unknown: the journal replays it with duplicates skipped.
      journal(text, n)
      markDown(err)
      return false
    }
  }

  const loop = () => {
    running = flushOnce().finally(() => {
      running = undefined
      if (!stopped) timer = setTimeout(loop, o.intervalMs)
    })
  }

  const worker: Worker = {
    name: 'click-flusher',
    async start() {
      stopped = false
      if (o.journal.hasPending()) await recover().catch(markDown)
      loop()
    },
    /** Drains: whatever is buffered reaches Postgres or, failing that, the journal. */
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
      await flushOnce()
      if (o.buffer.size > 0) spill()
      if (stats.healthy) await applyRollups(true)
    },
  }
  return { worker, stats, spill, flushNow: drain }
}

export type ClickFlusher = ReturnType<typeof createClickFlusher>
