import { boolean, char, jsonb, pgTable, primaryKey, smallint, text, uuid } from 'drizzle-orm/pg-core'
import { tstz } from './columns.ts'

// Partitioned by day on clicked_at, which drizzle-kit cannot express: the table is created by the
// custom migration drizzle/0001_clicks_partitioned.sql, and this file is deliberately NOT exported
// from schema/index.ts so drizzle-kit never diffs (or "fixes") it. Import it directly for queries.
// Keep the two in step by hand.
//
// No foreign keys: this is the highest-volume table, written by COPY from the click buffer, and
// links must stay deletable/archivable without touching billions of rows.
export const clicks = pgTable(
  'clicks',
  {
    // uuid v7 minted by the redirect and signed into the click id handed to the destination.
    id: uuid('id').notNull(),
    clickedAt: tstz('clicked_at').notNull(),
    linkId: uuid('link_id').notNull(),
    slug: text('slug').notNull(),
    programId: uuid('program_id').notNull(),
    influencerId: uuid('influencer_id').notNull(),
    campaignId: uuid('campaign_id'),
    // Salted hash of the client IP; the raw address is never stored.
    ipHash: text('ip_hash'),
    userAgent: text('user_agent'),
    device: text('device'),
    browser: text('browser'),
    os: text('os'),
    country: char('country', { length: 2 }),
    referrer: text('referrer'),
    landingParams: jsonb('landing_params').$type<Record<string, string>>(),
    isBot: boolean('is_bot').notNull().default(false),
    isHead: boolean('is_head').notNull().default(false),
    isPrefetch: boolean('is_prefetch').notNull().default(false),
    botScore: smallint('bot_score'),
    // Which signing key produced the click id, so ids survive key rotation.
    clickIdKid: text('click_id_kid'),
  },
  // The partition key must be part of every unique constraint on a partitioned table.
  (t) => [primaryKey({ name: 'clicks_pkey', columns: [t.id, t.clickedAt] })],
)

export type Click = typeof clicks.$inferSelect
export type NewClick = typeof clicks.$inferInsert
