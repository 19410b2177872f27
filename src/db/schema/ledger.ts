import { sql } from 'drizzle-orm'
import { check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { createdAt, currency, id, minor, tstz } from './columns.ts'
import { commissions, reversals } from './commissions.ts'
import { ledgerEntryType } from './enums.ts'
import { influencers, merchants } from './merchants.ts'
import { payouts } from './payouts.ts'

// Append-only money movements; balances are sums, never stored. UPDATE and DELETE are refused by a
// trigger (drizzle/0002_ledger_append_only.sql); mistakes are corrected with an `adjustment` entry.
//
// Each row belongs to exactly one party and amount_minor is signed from that party's point of view:
// an influencer's balance in a currency is sum(amount_minor) over its rows (commission_earned +net,
// commission_reversed −net, payout −, clawback −); a merchant's rows sum to what it owes
// (commission_earned +net and platform_fee +fee per commission, negative for reversals).
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: id(),
    occurredAt: tstz('occurred_at').notNull(),
    entryType: ledgerEntryType('entry_type').notNull(),
    influencerId: uuid('influencer_id').references(() => influencers.id, { onDelete: 'restrict' }),
    merchantId: uuid('merchant_id').references(() => merchants.id, { onDelete: 'restrict' }),
    commissionId: uuid('commission_id').references(() => commissions.id, { onDelete: 'restrict' }),
    reversalId: uuid('reversal_id').references(() => reversals.id, { onDelete: 'restrict' }),
    payoutId: uuid('payout_id').references(() => payouts.id, { onDelete: 'restrict' }),
    currency: currency().notNull(),
    amountMinor: minor('amount_minor').notNull(),
    // Derived from what caused the entry ("earned:<commission id>", "payout:<payout id>"), so writers
    // can INSERT … ON CONFLICT DO NOTHING and replays never post twice.
    idempotencyKey: text('idempotency_key').notNull().unique(),
    memo: text('memo'),
    createdAt: createdAt(),
  },
  (t) => [
    index('ledger_entries_influencer_idx').on(t.influencerId, t.currency, t.occurredAt),
    index('ledger_entries_merchant_idx').on(t.merchantId, t.currency, t.occurredAt),
    index('ledger_entries_commission_idx')
      .on(t.commissionId)
      .where(sql`${t.commissionId} is not null`),
    index('ledger_entries_payout_idx')
      .on(t.payoutId)
      .where(sql`${t.payoutId} is not null`),
    check('ledger_entries_one_party', sql`num_nonnulls(${t.influencerId}, ${t.merchantId}) = 1`),
  ],
)

export type LedgerEntry = typeof ledgerEntries.$inferSelect
export type NewLedgerEntry = typeof ledgerEntries.$inferInsert
