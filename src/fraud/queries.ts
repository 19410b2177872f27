import { sql } from 'drizzle-orm'
import { rawRows } from '../db/rows.ts'
import { fraudFlags } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import type { FraudHit } from './rules.ts'
import { THRESHOLDS } from './rules.ts'

/** What the settlement-time rules need about one credited influencer, in one round trip. */
export interface SettlementEvidence {
  readonly email: string | null
  readonly clickIpHash: string | null
  readonly botScore: number | null
  readonly clicksOnLink: number
  readonly otherInfluencerIds: string[]
  readonly loginInfluencerIds: string[]
}

/**
 * The influencer's email, the deciding click (partition-pruned by its clicked_at), how often its address clicked
 * that link around it (clicks_link_clicked_idx), and which other influencers of the merchant that address (or
 * the conversion's, without a click) clicked (clicks_ip_hash_clicked_idx) or logged in as
 * (sessions_ip_hash_created_idx) in the shared-IP window. Logins count only influencers in one of the merchant's
 * programs: the flag's evidence is shown to the merchant, who must not learn of anyone else's accounts.
 */
export async function settlementEvidence(
  tx: Db,
  q: {
    influencerId: string
    merchantId: string
    clickId: string | null
    clickedAt: Date | null
    conversionIpHash: string | null
    occurredAt: Date
  },
): Promise<SettlementEvidence> {
  const clickedAt = q.clickedAt?.toISOString() ?? null
  const anchor = new Date(Math.min(q.clickedAt?.getTime() ?? Infinity, q.occurredAt.getTime()))
  const from = new Date(anchor.getTime() - THRESHOLDS.sharedIpWindowMs).toISOString()
  // Bounds as parameters, not k.clicked_at ± window: then the planner prunes clicks to the day or two they cover
  // instead of planning every partition (planning was most of this query's ~2 ms).
  const flood = (sign: 1 | -1) =>
    q.clickedAt ? new Date(q.clickedAt.getTime() + sign * THRESHOLDS.clickFloodWindowMs).toISOString() : null
  const floodFrom = flood(-1)
  const floodTo = flood(1)
  // A custom plan of this query costs ~1 ms to make (three partitioned subqueries), ten times its run; the generic
  // plan prunes the click partitions at run time just as well. Local to the settling transaction, then put back.
  const [mode] = await rawRows<{ prev: string }>(
    tx,
    sql`select current_setting('plan_cache_mode') as prev, set_config('plan_cache_mode', 'force_generic_plan', true)`,
  )
  const [row] = await rawRows<{
    email: string | null
    ip_hash: string | null
    bot_score: number | null
    flood: number
    others: string[] | null
    logins: string[] | null
  }>(
    tx,
    sql`with k as (
          select ip_hash, bot_score, link_id, clicked_at from clicks
           where ${q.clickId}::uuid is not null and id = ${q.clickId}::uuid
             and clicked_at = ${clickedAt}::timestamptz),
        h as (select coalesce((select ip_hash from k), ${q.conversionIpHash}::text) as ip_hash)
        select (select email from influencers where id = ${q.influencerId}::uuid) as email,
               (select ip_hash from k) as ip_hash,
               (select bot_score from k)::int as bot_score,
               (select count(*) from clicks c, k
                 where c.link_id = k.link_id and c.ip_hash = k.ip_hash
                   and c.clicked_at between ${floodFrom}::timestamptz and ${floodTo}::timestamptz)::int as flood,
               array(select distinct c.influencer_id::text from clicks c, h
                      where c.ip_hash = h.ip_hash
                        and c.clicked_at >= ${from}::timestamptz
                        and c.clicked_at <= ${q.occurredAt.toISOString()}::timestamptz
                        and c.influencer_id <> ${q.influencerId}::uuid
                        and c.program_id in (select id from programs where merchant_id = ${q.merchantId}::uuid)
                      limit 50) as others,
               array(select distinct u.influencer_id::text from sessions s join users u on u.id = s.user_id, h
                      where s.ip_hash = h.ip_hash
                        and s.created_at >= ${from}::timestamptz
                        and s.created_at <= ${q.occurredAt.toISOString()}::timestamptz
                        and u.role = 'influencer' and u.influencer_id <> ${q.influencerId}::uuid
                        and u.influencer_id in (select m.influencer_id from program_memberships m
                                                  join programs p on p.id = m.program_id
                                                 where p.merchant_id = ${q.merchantId}::uuid)
                      limit 50) as logins`,
  )
  await rawRows(tx, sql`select set_config('plan_cache_mode', ${mode?.prev ?? 'auto'}, true)`)
  return {
    email: row?.email ?? null,
    clickIpHash: row?.ip_hash ?? null,
    botScore: row?.bot_score ?? null,
    clicksOnLink: Number(row?.flood ?? 0),
    otherInfluencerIds: row?.others ?? [],
    loginInfluencerIds: row?.logins ?? [],
  }
}

