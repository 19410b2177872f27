import { sql, type SQL } from 'drizzle-orm'
import { type AuditActor, recordAudit } from '../audit/service.ts'
import { type Principal, requireScope } from '../auth/principal.ts'
import { reverseCommission } from '../commissions/service.ts'
import { rawRows } from '../db/rows.ts'
import type { Db } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { refreshHolds } from './queries.ts'

// The review queue: a merchant (its programs' flags) or the operator (all) looks at flags and decides. Clearing
// releases the commission's hold once no other open flag holds it; rejecting reverses what is left of it
// (reason 'fraud') through the commissions' own reversal path. Influencers never see flags: the evidence would
// teach the cheating how to pass (403 on every route, whatever the id, so it confirms nothing).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const notFound = (id: string) => new HttpError(404, 'fraud_flag_not_found', `no fraud flag ${id}`)

/** Who decides, for the audit trail. */
export type Actor = AuditActor

interface Row {
  id: string
  rule: string
  influencer_id: string
  conversion_id: string | null
  commission_id: string | null
  reason: string
  details: Record<string, unknown> | null
  created_at: string | Date
  resolved_at: string | Date | null
  resolution: 'cleared' | 'rejected' | null
  resolved_by: string | null
  resolution_note: string | null
  program_id: string | null
  merchant_id: string | null
  org_id: string | null
  commission_status: string | null
  held_at: string | Date | null
  hold_reason: string | null
}

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString())

export function flagView(r: Row) {
  return {
    id: r.id,
    rule: r.rule,
    status: r.resolution ?? ('open' as const),
    influencerId: r.influencer_id,
    conversionId: r.conversion_id,
    commissionId: r.commission_id,
    programId: r.program_id,
    merchantId: r.merchant_id,
    reason: r.reason,
    details: r.details ?? {},
    createdAt: iso(r.created_at) ?? '',
    resolvedAt: iso(r.resolved_at),
    resolvedBy: r.resolved_by,
    resolutionNote: r.resolution_note,
    commission: r.commission_id
      ? { status: r.commission_status, heldAt: iso(r.held_at), holdReason: r.hold_reason }
      : null,
  }
}
export type FlagView = ReturnType<typeof flagView>

function mayReview(p: Principal, scope: 'commissions:read' | 'commissions:write') {
  if (p.kind === 'influencer')
    throw new HttpError(403, 'forbidden', 'fraud flags are reviewed by merchants and the operator')
  requireScope(p, scope)
}

// A flag belongs to the merchant of its commission's program, else of its conversion (influencer-level flags).
const flagRows = (where: SQL, tail: SQL = sql``) => sql`
  select f.id::text, f.rule, f.influencer_id::text, f.conversion_id::text, f.commission_id::text, f.reason,
         f.details, f.created_at, f.resolved_at, f.resolution, f.resolved_by::text, f.resolution_note,
         c.program_id::text, m.id::text as merchant_id, m.org_id::text, c.status::text as commission_status,
         c.held_at, c.hold_reason
    from fraud_flags f
    left join commissions c on c.id = f.commission_id
    left join programs p on p.id = c.program_id
    left join conversions v on v.id = f.conversion_id
    left join merchants m on m.id = coalesce(p.merchant_id, v.merchant_id)
   where ${where} ${tail}`

const visibleTo = (p: Principal) => (p.kind === 'merchant' ? sql`m.id = ${p.merchantId}::uuid` : sql`true`)

export async function listFlags(
  db: Db,
  p: Principal,
  q: { status?: 'open' | 'resolved'; influencerId?: string; rule?: string; cursor?: string; limit?: number },
) {
  mayReview(p, 'commissions:read')
  for (const [name, v] of [
    ['influencerId', q.influencerId],
    ['cursor', q.cursor],
  ] as const)
    if (v !== undefined && !UUID.test(v)) throw new HttpError(400, 'invalid_query', `${name} must be a UUID`)
  const limit = q.limit ?? 50
  const parts: SQL[] = [visibleTo(p)]
  if (q.status === 'open') parts.push(sql`f.resolved_at is null`)
  if (q.status === 'resolved') parts.push(sql`f.resolved_at is not null`)
  if (q.influencerId) parts.push(sql`f.influencer_id = ${q.influencerId.toLowerCase()}::uuid`)
  if (q.rule) parts.push(sql`f.rule = ${q.rule}`)
  // v7 ids sort by creation: the cursor is the last id of the previous page.
  if (q.cursor) parts.push(sql`f.id < ${q.cursor.toLowerCase()}::uuid`)
  const rows = await rawRows<Row>(
    db,
    flagRows(sql.join(parts, sql` and `), sql`order by f.id desc limit ${limit + 1}`),
  )
  const page = rows.slice(0, limit)
  return { data: page.map(flagView), nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null }
}

