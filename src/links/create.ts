import type { Principal } from '../auth/principal.ts'
import type { TrackingLink } from '../db/schema/index.ts'
import type { Db, Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { generateSlug } from '../shared/slug.ts'
import type { LinkInput } from './model.ts'
import { withDbErrors } from './pg-errors.ts'
import { at, isProblem, type ItemProblem, problem, throwProblems } from './problems.ts'
import {
  checkReferences,
  clashesWithinBatch,
  networkOf,
  type Prepared,
  routeOf,
  routeTaken,
} from './create-checks.ts'
import { loadCreateContext, routeKey, takenRoutes } from './create-queries.ts'
import { insertLinks } from './queries.ts'
import * as v from './validate.ts'
import { type LinksConfig, type LinkView, toView } from './view.ts'

type Input = typeof LinkInput.static
/**
 * One path for single and bulk creation. Phases, each failing before any write: field rules, then the
 * referenced rows, then clashes inside the batch, then clashes with stored links; finally the insert,
 * which the constraints still guard against concurrent writers. One transaction: all or nothing.
 */
export async function createLinks(deps: {
  store: Store
  config: LinksConfig
  items: readonly Input[]
  bulk: boolean
  /** Programs and influencers the caller cannot see read as unknown ones (see create-checks.ts). */
  principal: Principal
}): Promise<LinkView[]> {
  const { store, config, items, bulk, principal } = deps
  const now = new Date()
  const prepared = items.map((input, index) => prepare(input, index, now))
  throwProblems(
    prepared.filter((p): p is ItemProblem => 'code' in p),
    bulk,
  )
  const ok = prepared as Prepared[]

  return withDbErrors(() =>
    store.db.transaction(async (tx) => {
      // An influencer's own memberships are loaded too: they decide which programs it can see.
      const self = principal.kind === 'influencer' ? [principal.influencerId] : []
      const ctx = await loadCreateContext(tx, {
        programs: unique(ok.map((p) => p.row.programId)),
        influencers: unique([...ok.map((p) => p.row.influencerId), ...self]),
        campaigns: unique(ok.flatMap((p) => (p.row.campaignId ? [p.row.campaignId] : []))),
        products: unique(ok.flatMap((p) => (p.row.productId ? [p.row.productId] : []))),
        merchantId: principal.kind === 'merchant' ? principal.merchantId : undefined,
      })
      throwProblems(
        ok.flatMap((p) => at(p.index, checkReferences(p.row, ctx, config, principal))),
        bulk,
      )
      throwProblems(clashesWithinBatch(ok), bulk)
      const taken = await takenRoutes(tx, ok.map(routeOf))
      throwProblems(
        ok.filter((p) => taken.has(routeKey(routeOf(p)))).flatMap((p) => at(p.index, routeTaken())),
        bulk,
      )
      const rows = await insertAll(tx, ok, bulk)
      return ok.map((p) =>
        toView(
          {
            link: rows.get(p.row.id)!,
            handle: ctx.influencers.get(p.row.influencerId)!.handle,
            network: networkOf(ctx, p.row.programId),
            cursorTs: '',
          },
          config,
        ),
      )
    }),
  )
}

function prepare(input: Input, index: number, now: Date): Prepared | ItemProblem {
  const dest = v.checkDestinationField(input.destinationUrl)
  const expiresAt = v.checkExpiresAt(input.expiresAt ?? null, now)
  const asset = input.asset ?? null
  const problem =
    (input.slug === undefined ? undefined : v.checkSlugField(input.slug)) ??
    (isProblem(dest) ? dest : undefined) ??
    v.checkUtm(input.utm ?? null) ??
    v.checkNetworkParams(input.networkParams ?? null) ??
    v.checkAsset(asset) ??
    (isProblem(expiresAt) ? expiresAt : undefined)
  if (problem) return { ...problem, index }
  return {
    index,
    customSlug: input.slug,
    row: {
      // Our own id, so rows coming back from INSERT … RETURNING map to items without relying on slugs.
      id: Bun.randomUUIDv7(),
      slug: input.slug ?? '',
      programId: input.programId.toLowerCase(),
      influencerId: input.influencerId.toLowerCase(),
      campaignId: input.campaignId?.toLowerCase() ?? null,
      productId: input.productId?.toLowerCase() ?? null,
      asset,
      destinationUrl: dest as string,
      utm: emptyToNull(input.utm),
      networkParams: emptyToNull(input.networkParams),
      expiresAt: expiresAt as Date | null,
    },
  }
}

/** Random slugs that collide (ON CONFLICT skips them) are redrawn; a taken custom slug is a 409. */
async function insertAll(
  tx: Db,
  items: readonly Prepared[],
  bulk: boolean,
): Promise<Map<string, TrackingLink>> {
  const custom = new Set(items.flatMap((p) => (p.customSlug === undefined ? [] : [p.customSlug])))
  const draw = () => {
    for (;;) {
      const s = generateSlug()
      if (!custom.has(s)) return s
    }
  }
  const done = new Map<string, TrackingLink>()
  let pending = items.map((p) => (p.customSlug === undefined ? { ...p, row: { ...p.row, slug: draw() } } : p))
  for (let attempt = 0; pending.length > 0 && attempt < 10; attempt++) {
    for (const row of await insertLinks(
      tx,
      pending.map((p) => p.row),
    ))
      done.set(row.id, row)
    const missed = pending.filter((p) => !done.has(p.row.id))
    throwProblems(
      missed.flatMap((p) =>
        p.customSlug === undefined
          ? []
          : at(p.index, problem(409, 'slug_taken', 'slug', `slug "${p.customSlug}" is already taken`)),
      ),
      bulk,
    )
    pending = missed.map((p) => ({ ...p, row: { ...p.row, slug: draw() } }))
  }
  if (pending.length)
    throw new HttpError(503, 'slug_space_exhausted', 'could not find a free random slug; retry')
  return done
}

const unique = (xs: string[]) => [...new Set(xs)]
const emptyToNull = (o: unknown) => (v.isParams(o) && Object.keys(o).length ? o : null)
