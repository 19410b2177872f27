import { and, asc, desc, eq, getTableColumns, gte, inArray, isNull, lte, sql } from 'drizzle-orm'
import { clicks } from '../db/schema/clicks.ts'
import {
  attributions,
  bounties,
  campaigns,
  commissionRules,
  conversions,
  couponCodes,
  influencers,
  programMemberships,
  type Program,
  programs,
} from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { uuidV7Time } from '../shared/click-id.ts'

export type ClickTouch = Pick<
  typeof clicks.$inferSelect,
  'id' | 'clickedAt' | 'linkId' | 'programId' | 'influencerId' | 'ipHash' | 'userAgent' | 'isBot' | 'botScore'
>

const touchColumns = {
  id: clicks.id,
  clickedAt: clicks.clickedAt,
  linkId: clicks.linkId,
  programId: clicks.programId,
  influencerId: clicks.influencerId,
  ipHash: clicks.ipHash,
  userAgent: clicks.userAgent,
  isBot: clicks.isBot,
  botScore: clicks.botScore,
}

// At most this many earlier clicks from one device are weighed: a scraper's thousand clicks must not make
// attribution (or the explain page) unbounded.
const MAX_TOUCHES = 50

/** A program's commission rule for one event kind, as settlement reads it (money as strings, never floats). */
export interface ProgramRule {
  readonly eventKind: string
  readonly commissionType: 'percent' | 'fixed'
  readonly rate: string | null
  readonly fixedMinor: string | null
  readonly currency: string | null
}

/** A program with what settling a conversion in it needs, read in the same round trip. */
export type ProgramContext = Program & {
  readonly rules: ProgramRule[]
  /** Whether any campaign has a boost / any bounty is active: when not, those lookups are skipped. */
  readonly hasBoosts: boolean
  readonly hasBounties: boolean
}

// The subqueries name the outer row as `programs.id` in plain text: drizzle renders ${programs.id} unqualified
// here, which inside a subquery would bind to the inner table's own id.
export async function merchantPrograms(tx: Db, merchantId: string): Promise<ProgramContext[]> {
  return tx
    .select({
      ...getTableColumns(programs),
      rules: sql<ProgramRule[]>`(select coalesce(json_agg(json_build_object(
          'eventKind', r.event_kind, 'commissionType', r.commission_type, 'rate', r.rate::text,
          'fixedMinor', r.fixed_minor::text, 'currency', r.currency)), '[]'::json)
        from ${commissionRules} r where r.program_id = programs.id)`,
      hasBoosts: sql<boolean>`exists (select 1 from ${campaigns} c where c.program_id = programs.id and c.boost_rate is not null)`,
      hasBounties: sql<boolean>`exists (select 1 from ${bounties} b where b.program_id = programs.id and b.active)`,
    })
    .from(programs)
    .where(eq(programs.merchantId, merchantId))
    .orderBy(asc(programs.createdAt))
}

/** The click a verified click id names; its v7 time gives clicked_at, so one partition is read. */
export async function clickById(tx: Db, clickId: string): Promise<ClickTouch | undefined> {
  const [row] = await tx
    .select(touchColumns)
    .from(clicks)
    .where(and(eq(clicks.id, clickId), eq(clicks.clickedAt, new Date(uuidV7Time(clickId)))))
  return row
}

/** The same device's clicks on a program inside [from, to], oldest first (matched by IP hash, and by UA when given). */
export async function deviceTouches(
  tx: Db,
  p: { programId: string; ipHash: string; userAgent?: string | null; from: Date; to: Date },
): Promise<ClickTouch[]> {
  const rows = await tx
    .select(touchColumns)
    .from(clicks)
    .where(
      and(
        eq(clicks.ipHash, p.ipHash),
        gte(clicks.clickedAt, p.from),
        lte(clicks.clickedAt, p.to),
        eq(clicks.programId, p.programId),
        p.userAgent === undefined
          ? undefined
          : p.userAgent === null
            ? isNull(clicks.userAgent)
            : eq(clicks.userAgent, p.userAgent),
      ),
    )
    .orderBy(desc(clicks.clickedAt), desc(clicks.id))
    .limit(MAX_TOUCHES)
  return rows.reverse()
}

/** The influencer a network sub-id (our influencer handle) names, with their membership in one of these programs. */
export async function membershipByHandle(tx: Db, merchantId: string, handle: string) {
  const [row] = await tx
    .select({ influencerId: influencers.id, programId: programs.id })
    .from(influencers)
    .innerJoin(programMemberships, eq(programMemberships.influencerId, influencers.id))
    .innerJoin(programs, eq(programs.id, programMemberships.programId))
    .where(and(eq(influencers.handle, handle.trim().toLowerCase()), eq(programs.merchantId, merchantId)))
    .orderBy(asc(programs.createdAt))
    .limit(1)
  return row
}

export async function couponOwner(tx: Db, merchantId: string, code: string) {
  const [row] = await tx
    .select({ influencerId: couponCodes.influencerId, programId: couponCodes.programId })
    .from(couponCodes)
    .where(
      and(
        eq(couponCodes.merchantId, merchantId),
        eq(couponCodes.code, code.trim().toUpperCase()),
        eq(couponCodes.active, true),
      ),
    )
  return row
}

export async function attributionsOf(tx: Db, conversionId: string) {
  return tx
    .select()
    .from(attributions)
    .where(eq(attributions.conversionId, conversionId))
    .orderBy(asc(attributions.id))
}

/** The first sale of a subscription (renewals share its order id), which decides who earns on renewals. */
export async function originalSale(tx: Db, merchantId: string, orderId: string) {
  const [row] = await tx
    .select()
    .from(conversions)
    .where(
      and(
        eq(conversions.merchantId, merchantId),
        eq(conversions.kind, 'sale'),
        eq(conversions.externalOrderId, orderId),
      ),
    )
  return row
}

export async function setConversionProgram(tx: Db, conversionId: string, programId: string) {
  await tx.execute(
    sql`update ${conversions} set program_id = ${programId} where id = ${conversionId} and program_id is null`,
  )
}

export interface Membership {
  readonly status: string
  readonly rateOverride: string | null
}

/** The memberships of these influencers in the program, in one round trip. */
export async function membershipsOf(
  tx: Db,
  programId: string,
  influencerIds: readonly string[],
): Promise<Map<string, Membership>> {
  if (influencerIds.length === 0) return new Map()
  const rows = await tx
    .select({
      influencerId: programMemberships.influencerId,
      status: programMemberships.status,
      rateOverride: programMemberships.rateOverride,
    })
    .from(programMemberships)
    .where(
      and(
        eq(programMemberships.programId, programId),
        inArray(programMemberships.influencerId, [...influencerIds]),
      ),
    )
  return new Map(rows.map((r) => [r.influencerId, { status: r.status, rateOverride: r.rateOverride }]))
}
