import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, smallint, text, uuid } from 'drizzle-orm/pg-core'
import { bytea, createdAt, id, tstz, updatedAt } from './columns.ts'
import { influencers, merchants } from './merchants.ts'

// Outbound webhooks: endpoints merchants and influencers subscribe, and the outbox of deliveries to them.
// A delivery row is written in the same transaction as the change it announces, so a committed change is
// always announced and a rolled-back one never is; a restart loses nothing because the worker reads the table.

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: id(),
    // Exactly one owner: the merchant (its programs' events) or the influencer (their own events).
    merchantId: uuid('merchant_id').references(() => merchants.id, { onDelete: 'cascade' }),
    influencerId: uuid('influencer_id').references(() => influencers.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    description: text('description'),
    // Event types subscribed to (conversion.created, commission.approved, commission.reversed, payout.paid).
    events: text('events').array().notNull(),
    // Standard Webhooks signing secret (whsec_…), sealed with the master key; shown once at creation.
    secretCiphertext: bytea('secret_ciphertext').notNull(),
    // Failures in a row across deliveries; reset by any success. Past the limit the endpoint is disabled.
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    disabledAt: tstz('disabled_at'),
    disabledReason: text('disabled_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('webhook_endpoints_one_owner', sql`(${t.merchantId} is null) <> (${t.influencerId} is null)`),
    index('webhook_endpoints_merchant_idx').on(t.merchantId),
    index('webhook_endpoints_influencer_idx').on(t.influencerId),
  ],
)

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    // Also the Standard Webhooks message id (webhook-id header): stable across retries and redeliveries.
    id: id(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventType: text('event_type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    // pending → delivered, or → failed once the retry schedule (24 h) is spent or the endpoint is disabled.
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at').notNull().defaultNow(),
    lastAttemptAt: tstz('last_attempt_at'),
    lastStatusCode: smallint('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: tstz('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    check('webhook_deliveries_status', sql`${t.status} in ('pending', 'delivered', 'failed')`),
    // The worker's scan: due pending deliveries, oldest first.
    index('webhook_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
  ],
)

// Every HTTP attempt, for the delivery log: what we sent when, and what came back.
export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    id: id(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attemptedAt: tstz('attempted_at').notNull().defaultNow(),
    statusCode: smallint('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    // The first bytes of the endpoint's answer, for debugging; never our request's secrets.
    responseSnippet: text('response_snippet'),
  },
  (t) => [index('webhook_delivery_attempts_delivery_idx').on(t.deliveryId, t.attemptedAt)],
)

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect
export type WebhookDeliveryAttempt = typeof webhookDeliveryAttempts.$inferSelect
