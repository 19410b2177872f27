import type { Config } from '../config.ts'
import type { Db } from '../db/store.ts'
import { type Delivery, type IntakeResult, ingest, ingestIn } from './pipeline.ts'

// A delivery's transaction is about 16 statements, each a round trip, and a round trip costs the server more CPU
// than the statement does (sequential select 1: ~90 µs wall and ~65 µs of Bun CPU; pipelined: ~15 µs). So
// deliveries that arrive while others are being stored share one transaction: their statements interleave and
// travel pipelined on one connection, and a batch of 16 costs about the round trips of one. Under light load
// every batch holds one delivery and this is plain ingest.

/** Deliveries per transaction: bounds what one failure sends back to be redone one by one. */
const MAX_BATCH = 32
/** Batches at once: leaves the rest of the pool to everything else. */
const MAX_IN_FLIGHT = 2

export interface IngestBatcher {
  submit(d: Delivery): Promise<IntakeResult>
}

interface Waiting {
  readonly d: Delivery
  readonly keys: readonly string[]
  readonly resolve: (r: IntakeResult) => void
  readonly reject: (e: unknown) => void
}

/**
 * What must not share a transaction: the event's dedupe key and each of its orders. Two deliveries of one
 * event, or two events of one order (a sale and its refund, two topics), are serialised by row and advisory
 * locks, which do not separate work inside one transaction; such a delivery waits for a later batch.
 */
function keysOf(d: Delivery): string[] {
  const keys = [`event\0${d.source}\0${d.merchantId}\0${d.externalId}`]
  for (const e of d.events) keys.push(`order\0${d.merchantId}\0${e.orderId}`)
  return keys
}

export function createIngestBatcher(o: {
  db: Db
  config: Config
  maxBatch?: number
  maxInFlight?: number
}): IngestBatcher {
  const maxBatch = o.maxBatch ?? MAX_BATCH
  const maxInFlight = o.maxInFlight ?? MAX_IN_FLIGHT
  const queue: Waiting[] = []
  let inFlight = 0
  // Keys of the batches being stored: a delivery sharing one waits, so this host's batches never contend for an
  // order's lock (which would cost a batch its turn, or deadlock two batches locking orders in opposite orders).
  const busy = new Set<string>()

  const alone = (w: Waiting) => ingest(o.db, o.config, w.d).then(w.resolve, w.reject)

  const run = async (batch: Waiting[]) => {
    if (batch.length === 1) return alone(batch[0] as Waiting)
    let results: IntakeResult[]
    try {
      results = await o.db.transaction(async (tx) => {
        const settled = await Promise.allSettled(batch.map((w) => ingestIn(tx, o.config, w.d)))
        const failed = settled.find((s) => s.status === 'rejected')
        if (failed) throw failed.reason
        return settled.map((s) => (s as PromiseFulfilledResult<IntakeResult>).value)
      })
    } catch {
      // Nothing of the batch committed. Each delivery goes again in its own transaction, where a failure is
      // kept on the delivery that caused it and the others succeed.
      await Promise.all(batch.map(alone))
      return
    }
    batch.forEach((w, i) => w.resolve(results[i] as IntakeResult))
  }

  const take = (): Waiting[] => {
    const taken: Waiting[] = []
    const used = new Set<string>()
    const rest: Waiting[] = []
    for (const w of queue) {
      if (taken.length < maxBatch && w.keys.every((k) => !used.has(k) && !busy.has(k))) {
        taken.push(w)
        for (const k of w.keys) used.add(k)
      } else rest.push(w)
    }
    queue.splice(0, queue.length, ...rest)
    return taken
  }

  const pump = () => {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = take()
      if (batch.length === 0) return
      const keys = batch.flatMap((w) => w.keys)
      for (const k of keys) busy.add(k)
      inFlight++
      void run(batch).finally(() => {
        for (const k of keys) busy.delete(k)
        inFlight--
        pump()
      })
    }
  }

  return {
    submit: (d) =>
      new Promise<IntakeResult>((resolve, reject) => {
        queue.push({ d, keys: keysOf(d), resolve, reject })
        pump()
      }),
  }
}
