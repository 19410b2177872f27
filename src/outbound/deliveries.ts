import { and, asc, desc, eq, inArray, lt, ne, sql } from 'drizzle-orm'
import type { Principal } from '../auth/principal.ts'
import {
  type WebhookDelivery,
  type WebhookDeliveryAttempt,
  webhookDeliveries,
  webhookDeliveryAttempts,
  webhookEndpoints,
} from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { OUTBOUND_WAKE_CHANNEL } from '../events/types.ts'
import { HttpError } from '../shared/errors.ts'
import { getEndpoint, isUuid, ownedBy } from './queries.ts'

// The delivery log (what was sent where, every attempt's answer) and manual redelivery.

type Status = 'pending' | 'delivered' | 'failed'

function deliveryView(d: WebhookDelivery, attempts: readonly WebhookDeliveryAttempt[]) {
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventType: d.eventType,
    status: d.status as Status,
    attemptCount: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    payload: d.payload,
    attempts: attempts.map((a) => ({
      attemptedAt: a.attemptedAt.toISOString(),
      statusCode: a.statusCode,
      error: a.error,
      durationMs: a.durationMs,
      responseSnippet: a.responseSnippet,
    })),
  }
}

async function withAttempts(db: Db, rows: readonly WebhookDelivery[]) {
  const ids = rows.map((r) => r.id)
  const attempts =
    ids.length === 0
      ? []
      : await db
          .select()
          .from(webhookDeliveryAttempts)
          .where(inArray(webhookDeliveryAttempts.deliveryId, ids))
          .orderBy(asc(webhookDeliveryAttempts.attemptedAt), asc(webhookDeliveryAttempts.id))
  return rows.map((r) =>
    deliveryView(
      r,
      attempts.filter((a) => a.deliveryId === r.id),
    ),
  )
}

/** An endpoint's deliveries, newest first (ids are v7, so they sort by creation), each with its attempts. */
export async function listDeliveries(
  db: Db,
  p: Principal,
  endpointId: string,
  q: { status?: Status; cursor?: string; limit?: number } = {},
) {
  const endpoint = await getEndpoint(db, p, endpointId)
  if (q.cursor !== undefined && !isUuid(q.cursor)) throw new HttpError(400, 'invalid_query', 'bad cursor')
  const limit = q.limit ?? 20
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpoint.id),
        q.status ? eq(webhookDeliveries.status, q.status) : undefined,
        q.cursor ? lt(webhookDeliveries.id, q.cursor) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1)
  const page = rows.slice(0, limit)
  return {
    data: await withAttempts(db, page),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  }
}

/**
 * Sends a delivered or failed delivery again, now, with the same webhook-id (the receiver may dedupe by it).
 * Inside the 24 h window a failed redelivery follows the retry schedule; after it, it gets this one attempt.
 */
export async function redeliver(db: Db, p: Principal, id: string) {
  const missing = new HttpError(404, 'delivery_not_found', `no webhook delivery ${id}`)
  if (!isUuid(id)) throw missing
  const [found] = await db
    .select({ delivery: webhookDeliveries, disabledAt: webhookEndpoints.disabledAt })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(eq(webhookDeliveries.id, id.toLowerCase()), ownedBy(p)))
  if (!found) throw missing
  if (found.disabledAt !== null)
    throw new HttpError(409, 'endpoint_disabled', 'the endpoint is disabled: enable it first')
  const row = await db.transaction(async (tx) => {
    const [r] = await tx
      .update(webhookDeliveries)
      .set({ status: 'pending', nextAttemptAt: sql`now()`, deliveredAt: null })
      .where(and(eq(webhookDeliveries.id, found.delivery.id), ne(webhookDeliveries.status, 'pending')))
      .returning()
    // Wakes the worker on every host (on commit), as a newly enqueued delivery does.
    if (r) await tx.execute(sql`select pg_notify(${OUTBOUND_WAKE_CHANNEL}, '')`)
    return r
  })
  if (!row) throw new HttpError(409, 'delivery_pending', 'this delivery is already waiting to be sent')
  const [view] = await withAttempts(db, [row])
  return view
}
