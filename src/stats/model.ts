import { t } from 'elysia'

const Uuid = (description: string) => t.Optional(t.String({ format: 'uuid', description }))
const Minor = (description: string) => t.String({ description: `${description}; integer minor units` })

const common = {
  from: t.Optional(
    t.String({
      description:
        'Start: RFC 3339 with an offset, or a date (midnight in `tz`). Default: midnight in `tz` 29 days before the day of `to` (30 days). Resolved to the UTC hour.',
    }),
  ),
  to: t.Optional(
    t.String({
      description:
        'End (exclusive): RFC 3339 with an offset, or a date (that whole day in `tz`). Default: now. Resolved up to the UTC hour.',
    }),
  ),
  tz: t.Optional(
    t.String({ description: 'IANA time zone for dates and daily buckets (default UTC); unknown → 400' }),
  ),
  influencerId: Uuid('Only this influencer (an influencer key is always limited to itself)'),
  linkId: Uuid('Only this tracking link'),
  programId: Uuid('Only this program (a merchant key is always limited to its programs)'),
  campaignId: Uuid('Only this campaign'),
  format: t.Optional(
    t.Union([t.Literal('json'), t.Literal('csv')], {
      description: 'csv (or `Accept: text/csv`) answers the same table as a CSV download',
    }),
  ),
}

export const SummaryQuery = t.Object(common)

export const TimeseriesQuery = t.Object({
  ...common,
  interval: t.Optional(
    t.Union([t.Literal('hour'), t.Literal('day')], {
      description: 'day (default; days of `tz`) or hour (ranges up to 31 days)',
    }),
  ),
})

export const BreakdownQuery = t.Object({
  ...common,
  dim: t.Union(
    [t.Literal('device'), t.Literal('browser'), t.Literal('os'), t.Literal('country'), t.Literal('referrer')],
    { description: 'The click dimension; referrer is the referring host' },
  ),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 50 })),
})

export const TopQuery = t.Object({
  ...common,
  sort: t.Optional(
    t.Union([t.Literal('clicks'), t.Literal('humanClicks'), t.Literal('conversions')], {
      description: 'Ranking (default clicks)',
    }),
  ),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, default: 20 })),
})

const Money = t.Object({
  conversions: t.Integer(),
  revenue: Minor('Conversion totals × attribution weight (sales, leads, renewals)'),
  aov: t.Nullable(Minor('revenue / conversions, rounded half-to-even')),
  earned: Minor('Net commission kept by influencers: pending + approved + paid'),
  epc: t.Nullable(t.String({ description: 'earned / human clicks, minor units with 4 decimals' })),
  commissions: t.Object(
    {
      pending: t.String(),
      approved: t.String(),
      paid: t.String(),
      reversed: t.String({ description: 'Net taken back by reversals (partial ones too)' }),
    },
    { description: 'Net commission by status, after partial reversals; integer minor units' },
  ),
  gross: Minor('Commission owed by the merchant (after reversals)'),
  fee: Minor('Platform fee (after reversals)'),
})

const Metrics = {
  clicks: t.Integer(),
  uniqueClicks: t.Integer({ description: 'First human click of a visitor on a link per UTC day' }),
  humanClicks: t.Integer({ description: 'Not a bot, not HEAD, not a prefetch, bot score under 50' }),
  conversions: t.Integer({
    description: 'Credited sales, leads and renewals (all currencies), fully reversed ones excluded',
  }),
  conversionRate: t.Nullable(t.String({ description: 'conversions / human clicks, 6 decimals' })),
  money: t.Record(t.String(), Money, { description: 'Per currency (ISO 4217)' }),
}

const Range = {
  from: t.String({ description: 'The resolved start (UTC hour)' }),
  to: t.String({ description: 'The resolved end, exclusive (UTC hour)' }),
}

export const SummaryBody = t.Object({ ...Range, ...Metrics })

export const TimeseriesBody = t.Object({
  ...Range,
  interval: t.String(),
  timeZone: t.String(),
  data: t.Array(
    t.Object({
      bucket: t.String({ description: 'Local date (day) or local time with offset (hour)' }),
      start: t.String({ description: 'The bucket start as a UTC instant' }),
      ...Metrics,
    }),
  ),
})

export const BreakdownBody = t.Object({
  ...Range,
  dim: t.String(),
  data: t.Array(
    t.Object({
      value: t.String({ description: "'' = unknown" }),
      clicks: t.Integer(),
      uniqueClicks: t.Integer(),
      humanClicks: t.Integer(),
      share: t.Nullable(t.String({ description: 'Share of all clicks in scope, 4 decimals' })),
    }),
  ),
})

const N = t.Nullable(t.String())

export const TopLinksBody = t.Object({
  ...Range,
  sort: t.String(),
  data: t.Array(
    t.Object({
      linkId: t.String(),
      slug: t.String(),
      influencerId: t.String(),
      programId: t.String(),
      campaignId: N,
      productId: N,
      ...Metrics,
    }),
  ),
})

export const TopProductsBody = t.Object({
  ...Range,
  sort: t.String(),
  data: t.Array(
    t.Object({ productId: t.String(), sku: t.String(), name: t.String(), links: t.Integer(), ...Metrics }),
  ),
})

export const SiteQuery = t.Object({
  from: common.from,
  to: common.to,
  influencerId: common.influencerId,
  linkId: common.linkId,
  programId: common.programId,
})

const Pair = t.Object({ raw: t.Integer(), billable: t.Integer() })
const Counts = t.Record(t.String(), t.Integer())

export const SiteBody = t.Object({
  from: t.String({ format: 'date-time' }),
  to: t.String({ format: 'date-time' }),
  programs: t.Array(
    t.Object({
      program_id: t.String({ format: 'uuid' }),
      billable_kinds: t.Array(t.String(), { description: "The program's billing policy: kinds it pays for" }),
      sessions: Pair,
      qualified_sessions: Pair,
      pageviews: Pair,
      conversions: Pair,
      not_billable: Counts,
    }),
  ),
  unattributed: t.Nullable(
    t.Object({
      sessions: t.Integer(),
      pageviews: t.Integer(),
      conversions: t.Integer(),
      by_click_status: Counts,
    }),
  ),
})
