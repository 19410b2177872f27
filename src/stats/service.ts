import type { Principal } from '../auth/principal.ts'
import { foldRollups } from '../db/rollups.ts'
import type { Store } from '../db/store.ts'
import { byKey, clickMetrics, type Metrics, metricsOf, ratio } from './metrics.ts'
import { clickSeries, clickTotals, hoursIn, salesTotals } from './queries.ts'
import { checkTimeZone, formatOffset, localDate, type Range, resolveRange, zonedMidnight } from './range.ts'
import { type Filters, resolveScope, type Scope } from './scope.ts'
import { type TopSort, topLinks, topProducts } from './top-queries.ts'

export interface StatsQuery extends Filters {
  readonly from?: string
  readonly to?: string
  readonly tz?: string
}

export interface StatsRequest<Q extends StatsQuery = StatsQuery> {
  readonly store: Store
  readonly principal: Principal
  readonly query: Q
  readonly now?: Date
}

const HOUR = 3_600_000
/** Hourly series are capped at a month of points; daily ones at the range cap (400 days). */
const MAX_HOURLY_DAYS = 31

interface Prepared {
  scope: Scope
  range: Range
  tz: string
}

async function prepare(r: StatsRequest, maxDays?: number): Promise<Prepared> {
  // Clicks and sales reach the rollups through queues the flushers fold in about once a second (drizzle/0022,
  // 0024): folding what is left first makes every read exact as of the read.
  await foldRollups(r.store, true)
  const tz = await checkTimeZone(r.store, r.query.tz ?? 'UTC')
  const range = resolveRange(r.query, tz, r.now ?? new Date(), maxDays)
  const scope = await resolveScope(r.store, r.principal, r.query)
  return { scope, range, tz }
}

const head = (p: Prepared) => ({ from: p.range.from.toISOString(), to: p.range.to.toISOString() })

/** Every metric over the range for the scope. */
export async function summary(r: StatsRequest) {
  const p = await prepare(r)
  const [clicks, sales] = await Promise.all([
    clickTotals(r.store, p.scope, p.range, 'all'),
    salesTotals(r.store, p.scope, p.range, { by: 'none' }),
  ])
  return { ...head(p), ...metricsOf(clickMetrics(clicks[0]), sales) }
}

/**
 * One row per hour or per day of the zone, empty buckets included. An hourly rollup belongs to the local day in
 * which its UTC hour starts: exact for every zone whose offset is a whole number of hours (DST included); in
 * zones with a :30 or :45 offset (India, Nepal) the hour that contains local midnight counts to the day before.
 */
export async function timeseries(r: StatsRequest<StatsQuery & { interval?: 'hour' | 'day' }>) {
  const interval = r.query.interval ?? 'day'
  const p = await prepare(r, interval === 'hour' ? MAX_HOURLY_DAYS : undefined)
  const [clicks, sales, hours] = await Promise.all([
    clickSeries(r.store, p.scope, p.range, interval, p.tz),
    salesTotals(r.store, p.scope, p.range, interval === 'hour' ? { by: 'hour' } : { by: 'day', tz: p.tz }),
    interval === 'hour' ? hoursIn(r.store, p.range, p.tz) : undefined,
  ])
  const clickBy = byKey(clicks)
  const salesBy = byKey(sales)
  const buckets = hours
    ? hours.map((h) => ({
        key: h.key,
        label: `${h.local}${formatOffset(h.off)}`,
        start: new Date(Number(h.key) * 1000).toISOString(),
      }))
    : dayBuckets(p.range, p.tz)
  // Postgres and Intl read their own copies of the tz database: a day only Postgres knows is still shown.
  const known = new Set(buckets.map((b) => b.key))
  for (const k of clickBy.keys()) if (!known.has(k)) buckets.push(dayBucket(k, p.tz))
  for (const k of salesBy.keys()) if (!known.has(k) && !clickBy.has(k)) buckets.push(dayBucket(k, p.tz))
  buckets.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
  const data = buckets.map((b) => ({
    bucket: b.label,
    start: b.start,
    ...metricsOf(clickMetrics(clickBy.get(b.key)?.[0]), salesBy.get(b.key) ?? []),
  }))
  return { ...head(p), interval, timeZone: p.tz, data }
}

interface Bucket {
  key: string
  label: string
  start: string
}

const dayBucket = (day: string, tz: string): Bucket => ({
  key: day,
  label: day,
  start: zonedMidnight(day, tz).toISOString(),
})

function dayBuckets(range: Range, tz: string): Bucket[] {
  const first = localDate(range.from, tz)
  const last = localDate(new Date(range.to.getTime() - HOUR), tz)
  const out: Bucket[] = []
  for (let d = first; d <= last; d = nextDay(d)) out.push(dayBucket(d, tz))
  return out
}

const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

export const DIMENSIONS = ['device', 'browser', 'os', 'country', 'referrer'] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** Click counts per value of a dimension ('' = unknown), largest first; conversions are not tied to a click's device. */
export async function breakdown(r: StatsRequest<StatsQuery & { dim: Dimension; limit?: number }>) {
  const p = await prepare(r)
  const [rows, total] = await Promise.all([
    clickTotals(r.store, p.scope, p.range, r.query.dim, r.query.limit ?? 50),
    clickTotals(r.store, p.scope, p.range, 'all'),
  ])
  const all = BigInt(total[0]?.clicks ?? 0)
  const data = rows.map((row) => ({
    value: row.key ?? '',
    ...clickMetrics(row),
    share: ratio(BigInt(row.clicks ?? 0), all, 4),
  }))
  return { ...head(p), dim: r.query.dim, data }
}

type TopQuery = StatsQuery & { sort?: TopSort; limit?: number }

/** The scope's links with their metrics, ranked by clicks (default), human clicks or conversions. */
export async function topLinksOf(r: StatsRequest<TopQuery>) {
  const p = await prepare(r)
  const sort = r.query.sort ?? 'clicks'
  const rows = await topLinks(r.store, p.scope, p.range, sort, r.query.limit ?? 20)
  const sales = byKey(
    rows.length
      ? await salesTotals(r.store, p.scope, p.range, { by: 'link', ids: rows.map((l) => l.id) })
      : [],
  )
  const data = rows.map((l) => ({
    linkId: l.id,
    slug: l.slug,
    influencerId: l.influencer_id,
    programId: l.program_id,
    campaignId: l.campaign_id,
    productId: l.product_id,
    ...withSales(l, sales.get(l.id)),
  }))
  return { ...head(p), sort, data }
}

/** The same per product of the links (their product now). */
export async function topProductsOf(r: StatsRequest<TopQuery>) {
  const p = await prepare(r)
  const sort = r.query.sort ?? 'clicks'
  const rows = await topProducts(r.store, p.scope, p.range, sort, r.query.limit ?? 20)
  const sales = byKey(
    rows.length
      ? await salesTotals(r.store, p.scope, p.range, { by: 'product', ids: rows.map((x) => x.id) })
      : [],
  )
  const data = rows.map((x) => ({
    productId: x.id,
    sku: x.sku,
    name: x.name,
    links: Number(x.links),
    ...withSales(x, sales.get(x.id)),
  }))
  return { ...head(p), sort, data }
}

function withSales(
  row: { clicks: string; human: string; uniq: string },
  sales: Parameters<typeof metricsOf>[1] | undefined,
): Metrics {
  return metricsOf(clickMetrics(row), sales ?? [])
}
