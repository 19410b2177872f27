import type { Scope } from './scope.ts'

// Pieces every stats statement is built from. Stats read rollups only, never raw clicks or commissions.

/** Positional parameters collected while a statement is built. */
export class Params {
  readonly values: unknown[] = []
  p(v: unknown, cast = ''): string {
    this.values.push(v)
    return `$${this.values.length}${cast}`
  }
}

/** A uuid[] parameter as an array literal (the same text on postgres.js and PGlite). */
export const uuids = (q: Params, ids: readonly string[]) => q.p(`{${ids.join(',')}}`, '::uuid[]')

/**
 * Which rollups a scope reads. Wide scopes (a program, a merchant's programs, everything) read the program rollups;
 * an influencer alone or a campaign its own daily rollups, with the hourly edges from the link rollups; anything
 * narrower (a link, or combined filters) the link rollups.
 */
export type Tier = 'program' | 'influencer' | 'campaign' | 'link'

export function tierOf(s: Scope): Tier {
  if (!s.linkId && !s.influencerId && !s.campaignId) return 'program'
  if (s.influencerId && !s.linkId && !s.campaignId && !s.programIds) return 'influencer'
  if (s.campaignId && !s.linkId && !s.influencerId) return 'campaign'
  return 'link'
}

export const linkLevel = (s: Scope) => tierOf(s) !== 'program'

/** ` and …` conditions on a rollup's scope columns (prefixed with `alias.`); `programOnly` for the program rollups. */
export function scoped(s: Scope, q: Params, opts: { alias?: string; programOnly?: boolean } = {}): string {
  const a = opts.alias ? `${opts.alias}.` : ''
  const w: string[] = []
  if (!opts.programOnly && s.linkId) w.push(`${a}link_id = ${q.p(s.linkId, '::uuid')}`)
  if (!opts.programOnly && s.influencerId) w.push(`${a}influencer_id = ${q.p(s.influencerId, '::uuid')}`)
  if (s.programIds)
    w.push(
      s.programIds.length === 1
        ? `${a}program_id = ${q.p(s.programIds[0], '::uuid')}`
        : `${a}program_id = any(${uuids(q, s.programIds)})`,
    )
  if (!opts.programOnly && s.campaignId) w.push(`${a}campaign_id = ${q.p(s.campaignId, '::uuid')}`)
  return w.map((c) => ` and ${c}`).join('')
}

/** `col` inside any of the [from, to) ranges. */
export const inHours = (col: string, q: Params, ranges: readonly (readonly [Date, Date])[]) =>
  `(${ranges
    .map(
      ([a, b]) =>
        `(${col} >= ${q.p(a.toISOString(), '::timestamptz')} and ${col} < ${q.p(b.toISOString(), '::timestamptz')})`,
    )
    .join(' or ')})`

export const COUNTS =
  'sum(clicks)::text as clicks, sum(human_clicks)::text as human, sum(unique_clicks)::text as uniq'

/** Sales rollup sums of alias `a` by currency and status (group by those). */
export const salesSums = (a: string) =>
  `${a}.currency, ${a}.status, sum(${a}.conversions)::text as conversions,
   sum(${a}.revenue_minor)::text as revenue,
   sum(${a}.net_minor - ${a}.reversed_net_minor)::text as net,
   sum(${a}.gross_minor - ${a}.reversed_gross_minor)::text as gross,
   sum(${a}.fee_minor - ${a}.reversed_fee_minor)::text as fee,
   sum(${a}.reversed_net_minor)::text as reversed`
