import { and, asc, desc, eq, isNull, lt, type SQL } from 'drizzle-orm'
import {
  attributions,
  type Commission,
  commissions,
  conversions,
  ledgerEntries,
  programs,
  reversals,
} from '../db/schema/index.ts'
import { type AuditActor, recordAudit } from '../audit/service.ts'
import type { Db } from '../db/store.ts'
import { commissionApproved, emitEvent, merchantsOf } from '../events/emit.ts'
import { HttpError } from '../shared/errors.ts'
import { minorToDecimal } from '../shared/money.ts'
import { leftOf, recordReversal } from './reversal.ts'

// Balances moved to queries.ts (ledger reads); re-exported so callers of this module keep working.
export { balancesOf } from './queries.ts'

// What merchants and admins do with commissions: look, explain, approve early, reverse by hand; and the
// balances derived from the ledger.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const notFound = (id: string) => new HttpError(404, 'commission_not_found', `no commission ${id}`)

/** Money as decimal strings (exact) plus the integer minor units, so clients never parse floats. */
export function commissionView(c: Commission) {
  const money = (m: bigint) => ({ minor: m.toString(), amount: minorToDecimal(m, c.currency) })
  return {
    id: c.id,
    conversionId: c.conversionId,
    attributionId: c.attributionId,
    influencerId: c.influencerId,
    programId: c.programId,
    eventKind: c.eventKind,
    currency: c.currency,
    status: c.status,
    base: money(c.baseMinor),
    rate: c.rate,
    gross: money(c.grossMinor),
    fee: money(c.feeMinor),
    net: money(c.netMinor),
    holdUntil: c.holdUntil.toISOString(),
    approvedAt: c.approvedAt?.toISOString() ?? null,
    paidAt: c.paidAt?.toISOString() ?? null,
    payoutId: c.payoutId,
    reversedAt: c.reversedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
  }
}
export type CommissionView = ReturnType<typeof commissionView>

/** `owner` (auth/ownership.ts) limits it to what the caller may see: anyone else's commission is a plain 404. */
export async function getCommission(db: Db, id: string, owner?: SQL): Promise<Commission> {
  if (!UUID.test(id)) throw notFound(id)
  const [row] = await db
    .select()
    .from(commissions)
    .where(and(eq(commissions.id, id.toLowerCase()), owner))
  if (!row) throw notFound(id)
  return row
}

export async function listCommissions(
  db: Db,
  q: {
    influencerId?: string
    programId?: string
    status?: Commission['status']
    cursor?: string
    limit?: number
  },
  owner?: SQL,
) {
  for (const [name, v] of [
    ['influencerId', q.influencerId],
    ['programId', q.programId],
    ['cursor', q.cursor],
  ] as const)
    if (v !== undefined && !UUID.test(v)) throw new HttpError(400, 'invalid_query', `${name} must be a UUID`)
  const limit = q.limit ?? 50
  const where: (SQL | undefined)[] = [
    q.influencerId ? eq(commissions.influencerId, q.influencerId) : undefined,
    q.programId ? eq(commissions.programId, q.programId) : undefined,
    q.status ? eq(commissions.status, q.status) : undefined,
    // v7 ids sort by creation: the cursor is the last id of the previous page.
    q.cursor ? lt(commissions.id, q.cursor) : undefined,
    // Filters naming someone else's ids find nothing, exactly like ids that do not exist.
    owner,
  ]
  const rows = await db
    .select()
    .from(commissions)
    .where(and(...where))
    .orderBy(desc(commissions.id))
    .limit(limit + 1)
  const page = rows.slice(0, limit)
  return {
    data: page.map(commissionView),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  }
}

