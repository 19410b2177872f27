import { sql } from 'drizzle-orm'
import { rawRows } from '../db/rows.ts'
import type { Db } from '../db/store.ts'
import { settleConversion } from './service.ts'

// `skinstack attribution recompute`: settle the stored conversions again, with today's code and program
// settings, into a scratch schema, and diff the result against the live attributions, commissions and
// reversals. Nothing live is written: the scratch schema holds copies of the tables settlement writes
// (conversions included, since attribution sets their program), it shadows them through search_path, and
// the whole transaction is rolled back unless the caller keeps the schema to inspect it.

const WRITTEN = ['conversions', 'attributions', 'commissions', 'reversals', 'ledger_entries'] as const

export interface RecomputeDifference {
  readonly conversionId: string
  readonly orderId: string
  readonly what: string
  readonly live: string | null
  readonly recomputed: string | null
}

export interface RecomputeReport {
  readonly schema: string | null
  readonly from: string
  readonly to: string
  readonly conversions: number
  readonly differences: RecomputeDifference[]
}

class Rollback extends Error {}

/**
 * Conversions received in [from, to) are settled again in the order they arrived (uuid v7 ids), preceded by
 * the rest of their calendar month so volume tiers see the same history. Refunds and renewals find their
 * sales in the copy as well.
 */
export async function recomputeAttribution(
  db: Db,
  opts: { from: Date; to: Date; keepSchema?: boolean },
): Promise<RecomputeReport> {
  if (!(opts.from < opts.to)) throw new RangeError('--from must be before --to')
  const schema = `recompute_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${Math.random().toString(36).slice(2, 6)}`
  const id = sql.identifier(schema)
  let report: RecomputeReport | undefined
  try {
    await db.transaction(async (tx) => {
      await tx.execute(sql`create schema ${id}`)
      for (const t of WRITTEN)
        await tx.execute(
          sql`create table ${id}.${sql.identifier(t)} (like public.${sql.identifier(t)} including defaults including constraints including indexes)`,
        )
      const monthStart = sql`date_trunc('month', ${opts.from.toISOString()}::timestamptz at time zone 'UTC') at time zone 'UTC'`
      // The window's conversions, their month before them, and every sale a refund or renewal among them refers to.
      await tx.execute(sql`
        insert into ${id}.conversions
        select c.* from public.conversions c
         where (c.created_at >= ${monthStart} and c.created_at < ${opts.to.toISOString()}::timestamptz)
            or c.id in (select r.parent_conversion_id from public.conversions r
                         where r.created_at >= ${opts.from.toISOString()}::timestamptz and r.created_at < ${opts.to.toISOString()}::timestamptz)
            or (c.kind = 'sale' and (c.merchant_id, c.external_order_id) in (
                  select merchant_id, external_order_id from public.conversions
                   where kind = 'subscription_renewal' and created_at >= ${opts.from.toISOString()}::timestamptz
                     and created_at < ${opts.to.toISOString()}::timestamptz))`)
      // A conversion's program is an attribution result, so it is recomputed too (a click accrual names its own).
      await tx.execute(sql`update ${id}.conversions set program_id = null where kind <> 'click'`)
      await tx.execute(sql.raw(`set local search_path = "${schema}", public`))
      const ids = await rawRows<{ id: string }>(tx, sql`select id from ${id}.conversions order by id`)
      for (const c of ids) await settleConversion(tx, c.id)
      await tx.execute(sql.raw('set local search_path = public'))
      const differences = await diff(tx, id, opts.from, opts.to)
      const [n] = await rawRows<{ n: string }>(
        tx,
        sql`select count(*)::text as n from ${id}.conversions
             where created_at >= ${opts.from.toISOString()}::timestamptz and created_at < ${opts.to.toISOString()}::timestamptz`,
      )
      report = {
        schema: opts.keepSchema ? schema : null,
        from: opts.from.toISOString(),
        to: opts.to.toISOString(),
        conversions: Number(n?.n ?? 0),
        differences,
      }
      if (!opts.keepSchema) throw new Rollback()
    })
  } catch (err) {
    if (!(err instanceof Rollback)) throw err
  }
  if (!report) throw new Error('recompute produced no report')
  return report
}

/**
 * Compared per conversion and influencer: who was credited (evidence, model, weight, billable), the
 * commission's base/gross/fee/net, and the total reversed. Statuses are not compared (approval and payout
 * happen after settlement), and a clawback counts as a reversal for the same reason.
 */
async function diff(tx: Db, id: ReturnType<typeof sql.identifier>, from: Date, to: Date) {
  const side = (schema: ReturnType<typeof sql.identifier> | undefined) => {
    const s = schema ?? sql.identifier('public')
    return sql`
      select v.id::text as conversion_id, v.external_order_id as order_id, a.influencer_id::text as influencer_id,
             coalesce(c.event_kind::text || coalesce(':' || c.bounty_id::text, ''), '-') as kind,
             concat_ws(' ', a.evidence, a.model, a.weight_num || '/' || a.weight_den,
                       case when a.billable then 'billable' else 'not billable: ' || a.reason end) as attribution,
             case when c.id is null then null
                  else concat_ws(' ', c.event_kind, c.base_minor, c.gross_minor, c.fee_minor, c.net_minor) end as commission,
             (select concat_ws(' ', sum(r.gross_minor), sum(r.fee_minor), sum(r.net_minor))
                from ${s}.reversals r where r.commission_id = c.id) as reversed
        from ${s}.conversions v
        join ${s}.attributions a on a.conversion_id = v.id
        left join ${s}.commissions c on c.attribution_id = a.id
       where v.created_at >= ${from.toISOString()}::timestamptz and v.created_at < ${to.toISOString()}::timestamptz`
  }
  const rows = await rawRows<{
    conversion_id: string
    order_id: string
    influencer_id: string | null
    what: string
    live: string | null
    recomputed: string | null
  }>(
    tx,
    sql`with live as (${side(undefined)}), redo as (${side(id)}),
        pairs as (
          select coalesce(l.conversion_id, r.conversion_id) as conversion_id, coalesce(l.order_id, r.order_id) as order_id,
                 coalesce(l.influencer_id, r.influencer_id) as influencer_id, l as lv, r as rv
            from live l full join redo r
              on r.conversion_id = l.conversion_id and r.influencer_id = l.influencer_id and r.kind = l.kind)
        select conversion_id, order_id, influencer_id, f.what, f.live, f.recomputed
          from pairs, lateral (values
            ('attribution', (lv).attribution, (rv).attribution),
            ('commission', (lv).commission, (rv).commission),
            ('reversed', (lv).reversed, (rv).reversed)) as f(what, live, recomputed)
         where f.live is distinct from f.recomputed
         order by conversion_id, influencer_id, f.what`,
  )
  return rows.map((r) => ({
    conversionId: r.conversion_id,
    orderId: r.order_id,
    what: `${r.what} (influencer ${r.influencer_id ?? 'none'})`,
    live: r.live,
    recomputed: r.recomputed,
  }))
}
