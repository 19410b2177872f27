import { and, eq, inArray, sql } from 'drizzle-orm'
import { settleConversion } from '../attribution/service.ts'
import type { Config } from '../config.ts'
import { conversions, webhookEvents } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import type { EventSource, NormalizedEvent } from './adapter.ts'
import { storeConversion } from './conversions.ts'
import { failureMessage, isTransientDbError } from './failures.ts'

// The exactly-once core every way in shares: a webhook delivery, a replayed event and a CSV report row all
// end here with their normalized events, and store → attribute → commission in one transaction.

export interface IntakeResult {
  readonly duplicate: boolean
  readonly eventId: string
  readonly conversionIds: string[]
  /** How many of conversionIds this call stored (0 for a repeat, or an order another report already gave). */
  readonly created: number
}

/** One delivery (or report row) that passed authentication and normalization, ready to store. */
export interface Delivery {
  readonly source: EventSource
  readonly merchantId: string
  /** The dedupe key within source + merchant: the provider's event id, or one derived from the content. */
  readonly externalId: string
  /** As received, minus the headers that authenticate the caller. */
  readonly headers: Record<string, string>
  readonly rawBody: string
  readonly events: readonly NormalizedEvent[]
}

/** Processing failed for a reason a retry will meet again; the event is kept as 'failed' with the error. */
export class EventFailedError extends Error {
  override name = 'EventFailedError'
  constructor(
    readonly eventId: string,
    override readonly cause: unknown,
  ) {
    super(`event ${eventId} failed: ${failureMessage(cause)}`)
  }
}

/**
 * Stores the event and its conversions, and settles each new conversion, in one transaction. The first
 * delivery of a key does the work; a repeat of a processed (or ignored) event changes nothing and returns
 * what the first stored; a repeat of a failed event completes it. Serialised per event by its row lock.
 * A non-transient failure is recorded on the event row (committed on its own) and thrown as EventFailedError.
 */
export async function ingest(db: Db, config: Config, d: Delivery): Promise<IntakeResult> {
  try {
    return await db.transaction((tx) => ingestIn(tx, config, d))
  } catch (err) {
    if (isTransientDbError(err)) throw err
    const eventId = await recordFailure(db, d, err).catch(() => undefined)
    throw eventId ? new EventFailedError(eventId, err) : err
  }
}

/**
 * ingest's work inside a transaction the caller owns (batch.ts runs several deliveries in one). Deliveries sharing
 * a transaction must not share an event key or an order: the row and advisory locks that serialise those do not
 * separate work done under one transaction.
 */
export async function ingestIn(tx: Db, config: Config, d: Delivery): Promise<IntakeResult> {
  const [event] = await tx
    .insert(webhookEvents)
    .values({
      ...row(d),
      status: d.events.length ? 'processed' : 'ignored',
      attempts: 1,
      processedAt: new Date(),
    })
    .onConflictDoNothing()
    .returning({ id: webhookEvents.id })
  if (event) return { duplicate: false, eventId: event.id, ...(await settle(tx, config, d, event.id)) }
  // Stored before: a processed (or ignored) event is answered as a repeat, from one read.
  const first = await duplicateOf(tx, d)
  if (first) return first
  // Pending (a failed attempt): this call completes it, under the row lock, so a concurrent retry or
  // replay of the same event waits and then finds it done.
  const [prior] = await tx
    .select({ id: webhookEvents.id, status: webhookEvents.status })
    .from(webhookEvents)
    .where(keyOf(d))
    .for('update')
  if (!prior) throw new Error('duplicate delivery vanished')
  if (!PENDING.includes(prior.status)) {
    const done = await duplicateOf(tx, d)
    if (!done) throw new Error('processed event without its row')
    return done
  }
  const settled = await settle(tx, config, d, prior.id)
  await tx
    .update(webhookEvents)
    .set({
      status: d.events.length ? 'processed' : 'ignored',
      processedAt: new Date(),
      attempts: sql`${webhookEvents.attempts} + 1`,
      error: null,
    })
    .where(eq(webhookEvents.id, prior.id))
  return { duplicate: false, eventId: prior.id, ...settled }
}

/** Events not (yet) processed: a retry or replay completes them. */
const PENDING: readonly string[] = ['received', 'failed']

const keyOf = (d: Pick<Delivery, 'source' | 'merchantId' | 'externalId'>) =>
  and(
    eq(webhookEvents.source, d.source),
    eq(webhookEvents.merchantId, d.merchantId),
    eq(webhookEvents.externalId, d.externalId),
  )

// Every stored event was authenticated on receipt (signature, or the admin key for a report upload).
const row = (d: Delivery) => ({
  source: d.source,
  externalId: d.externalId,
  merchantId: d.merchantId,
  headers: d.headers,
  rawBody: d.rawBody,
  signatureValid: true,
})

async function settle(tx: Db, config: Config, d: Delivery, eventId: string) {
  const conversionIds: string[] = []
  let created = 0
  for (const e of d.events) {
    const stored = await storeConversion(tx, { config, source: d.source }, d.merchantId, eventId, e)
    // Attribution, commissions and ledger commit with the event, or not at all.
    if (stored.created) {
      await settleConversion(tx, stored.row ?? stored.id, { fresh: true, heldRefunds: stored.adoptedRefunds })
      created++
    }
    conversionIds.push(stored.id)
  }
  return { conversionIds, created }
}

/**
 * Keeps the event (in its own statement: the transaction that failed is gone) as 'failed' with the error,
 * so it is visible and replayable. A concurrent delivery that succeeded meanwhile is left as it is.
 */
async function recordFailure(db: Db, d: Delivery, err: unknown): Promise<string | undefined> {
  const error = failureMessage(err)
  const [event] = await db
    .insert(webhookEvents)
    .values({ ...row(d), status: 'failed', attempts: 1, error })
    .onConflictDoUpdate({
      target: [webhookEvents.source, webhookEvents.merchantId, webhookEvents.externalId],
      set: { attempts: sql`${webhookEvents.attempts} + 1`, error },
      setWhere: inArray(webhookEvents.status, ['received', 'failed']),
    })
    .returning({ id: webhookEvents.id })
  return event?.id
}

/**
 * A processed (or ignored) event and its conversions, in one round trip; undefined if it was never stored or
 * is still pending (a retry must then go through ingest and complete it).
 */
export async function duplicateOf(
  db: Db,
  key: Pick<Delivery, 'source' | 'merchantId' | 'externalId'>,
): Promise<IntakeResult | undefined> {
  const rows = await db
    .select({ eventId: webhookEvents.id, status: webhookEvents.status, conversionId: conversions.id })
    .from(webhookEvents)
    .leftJoin(conversions, eq(conversions.webhookEventId, webhookEvents.id))
    .where(keyOf(key))
    // v7 ids sort by creation: the same order the first delivery answered with.
    .orderBy(conversions.id)
  const first = rows[0]
  if (!first || PENDING.includes(first.status)) return undefined
  const conversionIds = rows.flatMap((r) => (r.conversionId ? [r.conversionId] : []))
  return { duplicate: true, eventId: first.eventId, conversionIds, created: 0 }
}
