import { sql } from 'drizzle-orm'
import { bigint, date, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core'
import { tstz } from './columns.ts'

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
