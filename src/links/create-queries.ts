import { and, eq, inArray, isNull, or } from 'drizzle-orm'
import {
  campaigns,
  influencers,
  networks,
  products,
  programMemberships,
  programs,
  trackingLinks,
} from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'

// Reads behind the create checks: batched per table, so 1,000 items cost a handful of queries.

/**
 * Everything the create checks need, in one query per table whatever the batch size. With `merchantId` (a merchant
 * calling), also which of the influencers are (or were) members of any of that merchant's programs: the only
 * influencers a merchant can see.
 */
export async function loadCreateContext(
  db: Db,
  ids: {
    programs: string[]
    influencers: string[]
    campaigns: string[]
    products: string[]
    merchantId?: string | undefined
  },
) {
  const none = Promise.resolve([])
  const [progs, infs, members, camps, prods, seen] = await Promise.all([
    db
      .select({
        id: programs.id,
        merchantId: programs.merchantId,
        active: programs.active,
        code: networks.code,
        clickParam: networks.clickParam,
        subIdParam: networks.subIdParam,
      })
      .from(programs)
      .leftJoin(networks, eq(networks.id, programs.networkId))
      .where(inArray(programs.id, ids.programs)),
    db
      .select({ id: influencers.id, handle: influencers.handle, disabledAt: influencers.disabledAt })
      .from(influencers)
      .where(inArray(influencers.id, ids.influencers)),
    db
      .select({
        programId: programMemberships.programId,
        influencerId: programMemberships.influencerId,
        status: programMemberships.status,
      })
      .from(programMemberships)
      .where(
        and(
          inArray(programMemberships.programId, ids.programs),
          inArray(programMemberships.influencerId, ids.influencers),
        ),
      ),
    ids.campaigns.length
      ? db
          .select({ id: campaigns.id, programId: campaigns.programId })
          .from(campaigns)
          .where(inArray(campaigns.id, ids.campaigns))
      : none,
    ids.products.length
      ? db
          .select({ id: products.id, merchantId: products.merchantId })
          .from(products)
          .where(inArray(products.id, ids.products))
      : none,
    ids.merchantId
      ? db
          .selectDistinct({ id: programMemberships.influencerId })
          .from(programMemberships)
          .innerJoin(programs, eq(programs.id, programMemberships.programId))
          .where(
            and(
              eq(programs.merchantId, ids.merchantId),
              inArray(programMemberships.influencerId, ids.influencers),
            ),
          )
      : none,
  ])
  return {
    programs: new Map(progs.map((p) => [p.id, p])),
    influencers: new Map(infs.map((i) => [i.id, i])),
    memberships: new Map(members.map((m) => [`${m.programId}|${m.influencerId}`, m.status])),
    campaigns: new Map(camps.map((c) => [c.id, c])),
    products: new Map(prods.map((p) => [p.id, p])),
    merchantInfluencers: new Set(seen.map((r) => r.id)),
  }
}

export type CreateContext = Awaited<ReturnType<typeof loadCreateContext>>

export interface Route {
  readonly influencerId: string
  readonly campaignId: string | null
  readonly asset: string | null
}

/** Mirrors tracking_links_creator_route_uq (NULLS NOT DISTINCT): null and '' never meet, uuids hold no '|'. */
export const routeKey = (r: Route) => `${r.influencerId}|${r.campaignId ?? ''}|${r.asset ?? '\u0000'}`

/** Which of these creator/campaign/asset routes already belong to a link. */
export async function takenRoutes(db: Db, routes: readonly Route[]): Promise<Set<string>> {
  const taken = new Set<string>()
  for (let i = 0; i < routes.length; i += 500) {
    const match = routes
      .slice(i, i + 500)
      .map((r) =>
        and(
          eq(trackingLinks.influencerId, r.influencerId),
          r.campaignId === null
            ? isNull(trackingLinks.campaignId)
            : eq(trackingLinks.campaignId, r.campaignId),
          r.asset === null ? isNull(trackingLinks.asset) : eq(trackingLinks.asset, r.asset),
        ),
      )
    const rows = await db
      .select({
        influencerId: trackingLinks.influencerId,
        campaignId: trackingLinks.campaignId,
        asset: trackingLinks.asset,
      })
      .from(trackingLinks)
      .where(or(...match))
    for (const r of rows) taken.add(routeKey(r))
  }
  return taken
}
