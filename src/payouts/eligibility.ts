import { sql } from 'drizzle-orm'
import { rawRows } from '../db/rows.ts'
import type { Db } from '../db/store.ts'

// Who is owed what in a currency, derived from the ledger: payable = every entry of the influencer that is
// not still pending (approved commissions, carried clawbacks and adjustments, and paid commissions net of the
// payouts that paid them). Pending commissions wait for their hold.

export interface Payable {
  readonly influencerId: string
  readonly method: 'stripe_connect' | 'paypal' | 'ach' | 'manual' | null
  readonly account: string | null
  readonly payableMinor: bigint
  /** The influencer's own minimum, else the highest minimum of the programs their commissions come from. */
  readonly minimumMinor: bigint
}

const DEFAULT_MINIMUM = 5000n

/** Influencers owed something in this currency with no payout of theirs still in flight. */
export async function payables(db: Db, currency: string, influencerId?: string): Promise<Payable[]> {
  const rows = await rawRows<{
    influencer_id: string
    method: Payable['method']
    account: string | null
    payable: string
    minimum: string | null
  }>(
    db,
    sql`select b.influencer_id::text, i.payout_method as method, i.payout_account as account,
               (b.balance_minor - b.pending_minor)::text as payable,
               coalesce(i.min_payout_minor,
                        (select max(p.min_payout_minor) from commissions c join programs p on p.id = c.program_id
                          where c.influencer_id = b.influencer_id and c.currency = b.currency))::text as minimum
          from influencer_balances b join influencers i on i.id = b.influencer_id
         where b.currency = ${currency} and i.disabled_at is null
           and (${influencerId ?? null}::uuid is null or b.influencer_id = ${influencerId ?? null}::uuid)
           and not exists (select 1 from payouts o where o.influencer_id = b.influencer_id and o.currency = b.currency
                            and o.status in ('initiated', 'processing'))
         order by b.influencer_id`,
  )
  return rows.map((r) => ({
    influencerId: r.influencer_id,
    method: r.method,
    account: r.account,
    payableMinor: BigInt(r.payable),
    minimumMinor: r.minimum === null ? DEFAULT_MINIMUM : BigInt(r.minimum),
  }))
}

export interface OwedCommission {
  readonly id: string
  readonly conversionId: string
  readonly kind: string
  /** What is left of it after reversals. */
  readonly grossMinor: bigint
  readonly feeMinor: bigint
  readonly netMinor: bigint
}

/** Approved commissions not yet paid (or left by a payout that failed), with what reversals left of them. */
export async function owedCommissions(
  db: Db,
  influencerId: string,
  currency: string,
): Promise<OwedCommission[]> {
  const rows = await rawRows<{
    id: string
    conversion_id: string
    kind: string
    gross: string
    fee: string
    net: string
  }>(
    db,
    sql`select c.id::text, c.conversion_id::text, c.event_kind as kind,
               (c.gross_minor - coalesce(sum(r.gross_minor), 0))::text as gross,
               (c.fee_minor - coalesce(sum(r.fee_minor), 0))::text as fee,
               (c.net_minor - coalesce(sum(r.net_minor), 0))::text as net
          from commissions c left join reversals r on r.commission_id = c.id
         where c.influencer_id = ${influencerId} and c.currency = ${currency} and c.status = 'approved'
           and (c.payout_id is null or exists (select 1 from payouts p where p.id = c.payout_id and p.status = 'failed'))
         group by c.id
         order by c.id`,
  )
  return rows.map((r) => ({
    id: r.id,
    conversionId: r.conversion_id,
    kind: r.kind,
    grossMinor: BigInt(r.gross),
    feeMinor: BigInt(r.fee),
    netMinor: BigInt(r.net),
  }))
}
