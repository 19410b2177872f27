import type { Store } from '../db/store.ts'
import { type Range, splitRange } from './range.ts'
import type { Scope } from './scope.ts'
import {
  COUNTS,
  inHours,
  linkLevel,
  Params,
  salesSums,
  scoped,
  type Tier,
  tierOf,
  uuids,
} from './sql-parts.ts'

// Totals read whole UTC days from the daily rollups of the scope's tier (sql-parts.ts tierOf) and the partial days
// at the edges from the hourly ones; series read the hourly ones.

const DAILY: Record<Tier, string> = {
  program: 'click_rollups_program_daily',
  influencer: 'click_rollups_influencer_daily',
  campaign: 'click_rollups_campaign_daily',
  link: 'click_rollups_link_daily',
}

export interface ClickRow {
  key?: string
  clicks: string | null
  human: string | null
  uniq: string | null
}

/**
 * Click counts of one dimension over the range: one row (dim 'all') or one per value (a breakdown, largest
 * first, at most `limit`).
 */
export async function clickTotals(
  store: Store,
  s: Scope,
  r: Range,
  dim: string,
  limit?: number,
): Promise<ClickRow[]> {
  const q = new Params()
  const tier = tierOf(s)
  const program = tier === 'program'
  const daily = DAILY[tier]
  // A link's daily rollup has dim 'all' only: its breakdowns read the hourly rows of the whole range.
  const split =
    tier === 'link' && dim !== 'all' ? { hours: [[r.from, r.to]] as const, days: null } : splitRange(r)
  const parts: string[] = []
  if (split.hours.length)
    parts.push(`select value, clicks, human_clicks, unique_clicks
        from ${program ? 'click_rollups_program_hourly' : 'click_rollups_hourly'}
       where dim = ${q.p(dim)} and ${inHours('hour', q, split.hours)}${scoped(s, q, { programOnly: program })}`)
  if (split.days)
    parts.push(`select ${tier === 'link' ? "''" : 'value'} as value, clicks, human_clicks, unique_clicks
        from ${daily}
       where ${tier === 'link' ? '' : `dim = ${q.p(dim)} and `}day >= ${q.p(split.days[0], '::date')}
         and day < ${q.p(split.days[1], '::date')}${scoped(s, q, { programOnly: program })}`)
  const source = parts.join(' union all ')
  const text =
    limit === undefined
      ? `select ${COUNTS} from (${source}) x`
      : `select value as key, ${COUNTS} from (${source}) x group by value
         order by sum(clicks) desc, value limit ${q.p(limit, '::int')}`
  return store.query<ClickRow>(text, q.values)
}

/**
 * dim 'all' per bucket: the UTC hour (epoch seconds) or the zone's local date of the hour's start. Summed per hour
 * first, so the zone conversion runs once an hour, not once a rollup row.
 */
export async function clickSeries(
  store: Store,
  s: Scope,
  r: Range,
  interval: 'hour' | 'day',
  tz: string,
): Promise<ClickRow[]> {
  const q = new Params()
  const bucket =
    interval === 'hour' ? `extract(epoch from h)::bigint::text` : `(h at time zone ${q.p(tz)})::date::text`
  const table = linkLevel(s) ? 'click_rollups_hourly' : 'click_rollups_program_hourly'
  return store.query<ClickRow>(
    `select ${bucket} as key, sum(c)::text as clicks, sum(hu)::text as human, sum(u)::text as uniq
       from (select hour as h, sum(clicks) as c, sum(human_clicks) as hu, sum(unique_clicks) as u from ${table}
              where dim = 'all' and ${inHours('hour', q, [[r.from, r.to]])}${scoped(s, q, { programOnly: !linkLevel(s) })}
              group by hour) x
      group by 1`,
    q.values,
  )
}

/** Every hour of the range with its wall clock in the zone and its offset (minutes), from Postgres' tz data. */
export async function hoursIn(
  store: Store,
  r: Range,
  tz: string,
): Promise<{ key: string; local: string; off: number }[]> {
  return store.query(
    `select extract(epoch from h)::bigint::text as key, to_char(h at time zone $3, 'YYYY-MM-DD"T"HH24:MI') as local,
            (extract(epoch from (h at time zone $3) - (h at time zone 'UTC')) / 60)::int as off
       from generate_series($1::timestamptz, $2::timestamptz - interval '1 hour', interval '1 hour') h`,
    [r.from.toISOString(), r.to.toISOString(), tz],
  )
}

export interface SalesRow {
  key?: string
  currency: string
  status: 'pending' | 'approved' | 'paid' | 'reversed'
  conversions: string
  revenue: string
  /** What is left of the bucket's commissions after reversals. */
  net: string
  gross: string
  fee: string
  /** What reversals took back (net), whatever bucket the commission is in. */
  reversed: string
}

export type SalesKey =
  | { by: 'none' }
  | { by: 'hour' }
  | { by: 'day'; tz: string }
  | { by: 'link'; ids: readonly string[] }
  | { by: 'product'; ids: readonly string[] }

/** Sales rollups by currency and status, optionally per bucket, link or product. */
export async function salesTotals(store: Store, s: Scope, r: Range, k: SalesKey): Promise<SalesRow[]> {
  const q = new Params()
  let key = ''
  let join = ''
  let where = ''
  if (k.by === 'hour') key = 'extract(epoch from s.hour)::bigint::text'
  if (k.by === 'day') key = `(s.hour at time zone ${q.p(k.tz)})::date::text`
  if (k.by === 'link') {
    key = 's.link_id::text'
    where = ` and s.link_id = any(${uuids(q, k.ids)})`
  }
  if (k.by === 'product') {
    key = 'l.product_id::text'
    join = ' join tracking_links l on l.id = s.link_id'
    where = ` and l.product_id = any(${uuids(q, k.ids)})`
  }
  return store.query<SalesRow>(
    `select ${key ? `${key} as key, ` : ''}${salesSums('s')}
       from sales_rollups_hourly s${join}
      where ${inHours('s.hour', q, [[r.from, r.to]])}${scoped(s, q, { alias: 's' })}${where}
      group by ${key ? '1, ' : ''}s.currency, s.status`,
    q.values,
  )
}
