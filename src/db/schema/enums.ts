import { pgEnum } from 'drizzle-orm/pg-core'

// Postgres enums can gain values (ALTER TYPE … ADD VALUE) but not lose them: only closed vocabularies here.
export const userRole = pgEnum('user_role', ['admin', 'merchant', 'influencer'])
export const membershipStatus = pgEnum('membership_status', ['pending', 'approved', 'rejected', 'suspended'])
export const commissionStatus = pgEnum('commission_status', ['pending', 'approved', 'paid', 'reversed'])
export const commissionType = pgEnum('commission_type', ['percent', 'fixed'])
export const commissionableBase = pgEnum('commissionable_base', [
  'subtotal_after_discounts',
  'subtotal',
  'total',
])
export const payoutStatus = pgEnum('payout_status', ['initiated', 'processing', 'paid', 'failed'])
export const payoutRunStatus = pgEnum('payout_run_status', ['pending', 'running', 'completed', 'failed'])
export const payoutMethod = pgEnum('payout_method', ['stripe_connect', 'paypal', 'ach', 'manual'])
// 'bounty' is a commission kind only (a one-off award when an influencer reaches a goal), never a conversion's.
export const eventKind = pgEnum('event_kind', [
  'click',
  'lead',
  'sale',
  'refund',
  'subscription_renewal',
  'bounty',
])
export const attributionModel = pgEnum('attribution_model', [
  'last_click',
  'first_click',
  'linear',
  'time_decay',
])
export const attributionEvidence = pgEnum('attribution_evidence', [
  'click_id',
  'sub_id',
  'coupon',
  'cookie',
  'device',
])
export const webhookSource = pgEnum('webhook_source', [
  'shopify',
  'stripe',
  'refersion',
  'impact',
  'postback',
  's2s',
  'csv_import',
  'snippet',
  // Conversions SkinStack makes itself: the hourly accrual of paid clicks.
  'internal',
])
export const webhookEventStatus = pgEnum('webhook_event_status', [
  'received',
  'processed',
  'failed',
  'ignored',
])
export const ledgerEntryType = pgEnum('ledger_entry_type', [
  'commission_earned',
  'commission_reversed',
  'platform_fee',
  'payout',
  'clawback',
  'adjustment',
])
