import type { Principal } from '../auth/principal.ts'
import type { NewTrackingLink } from '../db/schema/index.ts'
import { type CreateContext, type Route, routeKey } from './create-queries.ts'
import { type ItemProblem, type Problem, problem } from './problems.ts'
import * as v from './validate.ts'
import type { LinksConfig } from './view.ts'

// The create checks that need the referenced rows or the whole batch; field rules are in validate.ts.

export type Row = NewTrackingLink & { id: string; programId: string; influencerId: string }

export interface Prepared {
  readonly index: number
  readonly row: Row
  readonly customSlug: string | undefined
}

/**
 * What the caller may reference, decided before anything else about a row, so a program or influencer it cannot
 * see gets the answer a missing id gets: a merchant creates links in its own programs for influencers who are (or
 * were) members of one of them; an influencer only for itself, in programs it has a membership of (the approval
 * check below then applies as for anyone).
 */
function visible(p: Principal, ctx: CreateContext) {
  return {
    program: (id: string, merchantId: string) =>
      p.kind === 'merchant'
        ? merchantId === p.merchantId
        : p.kind === 'influencer'
          ? ctx.memberships.has(`${id}|${p.influencerId}`)
          : true,
    influencer: (id: string) =>
      p.kind === 'merchant'
        ? ctx.merchantInfluencers.has(id)
        : p.kind === 'influencer'
          ? id === p.influencerId
          : true,
  }
}

export function checkReferences(
  row: Row,
  ctx: CreateContext,
  config: LinksConfig,
  principal: Principal,
): Problem | undefined {
  const sees = visible(principal, ctx)
  const program = ctx.programs.get(row.programId)
  if (!program || !sees.program(program.id, program.merchantId))
    return problem(422, 'unknown_program', 'programId', `no program with id ${row.programId}`)
  if (!program.active) return problem(422, 'program_inactive', 'programId', 'the program is not active')
  const influencer = ctx.influencers.get(row.influencerId)
  if (!influencer || !sees.influencer(influencer.id))
    return problem(422, 'unknown_influencer', 'influencerId', `no influencer with id ${row.influencerId}`)
  if (influencer.disabledAt)
    return problem(422, 'influencer_disabled', 'influencerId', 'the influencer is disabled')
  const status = ctx.memberships.get(`${row.programId}|${row.influencerId}`)
  if (status !== 'approved')
    return problem(
      422,
      'influencer_not_in_program',
      'influencerId',
      status
        ? `the influencer's membership of the program is ${status}, not approved`
        : 'the influencer is not a member of the program',
    )
  if (row.campaignId && ctx.campaigns.get(row.campaignId)?.programId !== row.programId)
    return problem(
      422,
      'campaign_not_in_program',
      'campaignId',
      'the campaign does not exist in this program',
    )
  if (row.productId) {
    const product = ctx.products.get(row.productId)
    // Only the operator is told a product exists at another merchant; anyone else sees it as unknown.
    if (!product || (principal.kind !== 'admin' && product.merchantId !== program.merchantId))
      return problem(422, 'unknown_product', 'productId', `no product with id ${row.productId}`)
    if (product.merchantId !== program.merchantId)
      return problem(422, 'product_not_in_program', 'productId', 'the product belongs to another merchant')
  }
  return v.checkAgainstNetwork(
    row.networkParams ?? null,
    networkOf(ctx, row.programId),
    config.links.clickIdParam,
  )
}

export function clashesWithinBatch(items: readonly Prepared[]): ItemProblem[] {
  const slugs = new Map<string, number>()
  const routes = new Map<string, number>()
  const out: ItemProblem[] = []
  for (const p of items) {
    const s = p.customSlug === undefined ? undefined : slugs.get(p.customSlug)
    if (s !== undefined)
      out.push({
        ...problem(409, 'slug_taken', 'slug', `slug "${p.customSlug}" is also used by items[${s}]`),
        index: p.index,
      })
    else if (p.customSlug !== undefined) slugs.set(p.customSlug, p.index)
    const key = routeKey(routeOf(p))
    const r = routes.get(key)
    if (r !== undefined)
      out.push({
        ...routeTaken(),
        message: `same influencer, campaign and asset as items[${r}]`,
        index: p.index,
      })
    else routes.set(key, p.index)
  }
  return out
}

export const routeTaken = () =>
  problem(409, 'route_taken', 'asset', 'a link for this influencer, campaign and asset already exists')
export const routeOf = (p: Prepared): Route => ({
  influencerId: p.row.influencerId,
  campaignId: p.row.campaignId ?? null,
  asset: p.row.asset ?? null,
})
export const networkOf = (ctx: CreateContext, programId: string) => {
  const p = ctx.programs.get(programId)
  return p?.code ? { code: p.code, clickParam: p.clickParam, subIdParam: p.subIdParam } : null
}
