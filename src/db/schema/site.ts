import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, primaryKey, smallint, text, uuid } from 'drizzle-orm/pg-core'
import { createdAt, currency, id, reported, tstz } from './columns.ts'
import { merchants } from './merchants.ts'

// The on-site snippet (/sk.js): which origins may send events for a merchant, the events themselves, and the
// sessions they add up to.

export const siteOrigins = pgTable(
  'site_origins',
  {
    merchantId: uuid('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'cascade' }),
    // Serialised like the browser's Origin header: scheme://host[:port], lower case, no path.
    origin: text('origin').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'site_origins_pkey', columns: [t.merchantId, t.origin] }),
    check('site_origins_shape', sql`${t.origin} ~ '^https?://[a-z0-9.:\\[\\]-]+$'`),
  ],
)

export const SITE_EVENT_KINDS = ['session', 'pageview', 'conversion'] as const
export type SiteEventKind = (typeof SITE_EVENT_KINDS)[number]

// Append-only (a trigger refuses UPDATE and DELETE): what a browser sent, with what we concluded on arrival.
// No foreign keys, like clicks: written in batches by the event flusher, never blocking a merchant's deletion.
export const siteEvents = pgTable(
  'site_events',
  {
    id: id(),
    receivedAt: tstz('received_at').notNull().defaultNow(),
    kind: text('kind').$type<SiteEventKind>().notNull(),
    merchantId: uuid('merchant_id').notNull(),
    origin: text('origin').notNull(),
    // The snippet's random id for a visit; sessions are keyed by (merchant, session id).
    sessionId: text('session_id').notNull(),
    // The click id exactly as sent (forged ones included: they are evidence of something), and the verified uuid.
    clickToken: text('click_token'),
    clickId: uuid('click_id'),
    // valid | missing | malformed | unknown_key | bad_signature | from_future | expired | unknown_click
    clickStatus: text('click_status').notNull(),
    programId: uuid('program_id'),
    influencerId: uuid('influencer_id'),
    linkId: uuid('link_id'),
    url: text('url'),
    referrer: text('referrer'),
    userAgent: text('user_agent'),
    ipHash: text('ip_hash'),
    botScore: smallint('bot_score').notNull(),
    // Null when billable on its facts (genuine unexpired click, human, active program); else why not. Whether a
    // kind is billed at all is the program's policy, applied when stats are read.
    notBillable: text('not_billable'),
    orderId: text('order_id'),
    revenue: reported('revenue'),
    currency: currency(),
    conversionId: uuid('conversion_id'),
  },
  (t) => [
    check('site_events_kind', sql`${t.kind} in ('session', 'pageview', 'conversion')`),
    index('site_events_merchant_received_idx').on(t.merchantId, t.receivedAt),
    index('site_events_program_received_idx')
      .on(t.programId, t.receivedAt)
      .where(sql`${t.programId} is not null`),
  ],
)

// One row per visit, folded incrementally from each flushed batch of events.
export const siteSessions = pgTable(
  'site_sessions',
  {
    merchantId: uuid('merchant_id').notNull(),
    sessionId: text('session_id').notNull(),
    clickId: uuid('click_id'),
    programId: uuid('program_id'),
    influencerId: uuid('influencer_id'),
    linkId: uuid('link_id'),
    firstAt: tstz('first_at').notNull(),
    lastAt: tstz('last_at').notNull(),
    pageviews: integer('pageviews').notNull(),
    maxBotScore: smallint('max_bot_score').notNull(),
    // The first event's verdict on the click id; a session never becomes billable later.
    notBillable: text('not_billable'),
    // When the session met the program's bar (pageviews or seconds, bot score under threshold, billable click).
    qualifiedAt: tstz('qualified_at'),
  },
  (t) => [
    primaryKey({ name: 'site_sessions_pkey', columns: [t.merchantId, t.sessionId] }),
    index('site_sessions_program_first_idx')
      .on(t.programId, t.firstAt)
      .where(sql`${t.programId} is not null`),
  ],
)

export type SiteEvent = typeof siteEvents.$inferSelect
export type NewSiteEvent = typeof siteEvents.$inferInsert
export type SiteSession = typeof siteSessions.$inferSelect
