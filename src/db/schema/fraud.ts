import { sql } from 'drizzle-orm'
import { check, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { users } from './accounts.ts'
import { createdAt, id, tstz } from './columns.ts'
import { commissions } from './commissions.ts'
import { conversions } from './conversions.ts'
import { influencers } from './merchants.ts'

// Why a commission (or an influencer) looks like cheating, and what a reviewer decided. A flag on a commission
// holds it (commissions.held_at) until resolved: 'cleared' releases it, 'rejected' reverses it.
export const fraudFlags = pgTable(
  'fraud_flags',
  {
    id: id(),
    // self_referral, shared_ip, click_flood, fast_conversion, refund_rate …
    rule: text('rule').notNull(),
    influencerId: uuid('influencer_id')
      .notNull()
      .references(() => influencers.id, { onDelete: 'cascade' }),
    conversionId: uuid('conversion_id').references(() => conversions.id, { onDelete: 'cascade' }),
    commissionId: uuid('commission_id').references(() => commissions.id, { onDelete: 'cascade' }),
    // The evidence, in words and figures (never raw IPs or emails: hashes only).
    reason: text('reason').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    resolvedAt: tstz('resolved_at'),
    resolution: text('resolution'),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    resolutionNote: text('resolution_note'),
  },
  (t) => [
    check(
      'fraud_flags_resolution',
      sql`${t.resolution} is null or ${t.resolution} in ('cleared', 'rejected')`,
    ),
    check('fraud_flags_resolved', sql`(${t.resolvedAt} is null) = (${t.resolution} is null)`),
    index('fraud_flags_open_idx')
      .on(t.influencerId, t.createdAt)
      .where(sql`${t.resolvedAt} is null`),
    index('fraud_flags_commission_idx')
      .on(t.commissionId)
      .where(sql`${t.commissionId} is not null`),
  ],
)

export type FraudFlag = typeof fraudFlags.$inferSelect