/** Every step from the conversion to the figures, plus what happened since (reversals, ledger entries). */
export async function explainCommission(db: Db, id: string, owner?: SQL) {
  const c = await getCommission(db, id, owner)
  const [a] = await db.select().from(attributions).where(eq(attributions.id, c.attributionId))
  const [conv] = await db.select().from(conversions).where(eq(conversions.id, c.conversionId))
  const revs = await db
    .select()
    .from(reversals)
    .where(eq(reversals.commissionId, c.id))
    .orderBy(asc(reversals.createdAt))
  const entries = await db
    .select()
    .from(ledgerEntries)
    .where(eq(ledgerEntries.commissionId, c.id))
    .orderBy(asc(ledgerEntries.createdAt), asc(ledgerEntries.idempotencyKey))
  return {
    commission: commissionView(c),
    conversion: conv && {
      id: conv.id,
      kind: conv.kind,
      source: conv.source,
      orderId: conv.externalOrderId,
      occurredAt: conv.occurredAt.toISOString(),
      currency: conv.currency,
      subtotal: conv.subtotal,
      discount: conv.discount,
      tax: conv.tax,
      shipping: conv.shipping,
      total: conv.total,
      lineItems: conv.lineItems,
      clickIdProblem: conv.clickIdProblem,
    },
    attribution: a && {
      model: a.model,
      evidence: a.evidence,
      windowDays: a.windowDays,
      weight: `${a.weightNum}/${a.weightDen}`,
      confidence: a.confidence,
      clickId: a.clickId,
      linkId: a.linkId,
      billable: a.billable,
      reason: a.reason,
      details: a.details,
    },
    calculation: c.calculationDetails,
    reversals: revs.map((r) => ({
      id: r.id,
      refundConversionId: r.refundConversionId,
      reason: r.reason,
      gross: minorToDecimal(r.grossMinor, r.currency),
      fee: minorToDecimal(r.feeMinor, r.currency),
      net: minorToDecimal(r.netMinor, r.currency),
      createdAt: r.createdAt.toISOString(),
    })),
    ledger: entries.map((e) => ({
      type: e.entryType,
      party: e.influencerId ? 'influencer' : 'merchant',
      amount: minorToDecimal(e.amountMinor, e.currency),
      key: e.idempotencyKey,
      occurredAt: e.occurredAt.toISOString(),
    })),
  }
}

/** Who acted by hand, for the audit trail; null for the system (a fraud decision audits itself). */
export type ReviewActor = AuditActor | null

const audited = (
  tx: Db,
  actor: ReviewActor,
  action: string,
  before: Commission,
  after: Commission,
  reason?: string,
) =>
  actor
    ? recordAudit(tx, {
        actor: actor.principal,
        action,
        targetType: 'commission',
        targetId: after.id,
        ip: actor.ip,
        before: { status: before.status, grossMinor: before.grossMinor },
        after: { status: after.status, grossMinor: after.grossMinor },
        details: reason ? { reason } : null,
      })
    : undefined

/** A merchant approves before the hold ends. Only a pending commission moves; anything else is a 409. */
export async function approveCommission(
  db: Db,
  id: string,
  actor: ReviewActor = null,
  now = new Date(),
): Promise<Commission> {
  const c = await getCommission(db, id)
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(commissions)
      .set({ status: 'approved', approvedAt: now })
      .where(and(eq(commissions.id, c.id), eq(commissions.status, 'pending'), isNull(commissions.heldAt)))
      .returning()
    // A fraud hold is lifted only by resolving its flags (/api/v1/fraud), never by approving past it.
    if (!row && c.status === 'pending' && c.heldAt)
      throw new HttpError(
        409,
        'on_hold',
        `commission is held for review (${c.holdReason}); resolve its fraud flags first`,
      )
    if (!row)
      throw new HttpError(409, 'not_pending', `commission is ${c.status}; only pending ones can be approved`)
    const merchantId = (await merchantsOf(tx, [row.programId]))(row.programId)
    await emitEvent(tx, commissionApproved(row, merchantId))
    await audited(tx, actor, 'commission.approved', c, row)
    return row
  })
}

/**
 * Reverses what is left of a commission by hand (fraud review, a chargeback the network never reported).
 * Before payout the commission ends reversed; after payout the influencer gets a clawback entry instead.
 * The row lock makes a repeated or concurrent request find nothing left (409), never reverse twice.
 */
export async function reverseCommission(
  db: Db,
  id: string,
  reason: string,
  actor: ReviewActor = null,
  now = new Date(),
) {
  const found = await getCommission(db, id)
  return db.transaction(async (tx) => {
    const [c] = await tx.select().from(commissions).where(eq(commissions.id, found.id)).for('update')
    if (!c) throw notFound(id)
    const left = await leftOf(tx, c)
    if (c.status === 'reversed' || left.gross <= 0n)
      throw new HttpError(409, 'nothing_to_reverse', 'this commission has already been fully reversed')
    const [p] = await tx
      .select({ merchantId: programs.merchantId })
      .from(programs)
      .where(eq(programs.id, c.programId))
    if (!p) throw new Error(`program ${c.programId} missing`)
    const row = await recordReversal(tx, c, {
      merchantId: p.merchantId,
      refundConversionId: null,
      gross: left.gross,
      fee: left.fee,
      left,
      reason,
      at: now,
    })
    await audited(tx, actor, 'commission.reversed', c, row ?? c, reason)
    return row ?? c
  })
}
