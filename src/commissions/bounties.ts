import { and, eq, sql } from 'drizzle-orm'
import {
  bounties,
  type Bounty,
  type Commission,
  commissions,
  type Conversion,
  type Program,
} from '../db/schema/index.ts'
import { rawRows } from '../db/rows.ts'
import type { Db } from '../db/store.ts'
import { applyFractions, decimalToFraction, minorToDecimal } from '../shared/money.ts'
import { insertCommission } from './ledger.ts'

const DAY_MS = 86_400_000

/**
 * After a sale commission, checks the program's active bounties the influencer has not earned yet and awards
 * each goal now reached as a one-off commission (kind 'bounty', on the sale that reached it) with the
 * platform fee taken like any other. Goals count the influencer's sales in the program that are not
 * reversed, inside the bounty's dates, or its last `withinDays` days up to this sale. Once earned a bounty is
 * kept: a later refund of a counted sale does not take it back (a merchant can reverse it by hand).
 * Unique per (bounty, influencer), so replays and races award it once.
 */
export async function awardBounties(
  tx: Db,
  conv: Conversion,
  program: Program,
  sale: Commission,
): Promise<Commission[]> {
  if (sale.eventKind !== 'sale' || sale.status === 'reversed') return []
  const active = await tx
    .select()
    .from(bounties)
    .where(and(eq(bounties.programId, program.id), eq(bounties.active, true)))
  const out: Commission[] = []
  for (const b of active) {
    if ((b.startsAt && conv.occurredAt < b.startsAt) || (b.endsAt && conv.occurredAt >= b.endsAt)) continue
    const reached = await goalReached(tx, b, sale.influencerId, conv)
    if (!reached) continue
    const gross = b.amountMinor
    const fee = applyFractions(gross, decimalToFraction(program.platformFeeRate))
    const row = await insertCommission(
      tx,
      {
        conversionId: conv.id,
        attributionId: sale.attributionId,
        influencerId: sale.influencerId,
        programId: program.id,
        eventKind: 'bounty',
        bountyId: b.id,
        currency: b.currency,
        baseMinor: 0n,
        rate: null,
        grossMinor: gross,
        feeMinor: fee,
        netMinor: gross - fee,
        holdUntil: new Date(conv.occurredAt.getTime() + program.holdDays * DAY_MS),
        calculationDetails: {
          bounty: { id: b.id, name: b.name, goal: b.goal },
          reached,
          gross: minorToDecimal(gross, b.currency),
          platformFeeRate: program.platformFeeRate,
          fee: minorToDecimal(fee, b.currency),
          net: minorToDecimal(gross - fee, b.currency),
          rounding: 'half-even to the minor unit, once per figure',
        },
      },
      { merchantId: program.merchantId, at: conv.occurredAt },
    )
    if (!row) continue
    out.push(row)
  }
  return out
}

/** The influencer's standing against the goal, or null when it is not reached (or already awarded). */
async function goalReached(tx: Db, b: Bounty, influencerId: string, conv: Conversion) {
  const since =
    b.goal.withinDays !== undefined
      ? new Date(conv.occurredAt.getTime() - b.goal.withinDays * DAY_MS)
      : (b.startsAt ?? new Date(0))
  const [row] = await rawRows<{ sales: string; base: string; awarded: boolean }>(
    tx,
    sql`select count(*)::text as sales, coalesce(sum(c.base_minor), 0)::text as base,
               exists (select 1 from ${commissions} x where x.bounty_id = ${b.id} and x.influencer_id = ${influencerId}) as awarded
          from ${commissions} c join conversions v on v.id = c.conversion_id
         where c.program_id = ${b.programId} and c.influencer_id = ${influencerId}
           and c.event_kind = 'sale' and c.status <> 'reversed'
           and v.occurred_at >= ${since.toISOString()}::timestamptz
           and v.occurred_at <= ${conv.occurredAt.toISOString()}::timestamptz`,
  )
  if (!row || row.awarded) return null
  const sales = Number(row.sales)
  const base = BigInt(row.base)
  const value = b.goal.value === undefined ? null : String(b.goal.value)
  const hit =
    b.goal.kind === 'first_sale'
      ? sales >= 1
      : b.goal.kind === 'sales_count'
        ? value !== null && sales >= Number(value)
        : value !== null && /^\d+$/.test(value) && base >= BigInt(value)
  return hit ? { sales, revenue: minorToDecimal(base, conv.currency), since: since.toISOString() } : null
}
