import { and, eq, type SQL } from 'drizzle-orm'
import { type AuditActor, recordAudit } from '../audit/service.ts'
import { influencerRows, seesInfluencer } from '../auth/ownership.ts'
import type { Principal } from '../auth/principal.ts'
import { influencers, type Payout, payouts } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { minorToDecimal } from '../shared/money.ts'
import { recordResult } from './record.ts'
import { type PayoutDeps, runPayouts } from './run.ts'

export { drive, type PayoutDeps, type PayoutMethod, type RunReport, runPayouts } from './run.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const notFound = (id: string) => new HttpError(404, 'payout_not_found', `no payout ${id}`)

/** The payouts the caller may see: an influencer its own, the operator all, a merchant none (see ownership.ts). */
export const ownedPayouts = (p: Principal): SQL | undefined => influencerRows(p, payouts.influencerId)

/** `owner` limits it to what the caller may see: anyone else's payout is a plain 404. */
export async function getPayout(db: Db, id: string, owner?: SQL): Promise<Payout> {
  if (!UUID.test(id)) throw notFound(id)
  const [p] = await db
    .select()
    .from(payouts)
    .where(and(eq(payouts.id, id.toLowerCase()), owner))
  if (!p) throw notFound(id)
  return p
}

export function payoutView(p: Payout) {
  const m = (v: bigint) => minorToDecimal(v, p.currency)
  return {
    id: p.id,
    runId: p.runId,
    influencerId: p.influencerId,
    period: p.period,
    currency: p.currency,
    method: p.method,
    status: p.status,
    gross: m(p.grossMinor),
    platformFee: m(p.platformFeeMinor),
    processingFee: m(p.processingFeeMinor),
    net: m(p.netMinor),
    providerRef: p.providerRef,
    failureReason: p.failureReason,
    attempts: p.attempts,
    createdAt: p.createdAt.toISOString(),
    sentAt: p.sentAt?.toISOString() ?? null,
    paidAt: p.paidAt?.toISOString() ?? null,
  }
}

/**
 * An influencer asks for their available balance now. It goes through the run machinery under the day's
 * request period, so asking twice the same day finds the same payout instead of paying twice.
 */
export async function requestPayout(
  deps: PayoutDeps,
  influencerId: string,
  currency: string,
  now = new Date(),
) {
  if (!UUID.test(influencerId))
    throw new HttpError(404, 'influencer_not_found', `no influencer ${influencerId}`)
  const period = `request:${now.toISOString().slice(0, 10)}`
  const report = await runPayouts(deps, { period, currency, influencerId: influencerId.toLowerCase() })
  const mine = report.payouts.find((p) => p.influencerId === influencerId.toLowerCase())
  if (mine) return mine
  if (report.rolledOver > 0)
    throw new HttpError(
      422,
      'below_minimum',
      'the available balance is below the payout minimum; it rolls over',
    )
  throw new HttpError(
    422,
    'nothing_to_pay',
    'no available balance to pay in this currency (or a payout is already in flight)',
  )
}

/**
 * Whom a payout request is for: the influencer calling (by default), or the one an admin names. Anyone else, like
 * an influencer that does not exist, is a 404 (a merchant sees no one's payouts).
 */
export async function requestedInfluencer(db: Db, p: Principal, named: string | undefined): Promise<string> {
  const id = named ?? (p.kind === 'influencer' ? p.influencerId : undefined)
  if (id === undefined) throw new HttpError(400, 'invalid_request', 'influencerId is required')
  const missing = new HttpError(404, 'influencer_not_found', `no influencer ${id}`)
  if (!UUID.test(id) || !seesInfluencer(p, id)) throw missing
  const [row] = await db
    .select({ id: influencers.id })
    .from(influencers)
    .where(eq(influencers.id, id.toLowerCase()))
  if (!row) throw missing
  return row.id
}

/** Manual and ACH payouts are paid outside SkinStack; an admin records the transfer's reference. */
export async function markPaid(db: Db, id: string, reference: string, by: AuditActor): Promise<Payout> {
  const p = await getPayout(db, id)
  if (p.method !== 'manual' && p.method !== 'ach')
    throw new HttpError(409, 'not_manual', `a ${p.method} payout is confirmed by its provider, not by hand`)
  if (p.status === 'failed')
    throw new HttpError(409, 'payout_failed', 'a failed payout cannot be marked paid')
  const paid = await recordResult(db, p, { status: 'paid', providerRef: reference })
  await recordAudit(db, {
    actor: by.principal,
    action: 'payout.marked_paid',
    targetType: 'payout',
    targetId: p.id,
    ip: by.ip,
    before: { status: p.status },
    after: { status: paid.status, reference },
  })
  return paid
}
