import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { bytea, createdAt, id, tstz } from './columns.ts'
import { webhookEventStatus, webhookSource } from './enums.ts'
import { merchants } from './merchants.ts'

export const webhookSecrets = pgTable(
  'webhook_secrets',
  {
    id: id(),
    merchantId: uuid('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'cascade' }),
    source: webhookSource('source').notNull(),
    // Sent by the caller (header or signature prefix) to pick the secret during rotation.
    keyId: text('key_id').notNull(),
    // Encrypted with the master key; plaintext exists only in memory.
    secretCiphertext: bytea('secret_ciphertext').notNull(),
    // Rotation keeps at most two secrets live: a new one goes into the free slot, and the old one is
    // deactivated when it expires. The partial unique index below enforces the limit.
    slot: smallint('slot').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    expiresAt: tstz('expires_at'),
  },
  (t) => [
    unique('webhook_secrets_key_uq').on(t.merchantId, t.source, t.keyId),
    uniqueIndex('webhook_secrets_active_slot_uq')
      .on(t.merchantId, t.source, t.slot)
      .where(sql`${t.active}`),
    check('webhook_secrets_slot_range', sql`${t.slot} in (1, 2)`),
  ],
)

export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: id(),
    source: webhookSource('source').notNull(),
    // The provider's delivery/event id (X-Shopify-Webhook-Id, Stripe evt_…); the idempotency key.
    externalId: text('external_id').notNull(),
    merchantId: uuid('merchant_id').references(() => merchants.id, { onDelete: 'set null' }),
    receivedAt: tstz('received_at').notNull().defaultNow(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull(),
    // Verbatim: signatures are computed over the exact bytes, so this is never re-serialised.
    rawBody: text('raw_body').notNull(),
    signatureValid: boolean('signature_valid').notNull(),
    status: webhookEventStatus('status').notNull().default('received'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at'),
    processedAt: tstz('processed_at'),
    error: text('error'),
  },
  (t) => [
    // Merchant-scoped, because postback/s2s ids are chosen by each merchant and may collide across
    // merchants; Shopify/Stripe ids are global anyway. NULLS NOT DISTINCT keeps events whose merchant
    // is unknown deduplicated as well.
    unique('webhook_events_dedupe_uq').on(t.source, t.merchantId, t.externalId).nullsNotDistinct(),
    index('webhook_events_pending_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('received', 'failed')`),
    index('webhook_events_merchant_received_idx').on(t.merchantId, t.receivedAt),
  ],
)

export type WebhookSecret = typeof webhookSecrets.$inferSelect
export type NewWebhookSecret = typeof webhookSecrets.$inferInsert
export type WebhookEvent = typeof webhookEvents.$inferSelect
export type NewWebhookEvent = typeof webhookEvents.$inferInsert
