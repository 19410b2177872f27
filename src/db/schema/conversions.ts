import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core'
import { createdAt, currency, id, reported, tstz } from './columns.ts'
import { devices } from './devices.ts'
import { attributionEvidence, attributionModel, eventKind, webhookSource } from './enums.ts'
import { trackingLinks } from './links.ts'
import { influencers, merchants } from './merchants.ts'
import { programs } from './programs.ts'
import { webhookEvents } from './webhooks.ts'

/** As reported by the network; prices are decimal strings like the numeric columns. */
export interface ConversionLineItem {
  readonly sku?: string
  readonly name?: string
  readonly quantity: number
  readonly unitPrice: string
  readonly discount?: string
}

// One row per business event (a sale, each refund, each renewal, a lead), whichever channel told us.
// Amounts are positive as reported; `kind` carries the direction.
export const conversions = pgTable(
  'conversions',
  {
    id: id(),
    merchantId: uuid('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'restrict' }),
    // Null until attribution resolves it (a Shopify order does not say which program it belongs to).
    programId: uuid('program_id').references(() => programs.id, { onDelete: 'restrict' }),
    webhookEventId: uuid('webhook_event_id').references(() => webhookEvents.id, { onDelete: 'set null' }),
    deviceId: uuid('device_id').references(() => devices.id, { onDelete: 'set null' }),
    source: webhookSource('source').notNull(),
    externalOrderId: text('external_order_id').notNull(),
    // The id of the event *within* the order: null for the sale or lead itself (once per order),
    // the refund id for a refund, the invoice id for a renewal, the running click count an hourly click
    // accrual brings its hour up to. Never the webhook delivery id.
    externalEventId: text('external_event_id'),
    kind: eventKind('kind').notNull(),
    occurredAt: tstz('occurred_at').notNull(),
    currency: currency().notNull(),
    subtotal: reported('subtotal'),
    discount: reported('discount'),
    tax: reported('tax'),
    shipping: reported('shipping'),
    total: reported('total').notNull(),
    lineItems: jsonb('line_items').$type<ConversionLineItem[]>(),
    // Evidence carried by the event; attribution turns it into attributions rows. No FK on click_id:
    // clicks is partitioned and its key is (id, clicked_at).
    clickId: uuid('click_id'),
    // Why a click id the event carried was not accepted ('bad_signature', 'unknown_key', 'malformed',
    // 'from_future'): recorded so the conversion is explainable, never billed on it.
    clickIdProblem: text('click_id_problem'),
    subId: text('sub_id'),
    couponCode: text('coupon_code'),
    customerEmailHash: text('customer_email_hash'),
    ipHash: text('ip_hash'),
    // A refund points at its sale; null while the sale has not arrived yet (webhooks race).
    // Provider test/sandbox events are stored like any other but never earn.
    isTest: boolean('is_test').notNull().default(false),
    parentConversionId: uuid('parent_conversion_id').references((): AnyPgColumn => conversions.id, {
      onDelete: 'restrict',
    }),
    createdAt: createdAt(),
  },
  (t) => [
    // The idempotency key. It ignores `source` on purpose: the same order reported by the cart
    // webhook and again by a CSV import or a network postback is one sale, not two. It ignores the
    // webhook delivery id because Shopify sends orders/create and orders/paid for one order.
    // A refund is keyed by its own id, so an order can have several partial refunds, each counted once.
    unique('conversions_identity_uq')
      .on(t.merchantId, t.kind, t.externalOrderId, t.externalEventId)
      .nullsNotDistinct(),
    check(
      'conversions_event_id_by_kind',
      sql`(${t.kind} in ('refund', 'subscription_renewal', 'click')) = (${t.externalEventId} is not null)`,
    ),
    index('conversions_merchant_occurred_idx').on(t.merchantId, t.occurredAt),
    index('conversions_click_id_idx')
      .on(t.clickId)
      .where(sql`${t.clickId} is not null`),
    index('conversions_coupon_idx')
      .on(t.merchantId, t.couponCode)
      .where(sql`${t.couponCode} is not null`),
    index('conversions_parent_idx')
      .on(t.parentConversionId)
      .where(sql`${t.parentConversionId} is not null`),
    index('conversions_webhook_event_idx').on(t.webhookEventId),
  ],
)

// Who gets credit for a conversion, and how much of it. One row per influencer per conversion:
// multi-touch weights of the same influencer are summed, so re-running attribution is an upsert.
export const attributions = pgTable(
  'attributions',
  {
    id: id(),
    conversionId: uuid('conversion_id')
      .notNull()
      .references(() => conversions.id, { onDelete: 'cascade' }),
    // The deciding click; clicked_at is kept so the click can be fetched with partition pruning.
    clickId: uuid('click_id'),
    clickedAt: tstz('clicked_at'),
    linkId: uuid('link_id').references(() => trackingLinks.id, { onDelete: 'restrict' }),
    influencerId: uuid('influencer_id')
      .notNull()
      .references(() => influencers.id, { onDelete: 'restrict' }),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id, { onDelete: 'restrict' }),
    model: attributionModel('model').notNull(),
    evidence: attributionEvidence('evidence').notNull(),
    windowDays: integer('window_days').notNull(),
    // Exact share of the conversion: weight_num / weight_den (linear thirds do not round).
    weightNum: bigint('weight_num', { mode: 'bigint' })
      .notNull()
      .default(sql`1`),
    weightDen: bigint('weight_den', { mode: 'bigint' })
      .notNull()
      .default(sql`1`),
    confidence: numeric('confidence', { precision: 4, scale: 3 }).notNull().default('1.000'),
    billable: boolean('billable').notNull().default(true),
    // Why not billable (bot, self_referral, outside_window …); null when billable.
    reason: text('reason'),
    // The touches behind the weight (click ids, times, each touch's own weight) for the explain endpoint.
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('attributions_conversion_influencer_uq').on(t.conversionId, t.influencerId),
    index('attributions_influencer_idx').on(t.influencerId, t.createdAt),
    index('attributions_link_idx').on(t.linkId),
    index('attributions_click_idx')
      .on(t.clickId)
      .where(sql`${t.clickId} is not null`),
    check(
      'attributions_weight_fraction',
      sql`${t.weightDen} > 0 and ${t.weightNum} >= 0 and ${t.weightNum} <= ${t.weightDen}`,
    ),
    check('attributions_confidence_range', sql`${t.confidence} between 0 and 1`),
  ],
)

export type Conversion = typeof conversions.$inferSelect
export type NewConversion = typeof conversions.$inferInsert
export type Attribution = typeof attributions.$inferSelect
export type NewAttribution = typeof attributions.$inferInsert
