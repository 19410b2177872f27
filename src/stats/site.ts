import { textArray } from '../db/rows.ts'
import type { Store } from '../db/store.ts'
import { resolveRange } from './range.ts'
import { resolveScope } from './scope.ts'
import type { StatsRequest } from './service.ts'
import { Params, scoped } from './sql-parts.ts'

// On-site snippet figures, raw (everything the browsers sent) next to billable (what the program's billing policy
// pays for: its billable kinds, from a genuine unexpired click, a human under the bot threshold, and for conversions
// not held or rejected by a fraud flag unless the program bills those too). Read from the events themselves: the
// policy applies when read, so changing it re-prices the past.

export interface Pair {
  raw: number
  billable: number
}

export interface ProgramSiteStats {
  program_id: string
  billable_kinds: string[]
  sessions: Pair
  qualified_sessions: Pair
  pageviews: Pair
  conversions: Pair
  /** Events that cannot be billed on their facts, by reason (expired, bad_signature, bot …). */
  not_billable: Record<string, number>
}

const n = (v: unknown) => Number(v ?? 0)

export async function siteStats(r: StatsRequest & { store: Store }) {
  const range = resolveRange(r.query, 'UTC', r.now ?? new Date())
  const scope = await resolveScope(r.store, r.principal, r.query)
  const q = new Params()
  const from = q.p(range.from.toISOString(), '::timestamptz')
  const to = q.p(range.to.toISOString(), '::timestamptz')
  const where = scoped(scope, q, { alias: 'x' })
  const rows = await r.store.query<Record<string, unknown>>(
    `with s as (
       select x.program_id, count(*) as raw,
              count(*) filter (where x.not_billable is null and x.max_bot_score < p.bot_score_threshold) as valid,
              count(*) filter (where x.qualified_at is not null) as qualified
         from site_sessions x join programs p on p.id = x.program_id
        where x.first_at >= ${from} and x.first_at < ${to}${where}
        group by x.program_id),
     e as (
       select x.program_id,
              count(*) filter (where x.kind = 'pageview') as pv_raw,
              count(*) filter (where x.kind = 'pageview' and x.not_billable is null) as pv_valid,
              count(*) filter (where x.kind = 'conversion') as cv_raw,
              count(distinct x.conversion_id) filter (
                where x.kind = 'conversion' and x.not_billable is null
                  and (p.site_bill_flagged or not exists (
                        select 1 from fraud_flags f where f.conversion_id = x.conversion_id
                           and (f.resolution is null or f.resolution = 'rejected')))) as cv_valid
         from site_events x join programs p on p.id = x.program_id
        where x.received_at >= ${from} and x.received_at < ${to}${where}
        group by x.program_id),
     reasons as (
       select x.program_id, jsonb_object_agg(x.not_billable, x.c) as by_reason
         from (select program_id, not_billable, count(*) as c from site_events x
                where x.program_id is not null and x.not_billable is not null
                  and x.received_at >= ${from} and x.received_at < ${to}${where}
                group by program_id, not_billable) x
        group by x.program_id)
     select p.id as program_id, p.site_billable as kinds, s.raw, s.valid, s.qualified,
            e.pv_raw, e.pv_valid, e.cv_raw, e.cv_valid, reasons.by_reason
       from programs p
       left join s on s.program_id = p.id
       left join e on e.program_id = p.id
       left join reasons on reasons.program_id = p.id
      where (s.program_id is not null or e.program_id is not null)
      order by p.id`,
    q.values,
  )
  const programs: ProgramSiteStats[] = rows.map((row) => {
    const kinds = textArray(row.kinds)
    const bill = (kind: string, v: unknown) => (kinds.includes(kind) ? n(v) : 0)
    return {
      program_id: String(row.program_id),
      billable_kinds: kinds,
      sessions: { raw: n(row.raw), billable: bill('session', row.valid) },
      qualified_sessions: { raw: n(row.qualified), billable: bill('qualified_session', row.qualified) },
      pageviews: { raw: n(row.pv_raw), billable: bill('pageview', row.pv_valid) },
      conversions: { raw: n(row.cv_raw), billable: bill('conversion', row.cv_valid) },
      not_billable: Object.fromEntries(
        Object.entries((row.by_reason as Record<string, unknown> | null) ?? {}).map(([k, v]) => [k, n(v)]),
      ),
    }
  })
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    programs,
    unattributed: await unattributed(r, range),
  }
}

/**
 * Events whose click id names none of the merchant's programs (missing, forged, unknown): never billable, counted so a
 * merchant sees them. Only for callers who see whole merchants; an influencer has no such events.
 */
async function unattributed(r: StatsRequest, range: { from: Date; to: Date }) {
  const p = r.principal
  if (p.kind === 'influencer' || r.query.programId || r.query.influencerId || r.query.linkId) return null
  const q = new Params()
  const from = q.p(range.from.toISOString(), '::timestamptz')
  const to = q.p(range.to.toISOString(), '::timestamptz')
  const merchant = p.kind === 'merchant' ? ` and merchant_id = ${q.p(p.merchantId, '::uuid')}` : ''
  const [row] = await r.store.query<Record<string, unknown>>(
    `select count(distinct session_id) as sessions,
            count(*) filter (where kind = 'pageview') as pageviews,
            count(*) filter (where kind = 'conversion') as conversions,
            coalesce((select jsonb_object_agg(click_status, c) from (
               select click_status, count(*) as c from site_events
                where program_id is null and received_at >= ${from} and received_at < ${to}${merchant}
                group by click_status) g), '{}'::jsonb) as by_reason
       from site_events
      where program_id is null and received_at >= ${from} and received_at < ${to}${merchant}`,
    q.values,
  )
  return {
    sessions: n(row?.sessions),
    pageviews: n(row?.pageviews),
    conversions: n(row?.conversions),
    by_click_status: Object.fromEntries(
      Object.entries((row?.by_reason as Record<string, unknown> | null) ?? {}).map(([k, v]) => [k, n(v)]),
    ),
  }
}
