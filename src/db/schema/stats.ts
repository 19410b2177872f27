import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  date,
  index,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core'
import { currency, minor, tstz } from './columns.ts'
import { commissionStatus, eventKind } from './enums.ts'

const counts = (t: { clicks: AnyPgColumn; humanClicks: AnyPgColumn; uniqueClicks: AnyPgColumn }) =>
  [t.clicks, t.humanClicks, t.uniqueClicks] as const

// Hourly click counts, maintained by a statement trigger on clicks (drizzle/0012_stats_outbox.sql) from the
// rows each COPY or journal replay actually added, so the rollup always equals the stored clicks.
// Each click counts once under dim 'all' and once under each breakdown (device, browser, os, country,
// referrer host): rows grow with the sum of the dimensions' cardinalities, not their product.
// '' is "unknown". Stats read these, never the raw clicks.
export const clickRollupsHourly = pgTable(
  'click_rollups_hourly',
  {
    hour: tstz('hour').notNull(),
    linkId: uuid('link_id').notNull(),
    dim: text('dim').notNull(),
    value: text('value').notNull(),
    influencerId: uuid('influencer_id').notNull(),
    programId: uuid('program_id').notNull(),
    campaignId: uuid('campaign_id'),
    clicks: bigint('clicks', { mode: 'number' }).notNull(),
    // Not a bot by UA, not HEAD, not a prefetch, bot score under 50.
    humanClicks: bigint('human_clicks', { mode: 'number' }).notNull(),
    // Human clicks that were a visitor's (salted IP hash) first on the link that UTC day.
    uniqueClicks: bigint('unique_clicks', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'click_rollups_hourly_pkey', columns: [t.linkId, t.dim, t.hour, t.value] }),
    // Stats scan an influencer's or a campaign's rows of a dim and hour range; the counts are in the key so those
    // scans are index-only (a few index pages, not a heap page a row), the program and campaign too so an
    // influencer's stats within one of them are. drizzle/0019.
    index('click_rollups_influencer_cover_idx').on(
      t.influencerId,
      t.dim,
      t.hour,
      t.value,
      t.programId,
      t.campaignId,
      ...counts(t),
    ),
    index('click_rollups_campaign_cover_idx')
      .on(t.campaignId, t.dim, t.hour, t.value, ...counts(t))
      .where(sql`${t.campaignId} is not null`),
    // Top links over every link: the partial days at a range's edges.
    index('click_rollups_all_hour_cover_idx')
      .on(t.hour, t.linkId, ...counts(t))
      .where(sql`${t.dim} = 'all'`),
  ],
)

// Which visitors already clicked a link on a UTC day: what makes a click unique. Only recent days matter;
// older rows are deleted by the click partition worker.
export const clickVisitors = pgTable(
  'click_visitors',
  {
    day: date('day', { mode: 'string' }).notNull(),
    linkId: uuid('link_id').notNull(),
    ipHash: text('ip_hash').notNull(),
  },
  (t) => [primaryKey({ name: 'click_visitors_pkey', columns: [t.day, t.linkId, t.ipHash] })],
)

export type ClickRollup = typeof clickRollupsHourly.$inferSelect

// Coarser click rollups, kept by the same clicks trigger from the batch it just aggregated (drizzle/0020), so a
// 30-day query reads days, not hours, and programs or influencers, not links: whole UTC days from the daily
// tables, the partial days at a range's edges from the hourly ones. Every extra row a flush upserts costs click
// throughput, so the daily tiers are keyed by what is scoped (influencer, campaign, program), not by link, and
// carry no more indexes than their reads need.
const dimColumns = {
  dim: text('dim').notNull(),
  value: text('value').notNull(),
  clicks: bigint('clicks', { mode: 'number' }).notNull(),
  humanClicks: bigint('human_clicks', { mode: 'number' }).notNull(),
  uniqueClicks: bigint('unique_clicks', { mode: 'number' }).notNull(),
}

// Per program: a program, a merchant's programs or everything.
export const clickRollupsProgramHourly = pgTable(
  'click_rollups_program_hourly',
  { hour: tstz('hour').notNull(), programId: uuid('program_id').notNull(), ...dimColumns },
  (t) => [
    primaryKey({ name: 'click_rollups_program_hourly_pkey', columns: [t.programId, t.dim, t.hour, t.value] }),
    // Index-only for a program and for everything (programs are few: the program is a filter inside the range).
    index('click_rollups_program_hourly_cover_idx').on(t.dim, t.hour, t.programId, t.value, ...counts(t)),
  ],
)

