import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { createdAt, currency, id, minor, tstz, updatedAt } from './columns.ts'
import { payoutMethod, payoutRunStatus, payoutStatus } from './enums.ts'
import { influencers } from './merchants.ts'

// One batch per period and currency ('2025-06', '2025-W23' …): the unique key makes a re-run of the
// scheduler (or a second host) find the existing run instead of paying twice.
export const payoutRuns = pgTable(
  'payout_runs',
  {
    id: id(),
    period: text('period').notNull(),
    currency: currency().notNull(),
    status: payoutRunStatus('status').notNull().default('pending'),
    startedAt: tstz('started_at'),
    finishedAt: tstz('finished_at'),
    createdAt: createdAt(),
  },
  (t) => [unique('payout_runs_period_currency_uq').on(t.period, t.currency)],
)

/** A payout's contents; money as decimal strings of minor units (JSON has no bigint). */
export interface PayoutStatement {
  readonly commissions: readonly {
    readonly id: string
    readonly conversionId: string
    readonly kind: string
    readonly grossMinor: string
    readonly feeMinor: string
    readonly netMinor: string
  }[]
  /** Clawbacks and adjustments carried from earlier payouts (≤ 0), netted here. */
  readonly carriedMinor: string
  /** What the influencer was owed: the commissions' net plus the carried amount. */
  readonly payableMinor: string
}

export const payouts = pgTable(
  'payouts',
  {
    id: id(),
    // Null for a manual payout outside any run.
    runId: uuid('run_id').references(() => payoutRuns.id, { onDelete: 'restrict' }),
    influencerId: uuid('influencer_id')
      .notNull()
      .references(() => influencers.id, { onDelete: 'restrict' }),
    period: text('period').notNull(),
    currency: currency().notNull(),
    method: payoutMethod('method').notNull(),
    status: payoutStatus('status').notNull().default('initiated'),
    grossMinor: minor('gross_minor').notNull(),
    platformFeeMinor: minor('platform_fee_minor')
      .notNull()
      .default(sql`0`),
    processingFeeMinor: minor('processing_fee_minor')
      .notNull()
      .default(sql`0`),
    netMinor: minor('net_minor').notNull(),
    // Sent to the provider (Stripe Idempotency-Key, PayPal sender_batch_id) so a retry never pays twice.
    idempotencyKey: text('idempotency_key').notNull().unique(),
    providerRef: text('provider_ref'),
    failureReason: text('failure_reason'),
    // What the payout settles, fixed when a run creates it: each commission's net still owed and the carried
    // (negative) balance netted against them; the statement (CSV/JSON) is read from here. Null only for a
    // payout recorded by hand outside the payout machinery.
    statement: jsonb('statement').$type<PayoutStatement>(),
    attempts: integer('attempts').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    sentAt: tstz('sent_at'),
    paidAt: tstz('paid_at'),
    failedAt: tstz('failed_at'),
  },
  (t) => [
    // At most one live payout per influencer, period and currency; a failed one may be reissued.
    uniqueIndex('payouts_influencer_period_live_uq')
      .on(t.influencerId, t.period, t.currency)
      .where(sql`${t.status} <> 'failed'`),
    index('payouts_run_id_idx').on(t.runId),
    index('payouts_status_idx').on(t.status),
    check(
      'payouts_amounts',
      sql`${t.netMinor} = ${t.grossMinor} - ${t.platformFeeMinor} - ${t.processingFeeMinor} and ${t.netMinor} >= 0`,
    ),
  ],
)

export type PayoutRun = typeof payoutRuns.$inferSelect
export type NewPayoutRun = typeof payoutRuns.$inferInsert
export type Payout = typeof payouts.$inferSelect
export type NewPayout = typeof payouts.$inferInsert
