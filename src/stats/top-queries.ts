import type { Store } from '../db/store.ts'
import { type Range, splitRange } from './range.ts'
import type { Scope } from './scope.ts'
import { inHours, Params, scoped } from './sql-parts.ts'

export type TopSort = 'clicks' | 'humanClicks' | 'conversions'

const ORDER: Record<TopSort, string> = { clicks: 'clicks', humanClicks: 'human', conversions: 'conversions' }

export interface TopRow {
  id: string
  clicks: string
  human: string
  uniq: string
  conversions: string
}

export interface TopLinkRow extends TopRow {
  slug: string
  influencer_id: string
  program_id: string
  campaign_id: string | null
  product_id: string | null
}

export interface TopProductRow extends TopRow {
  sku: string
  name: string
  links: string
}

/**
 * Clicks and conversions per link over the range: whole UTC days from the link-daily rollups, the edges from the
 * link-hourly ones (dim 'all'), sales from the sales rollups (sales without a link are in no link's row).
 */
function perLink(s: Scope, r: Range, q: Params): string {
  const split = splitRange(r)
  const parts: string[] = []
  if (split.hours.length)
    parts.push(`select link_id, clicks, human_clicks, unique_clicks from click_rollups_hourly
      where dim = 'all' and ${inHours('hour', q, split.hours)}${scoped(s, q)}`)
  if (split.days)
    parts.push(`select link_id, clicks, human_clicks, unique_clicks from click_rollups_link_daily
      where day >= ${q.p(split.days[0], '::date')} and day < ${q.p(split.days[1], '::date')}${scoped(s, q)}`)
  return `c as (
      select link_id, sum(clicks) as clicks, sum(human_clicks) as human, sum(unique_clicks) as uniq
        from (${parts.join(' union all ')}) x group by link_id
    ), s as (
      select link_id, sum(conversions) as conversions from sales_rollups_hourly
       where link_id is not null and status <> 'reversed' and ${inHours('hour', q, [[r.from, r.to]])}${scoped(s, q)}
       group by link_id
    ), j as (
      select coalesce(c.link_id, s.link_id) as link_id, coalesce(c.clicks, 0) as clicks,
             coalesce(c.human, 0) as human, coalesce(c.uniq, 0) as uniq, coalesce(s.conversions, 0) as conversions
        from c full join s on s.link_id = c.link_id
    )`
}

/** The scope's links ranked by `sort` (ties by id), at most `limit`. */
export async function topLinks(
  store: Store,
  s: Scope,
  r: Range,
  sort: TopSort,
  limit: number,
): Promise<TopLinkRow[]> {
  const q = new Params()
  return store.query<TopLinkRow>(
    `with ${perLink(s, r, q)}
     select l.id::text as id, l.slug, l.influencer_id::text as influencer_id, l.program_id::text as program_id,
            l.campaign_id::text as campaign_id, l.product_id::text as product_id, j.clicks::text as clicks,
            j.human::text as human, j.uniq::text as uniq, j.conversions::text as conversions
       from j join tracking_links l on l.id = j.link_id
      order by j.${ORDER[sort]} desc, l.id limit ${q.p(limit, '::int')}`,
    q.values,
  )
}

/** The same per product (tracking_links.product_id as it is now); links without a product are left out. */
export async function topProducts(
  store: Store,
  s: Scope,
  r: Range,
  sort: TopSort,
  limit: number,
): Promise<TopProductRow[]> {
  const q = new Params()
  return store.query<TopProductRow>(
    `with ${perLink(s, r, q)}
     select p.id::text as id, p.sku, p.name, count(*)::text as links, sum(j.clicks)::text as clicks,
            sum(j.human)::text as human, sum(j.uniq)::text as uniq, sum(j.conversions)::text as conversions
       from j join tracking_links l on l.id = j.link_id join products p on p.id = l.product_id
      group by p.id
      order by sum(j.${ORDER[sort]}) desc, p.id limit ${q.p(limit, '::int')}`,
    q.values,
  )
}
