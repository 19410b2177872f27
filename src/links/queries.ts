import { and, desc, eq, sql, type SQL } from 'drizzle-orm'
import {
  influencers,
  networks,
  programs,
  trackingLinks,
  type NewTrackingLink,
  type TrackingLink,
} from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import type { NetworkContext } from './validate.ts'

/** A link plus what its preview URL needs: the influencer's handle (sub id) and the program's network. */
export interface LinkRow {
  readonly link: TrackingLink
  readonly handle: string
  readonly network: NetworkContext | null
  /** created_at to the microsecond (a JS Date keeps only ms), for exact cursors. */
  readonly cursorTs: string
}

const linkColumns = {
  link: trackingLinks,
  handle: influencers.handle,
  networkCode: networks.code,
  networkClickParam: networks.clickParam,
  networkSubIdParam: networks.subIdParam,
  cursorTs: sql<string>`to_char(${trackingLinks.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
}

type Selected = {
  link: TrackingLink
  handle: string
  networkCode: string | null
  networkClickParam: string | null
  networkSubIdParam: string | null
  cursorTs: string
}

const toRow = (r: Selected): LinkRow => ({
  link: r.link,
  handle: r.handle,
  cursorTs: r.cursorTs,
  network:
    r.networkCode === null
      ? null
      : { code: r.networkCode, clickParam: r.networkClickParam, subIdParam: r.networkSubIdParam },
})

function selectLinks(db: Db) {
  return db
    .select(linkColumns)
    .from(trackingLinks)
    .innerJoin(influencers, eq(influencers.id, trackingLinks.influencerId))
    .innerJoin(programs, eq(programs.id, trackingLinks.programId))
    .leftJoin(networks, eq(networks.id, programs.networkId))
}

export async function findLink(
  db: Db,
  id: string,
  opts: { lock?: boolean; owner?: SQL | undefined } = {},
): Promise<LinkRow | undefined> {
  const q = selectLinks(db).where(and(eq(trackingLinks.id, id), opts.owner))
  const rows = opts.lock ? await q.for('update', { of: trackingLinks }) : await q
  return rows[0] && toRow(rows[0])
}

export interface ListFilter {
  readonly influencerId?: string | undefined
  readonly programId?: string | undefined
  readonly campaignId?: string | undefined
  readonly active?: boolean | undefined
  /** What the caller may see (see auth/ownership.ts); undefined: every link. */
  readonly owner?: SQL | undefined
  readonly after?: { ts: string; id: string } | undefined
  readonly limit: number
}

/** Newest first; (created_at, id) is total, so pages never overlap or skip rows created in one statement. */
export async function listLinks(db: Db, f: ListFilter): Promise<LinkRow[]> {
  const where: (SQL | undefined)[] = [
    f.influencerId ? eq(trackingLinks.influencerId, f.influencerId) : undefined,
    f.programId ? eq(trackingLinks.programId, f.programId) : undefined,
    f.campaignId ? eq(trackingLinks.campaignId, f.campaignId) : undefined,
    f.active === undefined ? undefined : eq(trackingLinks.active, f.active),
    f.owner,
    f.after
      ? sql`(${trackingLinks.createdAt}, ${trackingLinks.id}) < (${f.after.ts}::timestamptz, ${f.after.id}::uuid)`
      : undefined,
  ]
  const rows = await selectLinks(db)
    .where(and(...where))
    .orderBy(desc(trackingLinks.createdAt), desc(trackingLinks.id))
    .limit(f.limit)
  return rows.map(toRow)
}

/** Rows whose slug already exists are skipped, not raised, so the caller can retry random slugs. */
export async function insertLinks(db: Db, rows: NewTrackingLink[]): Promise<TrackingLink[]> {
  const out: TrackingLink[] = []
  // 14 columns a row: 2,000 rows stay well under Postgres's 65,534 parameters per statement.
  for (let i = 0; i < rows.length; i += 2000)
    out.push(
      ...(await db
        .insert(trackingLinks)
        .values(rows.slice(i, i + 2000))
        .onConflictDoNothing({ target: trackingLinks.slug })
        .returning()),
    )
  return out
}

export async function updateLink(db: Db, id: string, set: Partial<NewTrackingLink>): Promise<void> {
  await db
    .update(trackingLinks)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(trackingLinks.id, id))
}

/** Only a real change writes (and bumps updated_at), so repeating a deactivate is a no-op. */
export async function setActive(db: Db, id: string, active: boolean, owner?: SQL): Promise<boolean> {
  const rows = await db
    .update(trackingLinks)
    .set({ active, deactivatedAt: active ? null : sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(trackingLinks.id, id), eq(trackingLinks.active, !active), owner))
    .returning({ id: trackingLinks.id })
  return rows.length > 0
}
