import type { Store } from '../../src/db/store.ts'
import { testAdminKey } from '../helpers/app.ts'

interface Handles {
  handle(req: Request): Response | Promise<Response>
}

/** GET /api/v1/stats/<path> as `key` (the admin key unless told; null = no Authorization header). */
export async function stats(app: Handles, path: string, key: string | null = testAdminKey, accept?: string) {
  const headers: Record<string, string> = {}
  if (key !== null) headers.authorization = `Bearer ${key}`
  if (accept) headers.accept = accept
  const res = await app.handle(new Request(`http://localhost/api/v1/stats${path}`, { headers }))
  const text = await res.text()
  const json = (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined
  return { status: res.status, body: json as any, text, headers: res.headers }
}

const HUMAN = `(not is_bot and not is_head and not is_prefetch and coalesce(bot_score, 0) < 50)`
const REF_HOST = `coalesce(lower(substring(referrer from '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?([^/?#:]+)')), '')`

/**
 * Rows where a rollup differs from what the raw clicks (or the finer rollup) say, per check; all 0 when the
 * rollups are exact. Unique clicks are compared per link and UTC day (which hour of the day holds a visitor's
 * unique click depends on which of their clicks was stored first).
 */
export async function rollupMismatches(store: Store): Promise<Record<string, number>> {
  // What the stats API reads: the queue folded in first, as every stats request does.
  await store.query('select click_rollups_apply(true)')
  const diff = async (a: string, b: string) => {
    const [r] = await store.query<{ n: string }>(
      `select count(*)::text as n from (((${a}) except all (${b})) union all ((${b}) except all (${a}))) d`,
    )
    return Number(r?.n)
  }
  const dims = `(values ('all', ''), ('device', coalesce(device, '')), ('browser', coalesce(browser, '')),
    ('os', coalesce(os, '')), ('country', coalesce(country, '')), ('referrer', ${REF_HOST})) d(dim, value)`
  return {
    hourlyCounts: await diff(
      `select link_id, d.dim, date_trunc('hour', clicked_at, 'UTC'), d.value, count(*)::bigint,
              count(*) filter (where ${HUMAN})::bigint
         from clicks cross join lateral ${dims} group by 1, 2, 3, 4`,
      `select link_id, dim, hour, value, clicks, human_clicks from click_rollups_hourly`,
    ),
    uniquePerDay: await diff(
      `select link_id, (clicked_at at time zone 'UTC')::date,
              count(distinct ip_hash) filter (where ${HUMAN})::numeric
         from clicks group by 1, 2`,
      `select link_id, (hour at time zone 'UTC')::date, sum(unique_clicks)
         from click_rollups_hourly where dim = 'all' group by 1, 2`,
    ),
    programHourly: await diff(
      `select program_id, hour, dim, value, sum(clicks), sum(human_clicks), sum(unique_clicks)
         from click_rollups_hourly group by 1, 2, 3, 4`,
      `select program_id, hour, dim, value, clicks::numeric, human_clicks::numeric, unique_clicks::numeric
         from click_rollups_program_hourly`,
    ),
    programDaily: await diff(
      `select program_id, (hour at time zone 'UTC')::date, dim, value, sum(clicks), sum(human_clicks),
              sum(unique_clicks)
         from click_rollups_hourly group by 1, 2, 3, 4`,
      `select program_id, day, dim, value, clicks::numeric, human_clicks::numeric, unique_clicks::numeric
         from click_rollups_program_daily`,
    ),
    linkDaily: await diff(
      `select link_id, influencer_id, program_id, campaign_id, (hour at time zone 'UTC')::date, sum(clicks),
              sum(human_clicks), sum(unique_clicks)
         from click_rollups_hourly where dim = 'all' group by 1, 2, 3, 4, 5`,
      `select link_id, influencer_id, program_id, campaign_id, day, clicks::numeric, human_clicks::numeric,
              unique_clicks::numeric
         from click_rollups_link_daily`,
    ),
    influencerDaily: await diff(
      `select influencer_id, (hour at time zone 'UTC')::date, dim, value, sum(clicks), sum(human_clicks),
              sum(unique_clicks)
         from click_rollups_hourly group by 1, 2, 3, 4`,
      `select influencer_id, day, dim, value, clicks::numeric, human_clicks::numeric, unique_clicks::numeric
         from click_rollups_influencer_daily`,
    ),
    campaignDaily: await diff(
      `select campaign_id, program_id, (hour at time zone 'UTC')::date, dim, value, sum(clicks), sum(human_clicks),
              sum(unique_clicks)
         from click_rollups_hourly where campaign_id is not null group by 1, 2, 3, 4, 5`,
      `select campaign_id, program_id, day, dim, value, clicks::numeric, human_clicks::numeric,
              unique_clicks::numeric
         from click_rollups_campaign_daily`,
    ),
  }
}

/**
 * Rows where sales_rollups_hourly differs from a direct query on commissions, conversions, attributions and
 * reversals (buckets emptied by status moves are ignored). Revenue here is total × weight computed with numeric
 * round(), which equals half-to-even for the exact weights the tests use.
 */
export async function salesMismatches(store: Store): Promise<number> {
  await store.query('select sales_rollups_fold(true)')
  const direct = `
    select date_trunc('hour', v.occurred_at, 'UTC') as hour, c.influencer_id, c.program_id, a.link_id, c.currency,
           c.status, c.event_kind, count(*)::numeric as commissions,
           count(*) filter (where c.event_kind in ('sale', 'lead', 'subscription_renewal'))::numeric as conversions,
           coalesce(sum(round(v.total * 100 * a.weight_num / a.weight_den))
             filter (where c.event_kind in ('sale', 'lead', 'subscription_renewal')), 0) as revenue,
           sum(c.gross_minor) as gross, sum(c.fee_minor) as fee, sum(c.net_minor) as net,
           coalesce(sum(r.gross), 0) as rgross, coalesce(sum(r.fee), 0) as rfee, coalesce(sum(r.net), 0) as rnet
      from commissions c join conversions v on v.id = c.conversion_id join attributions a on a.id = c.attribution_id
      left join (select commission_id, sum(gross_minor) as gross, sum(fee_minor) as fee, sum(net_minor) as net
                   from reversals group by 1) r on r.commission_id = c.id
     group by 1, 2, 3, 4, 5, 6, 7`
  const rollup = `
    select hour, influencer_id, program_id, link_id, currency, status, event_kind, commissions::numeric,
           conversions::numeric, revenue_minor::numeric, gross_minor::numeric, fee_minor::numeric,
           net_minor::numeric, reversed_gross_minor::numeric, reversed_fee_minor::numeric,
           reversed_net_minor::numeric
      from sales_rollups_hourly
     where commissions <> 0 or gross_minor <> 0 or reversed_gross_minor <> 0 or revenue_minor <> 0`
  const [r] = await store.query<{ n: string }>(
    `select count(*)::text as n from (((${direct}) except all (${rollup})) union all ((${rollup}) except all (${direct}))) d`,
  )
  return Number(r?.n)
}
