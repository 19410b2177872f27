import { and, eq, sql } from 'drizzle-orm'
import { accrueCommissions } from '../commissions/service.ts'
import { attributions, conversions, influencers } from '../db/schema/index.ts'
import { rawRows } from '../db/rows.ts'
import type { Db } from '../db/store.ts'
import { intervalWorker, type Worker } from '../lifecycle.ts'
import { minorToDecimal } from '../shared/money.ts'
import type { Logger } from '../shared/logger.ts'
import { membershipsOf, merchantPrograms } from './queries.ts'

// Programs that pay per click (a fixed 'click' commission rule) are paid per billable click: human (not a bot,
// bot score under the program's threshold), not a HEAD or prefetch. Clicks are counted per influencer and UTC
// hour once the hour has closed (plus the flusher's lag), and each count becomes a conversion of kind 'click'
// that settles like any other. A later count of the same hour (clicks replayed from the journal after an
// outage) adds a conversion for the difference, keyed by the running total, so every billable click is paid
// exactly once whichever host counts it, and however often.

const HOUR_MS = 3_600_000
/** How far back each pass looks: an outage's journal replay longer ago than this is not paid per click. */
export const CLICK_ACCRUAL_LOOKBACK_HOURS = 48
/** The flusher writes within milliseconds; a minute's grace covers a slow batch and clock skew. */
const SETTLE_GRACE_MS = 60_000

interface HourCount {
  program_id: string
  merchant_id: string
  influencer_id: string
  handle: string
  hour: string
  clicks: string
  accrued: string
  fixed_minor: string
  currency: string
}

/** One pass over the closed hours in the lookback; returns how many click conversions it stored. */
export async function accrueClicks(db: Db, now: Date): Promise<number> {
  const to = new Date(Math.floor((now.getTime() - SETTLE_GRACE_MS) / HOUR_MS) * HOUR_MS)
  const from = new Date(to.getTime() - CLICK_ACCRUAL_LOOKBACK_HOURS * HOUR_MS)
  const counts = await rawRows<HourCount>(
    db,
    sql`with paying as (
          select p.id, p.merchant_id, p.bot_score_threshold, r.fixed_minor, r.currency
            from programs p join commission_rules r on r.program_id = p.id
           where r.event_kind = 'click' and r.commission_type = 'fixed' and p.active)
        select k.program_id::text, pay.merchant_id::text, k.influencer_id::text, i.handle, k.hour, k.clicks::text,
               coalesce((select sum((v.line_items->0->>'quantity')::bigint) from conversions v
                          where v.merchant_id = pay.merchant_id and v.kind = 'click'
                            and v.external_order_id = 'clicks:' || k.program_id || ':' || k.influencer_id || ':' || k.hour), 0)::text as accrued,
               pay.fixed_minor::text, pay.currency
          from (select c.program_id, c.influencer_id,
                       to_char(date_trunc('hour', c.clicked_at at time zone 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"') as hour,
                       count(*) as clicks
                  from clicks c join paying pay on pay.id = c.program_id
                 where c.clicked_at >= ${from.toISOString()}::timestamptz and c.clicked_at < ${to.toISOString()}::timestamptz
                   and not c.is_bot and not c.is_head and not c.is_prefetch
                   and coalesce(c.bot_score, 0) < pay.bot_score_threshold
                 group by 1, 2, 3) k
          join paying pay on pay.id = k.program_id
          join influencers i on i.id = k.influencer_id
         order by k.hour, k.program_id, k.influencer_id`,
  )
  let stored = 0
  for (const k of counts) {
    const delta = BigInt(k.clicks) - BigInt(k.accrued)
    if (delta <= 0n) continue
    const made = await db.transaction((tx) => storeClickConversion(tx, k, delta))
    if (made) stored++
  }
  return stored
}

async function storeClickConversion(tx: Db, k: HourCount, delta: bigint): Promise<boolean> {
  const unit = minorToDecimal(BigInt(k.fixed_minor), k.currency)
  const [conv] = await tx
    .insert(conversions)
    .values({
      merchantId: k.merchant_id,
      programId: k.program_id,
      source: 'internal',
      externalOrderId: `clicks:${k.program_id}:${k.influencer_id}:${k.hour}`,
      externalEventId: `upto:${k.clicks}`,
      kind: 'click',
      occurredAt: new Date(new Date(k.hour).getTime() + HOUR_MS),
      currency: k.currency,
      total: minorToDecimal(BigInt(k.fixed_minor) * delta, k.currency),
      lineItems: [{ sku: 'click', quantity: Number(delta), unitPrice: unit }],
      subId: k.handle,
    })
    .onConflictDoNothing()
    .returning()
  // Another host stored this running total first.
  if (!conv) return false
  await settleClickConversion(tx, conv)
  return true
}

/** A click conversion names its program and influencer itself: no evidence search, weight 1. */
export async function settleClickConversion(tx: Db, conv: typeof conversions.$inferSelect) {
  const program = (await merchantPrograms(tx, conv.merchantId)).find((p) => p.id === conv.programId)
  const [inf] = await tx
    .select({ id: influencers.id })
    .from(influencers)
    .where(eq(influencers.handle, conv.subId ?? ''))
  if (!program || !inf) return []
  const memberships = await membershipsOf(tx, program.id, [inf.id])
  const m = memberships.get(inf.id)
  const reason = !m ? 'not_a_member' : m.status === 'approved' ? null : `membership_${m.status}`
  await tx
    .insert(attributions)
    .values({
      conversionId: conv.id,
      influencerId: inf.id,
      programId: program.id,
      model: program.attributionModel,
      evidence: 'click_id',
      windowDays: program.cookieWindowDays,
      billable: reason === null,
      reason,
      details: { clicks: conv.lineItems?.[0]?.quantity ?? 0, hourEnding: conv.occurredAt.toISOString() },
    })
    .onConflictDoNothing()
  const rows = await tx
    .select()
    .from(attributions)
    .where(and(eq(attributions.conversionId, conv.id), eq(attributions.influencerId, inf.id)))
  return accrueCommissions(tx, conv, { program, rows, memberships }, { heldRefunds: false })
}

/** Every host may run it: the running-total key makes two hosts counting the same hour store it once. */
export function clickAccrualWorker(opts: { db: Db; log: Logger; intervalMs: number }): Worker {
  return intervalWorker({
    name: 'click-accruals',
    intervalMs: opts.intervalMs,
    log: opts.log,
    pass: async () => {
      const n = await accrueClicks(opts.db, new Date())
      if (n > 0) opts.log.info({ conversions: n }, 'paid clicks accrued')
    },
  })
}