/** The influencer's sales for the merchant in (at − window, at], and how many of them have a refund. */
export async function refundFigures(tx: Db, q: { influencerId: string; merchantId: string; at: Date }) {
  const from = new Date(q.at.getTime() - THRESHOLDS.refundRateWindowMs).toISOString()
  const [row] = await rawRows<{ sales: number; refunded: number }>(
    tx,
    sql`select count(*)::int as sales,
               count(*) filter (where exists (select 1 from conversions r
                                               where r.parent_conversion_id = s.id and r.kind = 'refund'))::int
                 as refunded
          from conversions s
         where s.merchant_id = ${q.merchantId}::uuid and s.kind = 'sale' and not s.is_test
           and s.occurred_at > ${from}::timestamptz and s.occurred_at <= ${q.at.toISOString()}::timestamptz
           and exists (select 1 from attributions a
                        where a.conversion_id = s.id and a.influencer_id = ${q.influencerId}::uuid and a.billable)`,
  )
  return { sales: Number(row?.sales ?? 0), refunded: Number(row?.refunded ?? 0) }
}

/** The influencer's pending commissions in the merchant's programs never flagged for `rule` (open or resolved). */
export async function pendingUnflagged(
  tx: Db,
  q: { influencerId: string; merchantId: string; rule: string },
): Promise<string[]> {
  const rows = await rawRows<{ id: string }>(
    tx,
    sql`select c.id::text from commissions c join programs p on p.id = c.program_id
         where c.influencer_id = ${q.influencerId}::uuid and p.merchant_id = ${q.merchantId}::uuid
           and c.status = 'pending'
           and not exists (select 1 from fraud_flags f where f.commission_id = c.id and f.rule = ${q.rule})
         order by c.id`,
  )
  return rows.map((r) => r.id)
}

/** Whether any flag of `rule` on the influencer is still open for this merchant (its conversions). */
export async function hasOpenFlag(
  tx: Db,
  q: { influencerId: string; merchantId: string; rule: string },
): Promise<boolean> {
  const rows = await rawRows<{ one: number }>(
    tx,
    sql`select 1 as one from fraud_flags f join conversions v on v.id = f.conversion_id
         where f.influencer_id = ${q.influencerId}::uuid and f.rule = ${q.rule}
           and f.resolved_at is null and v.merchant_id = ${q.merchantId}::uuid
         limit 1`,
  )
  return rows.length > 0
}

/**
 * Stores the hits as open flags and holds their commissions (a commission already held keeps its first hold
 * time). hold_reason lists every open flag's reason.
 */
export async function raiseFlags(
  tx: Db,
  flags: readonly {
    hit: FraudHit
    influencerId: string
    conversionId: string
    commissionId: string | null
  }[],
): Promise<void> {
  if (flags.length === 0) return
  await tx.insert(fraudFlags).values(
    flags.map((f) => ({
      rule: f.hit.rule,
      influencerId: f.influencerId,
      conversionId: f.conversionId,
      commissionId: f.commissionId,
      reason: f.hit.reason,
      details: f.hit.details,
    })),
  )
  const held = [...new Set(flags.map((f) => f.commissionId).filter((id): id is string => id !== null))]
  if (held.length > 0) await refreshHolds(tx, held)
}

/**
 * Brings held_at / hold_reason in line with the commissions' open flags: held (keeping the first hold time)
 * with every open flag's "rule: reason" while any is open, released when none is. The outer row is named
 * `commissions.id` in plain text: drizzle would render the column unqualified, binding it to fraud_flags.id.
 */
export async function refreshHolds(tx: Db, ids: readonly string[]): Promise<void> {
  await tx.execute(sql`
    update commissions set
      hold_reason = o.reasons,
      held_at = case when o.reasons is null then null else coalesce(commissions.held_at, now()) end,
      updated_at = now()
    from (select c.id,
                 (select string_agg(f.rule || ': ' || f.reason, '; ' order by f.created_at, f.id)
                    from fraud_flags f where f.commission_id = c.id and f.resolved_at is null) as reasons
            from commissions c where c.id in (${sql.join(
              ids.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})) o
    where commissions.id = o.id`)
}
