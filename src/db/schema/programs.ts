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
  uuid,
} from 'drizzle-orm/pg-core'
import { createdAt, currency, id, minor, rate, tstz, updatedAt } from './columns.ts'
import { attributionModel, commissionableBase, commissionType, eventKind, membershipStatus } from './enums.ts'
import { influencers, merchants, networks } from './merchants.ts'

/** Performance tier: once an influencer reaches a threshold in the period, `rate` replaces the base rate. */
export interface ProgramTier {
  readonly minConversions?: number
  /** Minor units as a decimal string (JSON has no bigint). */
  readonly minRevenueMinor?: string
  /** Fraction as a decimal string, like the numeric columns. */
  readonly rate: string
}

export const programs = pgTable(
  'programs',
  {
    id: id(),
    merchantId: uuid('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'restrict' }),
    // Set when the merchant runs the program on a third-party network whose links we wrap.
    networkId: uuid('network_id').references(() => networks.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    currency: currency().notNull(),
    commissionType: commissionType('commission_type').notNull().default('percent'),
    commissionRate: rate('commission_rate'),
    commissionFixedMinor: minor('commission_fixed_minor'),
    cookieWindowDays: integer('cookie_window_days').notNull().default(7),
    attributionModel: attributionModel('attribution_model').notNull().default('last_click'),
    timeDecayHalfLifeHours: integer('time_decay_half_life_hours'),
    tiers: jsonb('tiers').$type<ProgramTier[]>(),
    excludedSkus: text('excluded_skus')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    platformFeeRate: rate('platform_fee_rate').notNull().default('0.200000'),
    holdDays: integer('hold_days').notNull().default(30),
    minPayoutMinor: minor('min_payout_minor')
      .notNull()
      .default(sql`5000`),
    commissionableBase: commissionableBase('commissionable_base')
      .notNull()
      .default('subtotal_after_discounts'),
    // For subscription renewals: how many months after the first sale still earn; null = lifetime.
    recurringMonths: integer('recurring_months'),
    // Clicks scoring at or above this are not billable.
    botScoreThreshold: smallint('bot_score_threshold').notNull().default(80),
    // On-site snippet: a session qualifies at this many pageviews or seconds on site (whichever first).
    siteMinPageviews: smallint('site_min_pageviews').notNull().default(2),
    siteMinSeconds: integer('site_min_seconds').notNull().default(30),
    // Billing policy: which snippet events are billable (always only from a genuine, unexpired click id and a
    // human under bot_score_threshold), and whether a conversion held by a fraud flag still counts.
    siteBillable: text('site_billable')
      .array()
      .notNull()
      .default(sql`'{qualified_session,conversion}'::text[]`),
    siteBillFlagged: boolean('site_bill_flagged').notNull().default(false),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('programs_merchant_slug_uq').on(t.merchantId, t.slug),
    check(
      'programs_commission_shape',
      sql`(${t.commissionType} = 'percent' and ${t.commissionRate} is not null) or (${t.commissionType} = 'fixed' and ${t.commissionFixedMinor} is not null)`,
    ),
    check(
      'programs_rate_range',
      sql`${t.commissionRate} between 0 and 1 and ${t.platformFeeRate} between 0 and 1`,
    ),
    check('programs_windows_positive', sql`${t.cookieWindowDays} > 0 and ${t.holdDays} >= 0`),
    check(
      'programs_time_decay_half_life',
      sql`${t.attributionModel} <> 'time_decay' or ${t.timeDecayHalfLifeHours} > 0`,
    ),
    check('programs_bot_score_range', sql`${t.botScoreThreshold} between 0 and 100`),
    check(
      'programs_site_policy',
      sql`${t.siteMinPageviews} >= 1 and ${t.siteMinSeconds} >= 1 and ${t.siteBillable} <@ '{session,qualified_session,pageview,conversion}'::text[]`,
    ),
  ],
)

export const programMemberships = pgTable(
  'program_memberships',
  {
    id: id(),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id, { onDelete: 'cascade' }),
    influencerId: uuid('influencer_id')
      .notNull()
      .references(() => influencers.id, { onDelete: 'cascade' }),
    status: membershipStatus('status').notNull().default('approved'),
    // A negotiated rate for this influencer; null = the program's (or rule's) rate.
    rateOverride: rate('rate_override'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('program_memberships_pair_uq').on(t.programId, t.influencerId),
    index('program_memberships_influencer_idx').on(t.influencerId),
  ],
)

// Per event kind overrides of the program's default commission (e.g. a fixed bounty per lead).
export const commissionRules = pgTable(
  'commission_rules',
  {
    id: id(),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id, { onDelete: 'cascade' }),
    eventKind: eventKind('event_kind').notNull(),
    commissionType: commissionType('commission_type').notNull(),
    rate: rate('rate'),
    fixedMinor: minor('fixed_minor'),
    currency: currency(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('commission_rules_program_kind_uq').on(t.programId, t.eventKind),
    check(
      'commission_rules_shape',
      sql`(${t.commissionType} = 'percent' and ${t.rate} between 0 and 1) or (${t.commissionType} = 'fixed' and ${t.fixedMinor} is not null and ${t.currency} is not null)`,
    ),
  ],
)

/** What earns a bounty, e.g. { kind: 'sales_count', value: 10, withinDays: 30 }. */
export interface BountyGoal {
  readonly kind: 'sales_count' | 'revenue_minor' | 'first_sale'
  readonly value?: number | string
  readonly withinDays?: number
}

export const bounties = pgTable('bounties', {
  id: id(),
  programId: uuid('program_id')
    .notNull()
    .references(() => programs.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  goal: jsonb('goal').$type<BountyGoal>().notNull(),
  amountMinor: minor('amount_minor').notNull(),
  currency: currency().notNull(),
  startsAt: tstz('starts_at'),
  endsAt: tstz('ends_at'),
  active: boolean('active').notNull().default(true),
  createdAt: createdAt(),
})

export const campaigns = pgTable(
  'campaigns',
  {
    id: id(),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    // Added to the commission rate while the campaign runs (0.05 = +5 points); null = no boost.
    boostRate: rate('boost_rate'),
    startsAt: tstz('starts_at'),
    endsAt: tstz('ends_at'),
    createdAt: createdAt(),
  },
  (t) => [
    unique('campaigns_program_slug_uq').on(t.programId, t.slug),
    // Target of tracking_links' composite FK, which keeps a link's campaign inside the link's program.
    unique('campaigns_id_program_uq').on(t.id, t.programId),
    check(
      'campaigns_period',
      sql`${t.endsAt} is null or ${t.startsAt} is null or ${t.endsAt} > ${t.startsAt}`,
    ),
  ],
)

// A discount code handed to an influencer: an order using it is attributed to them (evidence 'coupon').
// Codes are matched case-insensitively and stored upper-case.
export const couponCodes = pgTable(
  'coupon_codes',
  {
    id: id(),
    merchantId: uuid('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'cascade' }),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id, { onDelete: 'cascade' }),
    influencerId: uuid('influencer_id')
      .notNull()
      .references(() => influencers.id, { onDelete: 'restrict' }),
    code: text('code').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [
    unique('coupon_codes_merchant_code_uq').on(t.merchantId, t.code),
    check('coupon_codes_code_upper', sql`${t.code} = upper(${t.code})`),
  ],
)

export type Program = typeof programs.$inferSelect
export type NewProgram = typeof programs.$inferInsert
export type ProgramMembership = typeof programMemberships.$inferSelect
export type CommissionRule = typeof commissionRules.$inferSelect
export type Bounty = typeof bounties.$inferSelect
export type Campaign = typeof campaigns.$inferSelect
export type NewCampaign = typeof campaigns.$inferInsert
export type CouponCode = typeof couponCodes.$inferSelect
