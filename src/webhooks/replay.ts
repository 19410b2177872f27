import { asc, eq } from 'drizzle-orm'
import type { Config } from '../config.ts'
import { conversions, type WebhookEvent, webhookEvents } from '../db/schema/index.ts'
import type { Store } from '../db/store.ts'
import type { EventSource, NormalizeResult } from './adapter.ts'
import { normalizeImportedBody } from './csv-row.ts'
import { ingest } from './pipeline.ts'
import { ADAPTERS } from './registry.ts'

// `skinstack webhooks replay <event-id>`: runs a stored event through the pipeline again. The signature is
// not checked again (it was on receipt, and the secret may have been rotated since); an event stored with
// an invalid one is refused. Completing an event goes through the same ingest as a delivery, under the
// event's row lock, so a replay racing a provider retry still stores everything once.

export type ReplayOutcome =
  | {
      readonly kind: 'processed' | 'already_processed'
      readonly eventId: string
      readonly source: string
      readonly status: string
      readonly conversionIds: string[]
      /** Conversions this replay stored. */
      readonly created: number
    }
  | {
      readonly kind: 'refused'
      readonly reason:
        'unknown_event' | 'invalid_signature' | 'no_merchant' | 'not_replayable' | 'invalid_body'
      readonly message: string
    }

const refuse = (reason: Extract<ReplayOutcome, { kind: 'refused' }>['reason'], message: string) =>
  ({ kind: 'refused', reason, message }) as const

/** Throws EventFailedError when processing fails again (recorded on the event), or a database error. */
export async function replayEvent(
  d: { store: Store; config: Config },
  eventId: string,
): Promise<ReplayOutcome> {
  const [ev] = await d.store.db.select().from(webhookEvents).where(eq(webhookEvents.id, eventId))
  if (!ev) return refuse('unknown_event', `no webhook event ${eventId}`)
  if (ev.status === 'processed' || ev.status === 'ignored') return alreadyProcessed(d.store, ev)
  if (!ev.signatureValid)
    return refuse(
      'invalid_signature',
      `event ${eventId} was stored with an invalid signature; it is never processed`,
    )
  if (!ev.merchantId) return refuse('no_merchant', `event ${eventId} belongs to no merchant`)
  const normalize = normalizerFor(ev.source, d.config)
  if (!normalize) return refuse('not_replayable', `events from ${ev.source} cannot be replayed`)
  const normalized = normalize(ev.rawBody, new Headers(ev.headers))
  if (!normalized.ok)
    return refuse('invalid_body', `event ${eventId} no longer normalizes: ${normalized.message}`)
  const r = await ingest(d.store.db, d.config, {
    source: ev.source as EventSource,
    merchantId: ev.merchantId,
    externalId: ev.externalId,
    headers: ev.headers,
    rawBody: ev.rawBody,
    events: normalized.events,
  })
  // A provider retry or another replay completed it between our read and the lock.
  if (r.duplicate) return alreadyProcessed(d.store, ev)
  const [after] = await d.store.db
    .select({ status: webhookEvents.status })
    .from(webhookEvents)
    .where(eq(webhookEvents.id, eventId))
  return {
    kind: 'processed',
    eventId,
    source: ev.source,
    status: after?.status ?? 'processed',
    conversionIds: r.conversionIds,
    created: r.created,
  }
}

function normalizerFor(
  source: WebhookEvent['source'],
  config: Config,
): ((rawBody: string, headers: Headers) => NormalizeResult) | undefined {
  if (source === 'csv_import') return (rawBody) => normalizeImportedBody(rawBody)
  const adapter = ADAPTERS.get(source)
  return adapter
    ? (rawBody, headers) => adapter.normalize({ rawBody, headers, clickIdParam: config.links.clickIdParam })
    : undefined
}

async function alreadyProcessed(store: Store, ev: WebhookEvent): Promise<ReplayOutcome> {
  const [now] = await store.db
    .select({ status: webhookEvents.status })
    .from(webhookEvents)
    .where(eq(webhookEvents.id, ev.id))
  const rows = await store.db
    .select({ id: conversions.id })
    .from(conversions)
    .where(eq(conversions.webhookEventId, ev.id))
    .orderBy(asc(conversions.id))
  return {
    kind: 'already_processed',
    eventId: ev.id,
    source: ev.source,
    status: now?.status ?? ev.status,
    conversionIds: rows.map((r) => r.id),
    created: 0,
  }
}