/** The flag if the caller may see it (row-locked for a decision), else the 404 a missing id gets. */
async function visibleFlag(tx: Db, p: Principal, id: string, lock: boolean): Promise<Row> {
  if (!UUID.test(id)) throw notFound(id)
  const [row] = await rawRows<Row>(
    tx,
    flagRows(sql`f.id = ${id.toLowerCase()}::uuid and ${visibleTo(p)}`, lock ? sql`for update of f` : sql``),
  )
  if (!row) throw notFound(id)
  return row
}

export async function getFlag(db: Db, p: Principal, id: string): Promise<FlagView> {
  mayReview(p, 'commissions:read')
  return flagView(await visibleFlag(db, p, id, false))
}

async function resolve(tx: Db, actor: Actor, ids: readonly string[], resolution: string, note: string) {
  await tx.execute(sql`
    update fraud_flags set resolved_at = now(), resolution = ${resolution},
           resolved_by = ${actor.principal.userId ?? null}::uuid, resolution_note = ${note}
     where id in (${sql.join(
       ids.map((id) => sql`${id}::uuid`),
       sql`, `,
     )}) and resolved_at is null`)
}

async function decide(
  db: Db,
  actor: Actor,
  id: string,
  note: string,
  decision: 'cleared' | 'rejected',
  act: (tx: Db, flag: Row) => Promise<Record<string, unknown>>,
): Promise<FlagView> {
  mayReview(actor.principal, 'commissions:write')
  return db.transaction(async (tx) => {
    const before = await visibleFlag(tx, actor.principal, id, true)
    if (before.resolution !== null)
      throw new HttpError(409, 'already_resolved', `this flag was already ${before.resolution}`)
    const details = await act(tx, before)
    const after = await visibleFlag(tx, actor.principal, before.id, false)
    await recordAudit(tx, {
      actor: actor.principal,
      action: `fraud_flag.${decision}`,
      targetType: 'fraud_flag',
      targetId: before.id,
      orgId: before.org_id,
      ip: actor.ip,
      before: flagView(before),
      after: flagView(after),
      details: { rule: before.rule, commissionId: before.commission_id, note, ...details },
    })
    return flagView(after)
  })
}

/** Not fraud after all: the flag is cleared; the commission is released unless another open flag holds it. */
export function clearFlag(db: Db, actor: Actor, id: string, note: string): Promise<FlagView> {
  return decide(db, actor, id, note, 'cleared', async (tx, flag) => {
    await resolve(tx, actor, [flag.id], 'cleared', note)
    if (flag.commission_id) await refreshHolds(tx, [flag.commission_id])
    return {}
  })
}

/**
 * Fraud: the flag is rejected, and with it the commission's other open flags (one decision per commission); what
 * is left of the commission is reversed with reason 'fraud' (a clawback if it was already paid). It stays held.
 */
export function rejectFlag(db: Db, actor: Actor, id: string, note: string): Promise<FlagView> {
  return decide(db, actor, id, note, 'rejected', async (tx, flag) => {
    const others = flag.commission_id
      ? (
          await rawRows<{ id: string }>(
            tx,
            sql`select id::text from fraud_flags where commission_id = ${flag.commission_id}::uuid
                  and resolved_at is null and id <> ${flag.id}::uuid order by id for update`,
          )
        ).map((r) => r.id)
      : []
    await resolve(tx, actor, [flag.id], 'rejected', note)
    if (others.length) await resolve(tx, actor, others, 'rejected', `rejected with flag ${flag.id}: ${note}`)
    if (!flag.commission_id) return { alsoRejected: others, reversed: false }
    try {
      const c = await reverseCommission(tx, flag.commission_id, 'fraud')
      return { alsoRejected: others, reversed: true, commissionStatus: c.status }
    } catch (err) {
      // Refunds (or an earlier hand reversal) already took all of it back: nothing left to reverse.
      if (err instanceof HttpError && err.code === 'nothing_to_reverse')
        return { alsoRejected: others, reversed: false }
      throw err
    }
  })
}
