import { foldRollups, vacuumRollupQueues } from '../db/rollups.ts'
import type { Store } from '../db/store.ts'
import type { Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { withTimeout } from '../shared/timeout.ts'
import type { ClickBuffer, ClickRecord } from './click-buffer.ts'
import { CLICK_COLUMNS, type ClickEncoder } from './click-encoder.ts'
import type { ClickJournal } from './click-journal.ts'
import type { ClickWal } from './click-wal.ts'

export interface FlusherStats {
  flushed: number
  journaled: number
  replayed: number
  failures: number
  healthy: boolean
  /** Why the journal last refused a write (disk full, unwritable), until it takes one again. */
  journalError: string | null
  /** Clicks neither Postgres nor the journal has taken yet, held in memory (bounded: see unsavedMax). */
  unsaved: number
  /** Clicks given up in memory past that bound (the WAL, when on, still has them for the next start). */
  dropped: number
}

export interface FlusherOptions {
  readonly store: Store
  readonly buffer: ClickBuffer
  readonly encoder: ClickEncoder
  readonly journal: ClickJournal
  /** Where each click is written as it is served (absent: no protection against the process being killed). */
  readonly wal?: ClickWal
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
// The queue's dead rows are reclaimed this often (see vacuumRollupQueues): ~50k at 5,000 clicks/s.
const VACUUM_EVERY_MS = 10_000

/**
 * Moves clicks from the ring buffer into Postgres every intervalMs (or sooner, when maxRows are waiting).
 * A failed batch goes straight to the journal, and while Postgres is unreachable every batch does; the
 * journal is replayed as soon as a probe succeeds. So memory stays bounded and nothing is dropped.
 */
export function createClickFlusher(o: FlusherOptions) {
  const stats: FlusherStats = {
    flushed: 0,
    journaled: 0,
    replayed: 0,
    failures: 0,
    healthy: true,
    journalError: null,
    unsaved: 0,
    dropped: 0,
  }
  // Batches the journal refused while Postgres was away, oldest first: retried on every flush.
  const unsaved: { text: string; records: readonly ClickRecord[] }[] = []
  const unsavedMax = o.buffer.capacity
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = true
  let running: Promise<void> | undefined
  let retryAt = 0
  let retryDelay = 50
  let rollupAt = 0
  let vacuumAt = Date.now() + VACUUM_EVERY_MS
  let rolling: Promise<void> | undefined

  /** wait = false: skip when another host is folding (it takes these rows, or its next run does). */
  const applyRollups = (wait: boolean): Promise<void> => {
    rollupAt = Date.now() + ROLLUP_EVERY_MS
    const vacuum = Date.now() >= vacuumAt
    if (vacuum) vacuumAt = Date.now() + VACUUM_EVERY_MS
    // Chained, so a drain's fold starts after a periodic one and sees whatever that one left.
    const run = (rolling ?? Promise.resolve())
      .then(() => foldRollups(o.store, wait))
      .then(
        () => undefined,
        (err) =>
          o.log.warn({ err }, 'folding queued clicks into the stats rollups failed; retried next time'),
      )
      .then(() =>
        vacuum
          ? vacuumRollupQueues(o.store).catch((err) =>
              o.log.warn({ err }, 'vacuuming the rollup queues failed; retried next time'),
            )
          : undefined,
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

  /** The records are in Postgres or the journal: their WAL slots are free (seq 0: a click without one). */
  const durable = (records: readonly ClickRecord[]) => {
    if (!o.wal) return
    let from = 0
    let to = 0
    for (const r of records)
      if (r.seq) {
        if (!from) from = r.seq
        to = r.seq + 1
      }
    o.wal.durableThrough(from, to)
  }

  /** Synchronous, so the ring's onFull can call it from the request path as a last resort (it never throws). */
  const spill = (n = o.buffer.size) => {
    const { text, records } = encode(Math.min(n, o.buffer.size))
    journal(text, records)
  }

  /** Appends to the journal; when the disk refuses, keeps the batch in memory instead of losing it. */
  const journal = (text: string, records: readonly ClickRecord[]): boolean => {
    try {
      o.journal.append(text)
    } catch (err) {
      if (stats.journalError === null)
        o.log.error(
          { err },
          'cannot write the click journal; clicks wait in memory until Postgres or the disk takes them',
        )
      stats.journalError = (err as Error).message
      unsaved.push({ text, records })
      stats.unsaved += records.length
      while (stats.unsaved > unsavedMax && unsaved.length > 1) {
        const gone = unsaved.shift() as (typeof unsaved)[number]
        stats.unsaved -= gone.records.length
        stats.dropped += gone.records.length
        o.log.error(
          { clicks: gone.records.length },
          'click memory bound reached with nowhere to write: clicks dropped',
        )
      }
      return false
    }
    if (stats.journalError !== null) o.log.info('the click journal takes writes again')
    stats.journalError = null
    stats.journaled += records.length
    durable(records)
    return true
  }

  // A journal that refused a write is tried again this often, so /readyz clears once the disk is fixed.
  let probeAt = 0
  const probeJournal = () => {
    if (stats.journalError === null || Date.now() < probeAt) return
    probeAt = Date.now() + PROBE_MS
    try {
      o.journal.probe()
    } catch (err) {
      stats.journalError = (err as Error).message
      return
    }
    o.log.info('the click journal takes writes again')
    stats.journalError = null
  }

  /** Offers the held batches to Postgres (when it answers) or else the journal, oldest first. */
  const retryUnsaved = async () => {
    while (unsaved.length) {
      const b = unsaved.shift() as (typeof unsaved)[number]
      stats.unsaved -= b.records.length
      const ok = stats.healthy ? await copyBatch(b.text, b.records) : journal(b.text, b.records)
      if (!ok) return
    }
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
      if (unsaved.length) await retryUnsaved()
      try {
        await recover()
      } catch (err) {
        markDown(err)
        return
      }
    }
    if (unsaved.length) await retryUnsaved()
    probeJournal()
    // Encode the next batch while Postgres takes the previous one: JS and Postgres work on different cores.
    let inFlight: Promise<boolean> | undefined
    while (o.buffer.size > 0) {
      const n = Math.min(o.maxRows, o.buffer.size)
      const { text, records } = encode(n)
      if (inFlight && !(await inFlight)) {
        journal(text, records)
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

  const copyBatch = async (text: string, records: readonly ClickRecord[]): Promise<boolean> => {
    const n = records.length
    try {
      await withTimeout(o.store.copyIn('clicks', CLICK_COLUMNS, text), STALL_MS, 'click COPY')
      stats.flushed += n
      durable(records)
      try {
        o.onStored?.(records)
      } catch (err) {
        o.log.warn({ err }, 'click feed listener failed; clicks are stored regardless')
      }
      return true
    } catch (err) {
      // Whether that batch committed is unknown: the journal replays it with duplicates skipped.
      journal(text, records)
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
      // Clicks a killed predecessor served but never stored become journal rows, replayed just below.
      try {
        o.wal?.open((records) => {
          o.journal.append(records.map((r) => o.encoder.encode(r)).join(''))
          o.log.warn({ clicks: records.length }, 'recovered clicks served before an unclean stop')
        })
      } catch (err) {
        o.log.error(
          { err },
          'no click WAL (clicks are buffered in memory only until stored): cannot write it',
        )
      }
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
      o.wal?.close()
      if (stats.healthy) await applyRollups(true)
    },
  }
  return { worker, stats, spill, flushNow: drain }
}

export type ClickFlusher = ReturnType<typeof createClickFlusher>