export const clickRollupsProgramDaily = pgTable(
  'click_rollups_program_daily',
  { day: date('day', { mode: 'string' }).notNull(), programId: uuid('program_id').notNull(), ...dimColumns },
  (t) => [
    primaryKey({ name: 'click_rollups_program_daily_pkey', columns: [t.programId, t.dim, t.day, t.value] }),
    index('click_rollups_program_daily_cover_idx').on(t.dim, t.day, t.programId, t.value, ...counts(t)),
  ],
)

// Per influencer and UTC day, all programs together: an influencer's own totals and breakdowns.
export const clickRollupsInfluencerDaily = pgTable(
  'click_rollups_influencer_daily',
  {
    day: date('day', { mode: 'string' }).notNull(),
    influencerId: uuid('influencer_id').notNull(),
    ...dimColumns,
  },
  (t) => [
    primaryKey({
      name: 'click_rollups_influencer_daily_pkey',
      columns: [t.influencerId, t.dim, t.day, t.value],
    }),
  ],
)

// Per campaign and UTC day (program_id is the campaign's, for a merchant's scope).
export const clickRollupsCampaignDaily = pgTable(
  'click_rollups_campaign_daily',
  {
    day: date('day', { mode: 'string' }).notNull(),
    campaignId: uuid('campaign_id').notNull(),
    programId: uuid('program_id').notNull(),
    ...dimColumns,
  },
  (t) => [
    primaryKey({ name: 'click_rollups_campaign_daily_pkey', columns: [t.campaignId, t.dim, t.day, t.value] }),
  ],
)

// Per link and UTC day, dim 'all' only: a link's totals and top links/products.
export const clickRollupsLinkDaily = pgTable(
  'click_rollups_link_daily',
  {
    day: date('day', { mode: 'string' }).notNull(),
    linkId: uuid('link_id').notNull(),
    influencerId: uuid('influencer_id').notNull(),
    programId: uuid('program_id').notNull(),
    campaignId: uuid('campaign_id'),
    clicks: bigint('clicks', { mode: 'number' }).notNull(),
    humanClicks: bigint('human_clicks', { mode: 'number' }).notNull(),
    uniqueClicks: bigint('unique_clicks', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'click_rollups_link_daily_pkey', columns: [t.linkId, t.day] }),
    index('click_rollups_link_daily_influencer_idx').on(t.influencerId, t.day),
    // Top links of every program, or of one (a filter inside the index): index-only either way.
    index('click_rollups_link_daily_day_cover_idx').on(t.day, t.programId, t.linkId, ...counts(t)),
  ],
)

// Commissions by the UTC hour of their conversion, kept by triggers on commissions and reversals
// (drizzle/0015): each commission counts in the bucket of its current status, so approving, paying or
// reversing it moves its amounts between buckets. link_id/campaign_id come from the attribution's link (null
// for a coupon or device attribution). Amounts are integer minor units of `currency`:
//   revenue  = the conversion's total × the attribution's weight, rounded once half-to-even (sales, leads and
//              renewals only; a bounty or a click accrual has no revenue and is no conversion)
//   gross/fee/net = the commission's; reversed_* = what reversals took back so far (partial ones included).
export const salesRollupsHourly = pgTable(
  'sales_rollups_hourly',
  {
    hour: tstz('hour').notNull(),
    influencerId: uuid('influencer_id').notNull(),
    programId: uuid('program_id').notNull(),
    linkId: uuid('link_id'),
    campaignId: uuid('campaign_id'),
    currency: currency().notNull(),
    status: commissionStatus('status').notNull(),
    eventKind: eventKind('event_kind').notNull(),
    commissions: bigint('commissions', { mode: 'number' }).notNull(),
    conversions: bigint('conversions', { mode: 'number' }).notNull(),
    revenueMinor: minor('revenue_minor').notNull(),
    grossMinor: minor('gross_minor').notNull(),
    feeMinor: minor('fee_minor').notNull(),
    netMinor: minor('net_minor').notNull(),
    reversedGrossMinor: minor('reversed_gross_minor').notNull(),
    reversedFeeMinor: minor('reversed_fee_minor').notNull(),
    reversedNetMinor: minor('reversed_net_minor').notNull(),
  },
  (t) => [
    unique('sales_rollups_hourly_key')
      .on(t.influencerId, t.hour, t.programId, t.linkId, t.currency, t.status, t.eventKind)
      .nullsNotDistinct(),
    index('sales_rollups_hour_idx').on(t.hour),
    index('sales_rollups_program_idx').on(t.programId, t.hour),
    index('sales_rollups_link_idx')
      .on(t.linkId, t.hour)
      .where(sql`${t.linkId} is not null`),
    index('sales_rollups_campaign_idx')
      .on(t.campaignId, t.hour)
      .where(sql`${t.campaignId} is not null`),
  ],
)

export type SalesRollup = typeof salesRollupsHourly.$inferSelect
