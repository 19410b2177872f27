import { and, asc, eq, notInArray, sql, type SQL } from 'drizzle-orm'
import { ownedRows, seesInfluencer } from '../auth/ownership.ts'
import type { Principal } from '../auth/principal.ts'
import {
  campaigns,
  commissions,
  conversions,
  influencers,
  reversals,
  trackingLinks,
} from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { rawRows } from '../db/rows.ts'
import { HttpError } from '../shared/errors.ts'
import { minorToDecimal } from '../shared/money.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The commissions the caller may see, as a WHERE part: a merchant's programs', an influencer's own, or all. */
export const ownedCommissions = (p: Principal): SQL | undefined =>
  ownedRows(p, { programId: commissions.programId, influencerId: commissions.influencerId })

/**
 * The influencer's volume in the program earlier in the same UTC month: sales (not reversed) and their
 * commissionable base. Earlier means occurred before this conversion, so a replay in the same order of
 * occurrence gives the same tier.
 */
export async function monthVolume(
  tx: Db,
  p: { programId: string; influencerId: string; occurredAt: Date; conversionId: string },
): Promise<{ count: number; baseMinor: bigint }> {
  const [row] = await rawRows<{ n: string; base: string }>(
    tx,
    sql`select count(*)::text as n, coalesce(sum(c.base_minor), 0)::text as base
        from ${commissions} c join ${conversions} v on v.id = c.conversion_id
        where c.program_id = ${p.programId} and c.influencer_id = ${p.influencerId}
          and c.event_kind = 'sale' and c.status <> 'reversed'
          and v.occurred_at >= date_trunc('month', ${p.occurredAt.toISOString()}::timestamptz at time zone 'UTC') at time zone 'UTC'
          and (v.occurred_at, v.id) < (${p.occurredAt.toISOString()}::timestamptz, ${p.conversionId}::uuid)`,
  )
  return { count: Number(row?.n ?? 0), baseMinor: BigInt(row?.base ?? '0') }
}

/** The boost of the link's campaign when the conversion happened inside the campaign's dates. */
export async function campaignBoost(tx: Db, linkId: string | null, at: Date) {
  if (!linkId) return null
  const [row] = await tx
    .select({
      slug: campaigns.slug,
      boost: campaigns.boostRate,
      startsAt: campaigns.startsAt,
      endsAt: campaigns.endsAt,
    })
    .from(trackingLinks)
    .innerJoin(campaigns, eq(campaigns.id, trackingLinks.campaignId))
    .where(eq(trackingLinks.id, linkId))
  if (!row?.boost) return null
  if ((row.startsAt && at < row.startsAt) || (row.endsAt && at >= row.endsAt)) return null
  return { rate: row.boost, campaign: row.slug }
}

/** The commissions a refund of this conversion reverses: not bounties, which were earned by reaching a goal. */
export async function commissionsOfConversion(tx: Db, conversionId: string) {
  return tx
    .select()
    .from(commissions)
    .where(
      and(
        eq(commissions.conversionId, conversionId),
        notInArray(commissions.eventKind, ['refund', 'bounty']),
      ),
    )
    .orderBy(asc(commissions.id))
}

/** What has been reversed of a commission so far. */
export async function reversedSoFar(tx: Db, commissionId: string) {
  const [row] = await rawRows<{ gross: string; fee: string; net: string }>(
    tx,
    sql`select coalesce(sum(gross_minor), 0)::text as gross, coalesce(sum(fee_minor), 0)::text as fee,
          coalesce(sum(net_minor), 0)::text as net
        from ${reversals} where commission_id = ${commissionId}`,
  )
  return { gross: BigInt(row?.gross ?? '0'), fee: BigInt(row?.fee ?? '0'), net: BigInt(row?.net ?? '0') }
}

/** Refunds of a sale in the order they were stored (uuid v7 ids). */
export async function refundsOf(tx: Db, saleId: string) {
  return tx
    .select()
    .from(conversions)
    .where(and(eq(conversions.parentConversionId, saleId), eq(conversions.kind, 'refund')))
    .orderBy(asc(conversions.id))
}

/** What the given refunds have reversed of a commission so far. */
export async function reversedByRefunds(tx: Db, commissionId: string, refundIds: readonly string[]) {
  if (refundIds.length === 0) return { gross: 0n, fee: 0n }
  const [row] = await rawRows<{ gross: string; fee: string }>(
    tx,
    sql`select coalesce(sum(gross_minor), 0)::text as gross, coalesce(sum(fee_minor), 0)::text as fee
          from ${reversals}
         where commission_id = ${commissionId}
           and refund_conversion_id in (${sql.join(
             refundIds.map((id) => sql`${id}::uuid`),
             sql`, `,
           )})`,
  )
  return { gross: BigInt(row?.gross ?? '0'), fee: BigInt(row?.fee ?? '0') }
}

export async function balancesOf(db: Db, influencerId: string) {
  if (!UUID.test(influencerId)) throw new HttpError(400, 'invalid_query', 'influencerId must be a UUID')
  const rows = await rawRows<Record<string, string>>(
    db,
    sql`select currency, pending_minor::text as pending, approved_minor::text as approved, paid_minor::text as paid,
          payouts_minor::text as payouts, carried_minor::text as carried, balance_minor::text as balance
        from influencer_balances where influencer_id = ${influencerId} order by currency`,
  )
  return rows.map((r) => {
    const cur = r.currency ?? 'USD'
    const m = (k: string) => minorToDecimal(BigInt(r[k] ?? '0'), cur)
    return {
      currency: cur,
      pending: m('pending'),
      approved: m('approved'),
      paid: m('paid'),
      payouts: m('payouts'),
      carried: m('carried'),
      balance: m('balance'),
    }
  })
}

/**
 * Balances as the caller may see them. A balance spans every merchant the influencer earns with, so only the
 * influencer itself (by default) and the operator read it; anyone else, like an unknown id, gets a 404.
 */
export async function balancesFor(db: Db, p: Principal, influencerId: string | undefined) {
  const id = influencerId ?? (p.kind === 'influencer' ? p.influencerId : undefined)
  if (id === undefined) throw new HttpError(400, 'invalid_query', 'influencerId is required')
  if (!UUID.test(id)) throw new HttpError(400, 'invalid_query', 'influencerId must be a UUID')
  const missing = new HttpError(404, 'influencer_not_found', `no influencer ${id}`)
  if (!seesInfluencer(p, id)) throw missing
  const [known] = await db
    .select({ id: influencers.id })
    .from(influencers)
    .where(eq(influencers.id, id.toLowerCase()))
  if (!known) throw missing
  return balancesOf(db, known.id)
}
