import { sql } from 'drizzle-orm'
import { bigint, date, index, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core'
import { currency, minor, tstz } from './columns.ts'
import { commissionStatus, eventKind } from './enums.ts'

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
    index('click_rollups_influencer_idx').on(t.influencerId, t.dim, t.hour),
    index('click_rollups_program_idx').on(t.programId, t.dim, t.hour),
    index('click_rollups_campaign_idx')
      .on(t.campaignId, t.dim, t.hour)
      .where(sql`${t.campaignId} is not null`),
    // Top links over every link: the partial days at a range's edges (drizzle/0014).
    index('click_rollups_all_hour_idx')
      .on(t.hour)
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

// Coarser click rollups for scopes wider than a few links (a program, a campaign, everything), kept by the same
// clicks trigger from the batch it just aggregated (drizzle/0015): a 30-day program or admin-wide query then
// reads programs × hours (or days) rows instead of links × hours. campaign_id null = the program's links
// without a campaign (NULLS NOT DISTINCT, so it is one row like any other).
const programRollupColumns = {
  programId: uuid('program_id').notNull(),
  campaignId: uuid('campaign_id'),
  dim: text('dim').notNull(),
  value: text('value').notNull(),
  clicks: bigint('clicks', { mode: 'number' }).notNull(),
  humanClicks: bigint('human_clicks', { mode: 'number' }).notNull(),
  uniqueClicks: bigint('unique_clicks', { mode: 'number' }).notNull(),
}

export const clickRollupsProgramHourly = pgTable(
  'click_rollups_program_hourly',
  { hour: tstz('hour').notNull(), ...programRollupColumns },
  (t) => [
    unique('click_rollups_program_hourly_key')
      .on(t.programId, t.dim, t.hour, t.campaignId, t.value)
      .nullsNotDistinct(),
    index('click_rollups_program_hourly_dim_idx').on(t.dim, t.hour),
    index('click_rollups_program_hourly_campaign_idx')
      .on(t.campaignId, t.dim, t.hour)
      .where(sql`${t.campaignId} is not null`),
  ],
)

// The same by UTC day: breakdowns over whole UTC days read these, the partial days at a range's edges the
// hourly rows.
export const clickRollupsProgramDaily = pgTable(
  'click_rollups_program_daily',
  { day: date('day', { mode: 'string' }).notNull(), ...programRollupColumns },
  (t) => [
    unique('click_rollups_program_daily_key')
      .on(t.programId, t.dim, t.day, t.campaignId, t.value)
      .nullsNotDistinct(),
    index('click_rollups_program_daily_dim_idx').on(t.dim, t.day),
    index('click_rollups_program_daily_campaign_idx')
      .on(t.campaignId, t.dim, t.day)
      .where(sql`${t.campaignId} is not null`),
  ],
)

// Per link and UTC day, dim 'all' only: what top links/products rank by without reading links × hours.
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
    index('click_rollups_link_daily_day_idx').on(t.day),
    index('click_rollups_link_daily_influencer_idx').on(t.influencerId, t.day),
    index('click_rollups_link_daily_program_idx').on(t.programId, t.day),
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
