import { sql } from 'drizzle-orm'
import { check, index, jsonb, pgTable, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { createdAt, currency, id, minor, rate, tstz, updatedAt } from './columns.ts'
import { attributions, conversions } from './conversions.ts'
import { commissionStatus, eventKind } from './enums.ts'
import { influencers } from './merchants.ts'
import { payouts } from './payouts.ts'
import { bounties, programs } from './programs.ts'

// gross = what the merchant owes for the attribution, fee = the platform's cut, net = the influencer's.
// Status moves pending → approved (after hold_until) → paid; reversed once reversals cover all of gross
// before payout (after payout it stays paid and the influencer gets a clawback entry instead).
export const commissions = pgTable(
  'commissions',
  {
    id: id(),
    conversionId: uuid('conversion_id')
      .notNull()
      .references(() => conversions.id, { onDelete: 'restrict' }),
    attributionId: uuid('attribution_id')
      .notNull()
      .references(() => attributions.id, { onDelete: 'restrict' }),
    influencerId: uuid('influencer_id')
      .notNull()
      .references(() => influencers.id, { onDelete: 'restrict' }),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id, { onDelete: 'restrict' }),
    eventKind: eventKind('event_kind').notNull(),
    currency: currency().notNull(),
    // The commissionable amount after the attribution weight; rate is null for fixed commissions.
    baseMinor: minor('base_minor').notNull(),
    rate: rate('rate'),
    grossMinor: minor('gross_minor').notNull(),
    feeMinor: minor('fee_minor').notNull(),
    netMinor: minor('net_minor').notNull(),
    status: commissionStatus('status').notNull().default('pending'),
    holdUntil: tstz('hold_until').notNull(),
    approvedAt: tstz('approved_at'),
    paidAt: tstz('paid_at'),
    payoutId: uuid('payout_id').references(() => payouts.id, { onDelete: 'restrict' }),
    reversedAt: tstz('reversed_at'),
    // Set when a fraud rule flags the commission: it is not approved (nor paid) until a merchant or admin
    // clears it (held_at back to null) or rejects it (reversed). Never silently dropped.
    heldAt: tstz('held_at'),
    holdReason: text('hold_reason'),
    // Set on a bounty award (event_kind 'bounty'): the goal the conversion's influencer reached.
    bountyId: uuid('bounty_id').references(() => bounties.id, { onDelete: 'restrict' }),
    // Every step from the conversion to these figures (base, excluded lines, rate, tier, boost, weight,
    // fee, rounding): what GET /api/v1/commissions/:id/explain shows.
    calculationDetails: jsonb('calculation_details').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Idempotency: a replayed webhook or re-run attribution cannot earn twice.
    unique('commissions_attribution_kind_uq').on(t.attributionId, t.eventKind, t.bountyId).nullsNotDistinct(),
    // A bounty is paid to an influencer once, whichever conversion reached the goal.
    uniqueIndex('commissions_bounty_influencer_uq')
      .on(t.bountyId, t.influencerId)
      .where(sql`${t.bountyId} is not null`),
    // Compared as text: the migration adding 'bounty' runs in the same transaction, where the new enum value
    // may not be used yet.
    check('commissions_bounty_kind', sql`(${t.eventKind}::text = 'bounty') = (${t.bountyId} is not null)`),
    index('commissions_influencer_status_idx').on(t.influencerId, t.status),
    // The approval job's scan: pending rows whose hold has passed.
    index('commissions_pending_hold_idx')
      .on(t.holdUntil)
      .where(sql`${t.status} = 'pending'`),
    index('commissions_conversion_idx').on(t.conversionId),
    index('commissions_payout_idx')
      .on(t.payoutId)
      .where(sql`${t.payoutId} is not null`),
    index('commissions_program_created_idx').on(t.programId, t.createdAt),
    check(
      'commissions_amounts',
      sql`${t.grossMinor} = ${t.feeMinor} + ${t.netMinor} and ${t.feeMinor} >= 0 and ${t.netMinor} >= 0`,
    ),
  ],
)

// A (partial) clawback of a commission. Amounts are positive and never exceed what is left.
export const reversals = pgTable(
  'reversals',
  {
    id: id(),
    commissionId: uuid('commission_id')
      .notNull()
      .references(() => commissions.id, { onDelete: 'restrict' }),
    // Null for reversals not caused by a refund (fraud review, chargeback entered by hand).
    refundConversionId: uuid('refund_conversion_id').references(() => conversions.id, {
      onDelete: 'restrict',
    }),
    grossMinor: minor('gross_minor').notNull(),
    feeMinor: minor('fee_minor').notNull(),
    netMinor: minor('net_minor').notNull(),
    currency: currency().notNull(),
    reason: text('reason').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // Each refund reverses a given commission once, however often its webhook is replayed.
    unique('reversals_commission_refund_uq').on(t.commissionId, t.refundConversionId),
    index('reversals_refund_idx').on(t.refundConversionId),
    check(
      'reversals_amounts',
      sql`${t.grossMinor} = ${t.feeMinor} + ${t.netMinor} and ${t.feeMinor} >= 0 and ${t.netMinor} >= 0`,
    ),
  ],
)

export type Commission = typeof commissions.$inferSelect
export type NewCommission = typeof commissions.$inferInsert
export type Reversal = typeof reversals.$inferSelect
export type NewReversal = typeof reversals.$inferInsert
