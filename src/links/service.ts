import type { Principal } from '../auth/principal.ts'
import { ownedRows } from '../auth/ownership.ts'
import { type NewTrackingLink, trackingLinks } from '../db/schema/index.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import type { LinkPatch, ListQuery } from './model.ts'
import { withDbErrors } from './pg-errors.ts'
import { isProblem, type Problem, throwFirst } from './problems.ts'
import * as q from './queries.ts'
import * as v from './validate.ts'
import {
  decodeCursor,
  encodeCursor,
  linkNotFound,
  type LinksConfig,
  type LinkView,
  toView,
  UUID,
} from './view.ts'

export { createLinks } from './create.ts'
export type { LinkView } from './view.ts'

// Changes reach the redirect caches through the link_changed trigger on tracking_links (NOTIFY),
// never through an import of redirect/: every host evicts, not just this one.

interface Deps {
  readonly store: Store
  readonly config: LinksConfig
  /** The caller: a merchant reaches its programs' links, an influencer its own; any other id is a 404. */
  readonly principal: Principal
}

const owned = (p: Principal) =>
  ownedRows(p, { programId: trackingLinks.programId, influencerId: trackingLinks.influencerId })

export async function getLink({ store, config, principal, id }: Deps & { id: string }): Promise<LinkView> {
  // A malformed id cannot name a link: 404 without asking Postgres (which would raise 22P02).
  if (!UUID.test(id)) throw linkNotFound(id)
  const row = await q.findLink(store.db, id.toLowerCase(), { owner: owned(principal) })
  if (!row) throw linkNotFound(id)
  return toView(row, config)
}

export async function listLinks({
  store,
  config,
  principal,
  query,
}: Deps & { query: typeof ListQuery.static }): Promise<{ data: LinkView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50
  const after = query.cursor ? decodeCursor(query.cursor) : undefined
  const rows = await withDbErrors(() =>
    q.listLinks(store.db, {
      influencerId: query.influencerId?.toLowerCase(),
      programId: query.programId?.toLowerCase(),
      campaignId: query.campaignId?.toLowerCase(),
      active: query.active,
      // Filters naming someone else's ids find nothing, exactly like ids that do not exist.
      owner: owned(principal),
      after,
      // One extra row tells whether another page exists without a count query.
      limit: limit + 1,
    }),
  )
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    data: page.map((r) => toView(r, config)),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  }
}

export async function updateLink({
  store,
  config,
  principal,
  id,
  patch,
}: Deps & { id: string; patch: typeof LinkPatch.static }): Promise<LinkView> {
  if (!UUID.test(id)) throw linkNotFound(id)
  const set: Partial<NewTrackingLink> = {}
  const problems: (Problem | undefined)[] = []
  if (patch.destinationUrl !== undefined) {
    const dest = v.checkDestinationField(patch.destinationUrl)
    if (isProblem(dest)) problems.push(dest)
    else set.destinationUrl = dest
  }
  if (patch.utm !== undefined) {
    problems.push(v.checkUtm(patch.utm))
    set.utm = emptyToNull(patch.utm)
  }
  if (patch.networkParams !== undefined) {
    problems.push(v.checkNetworkParams(patch.networkParams))
    set.networkParams = emptyToNull(patch.networkParams)
  }
  if (patch.expiresAt !== undefined) {
    const exp = v.checkExpiresAt(patch.expiresAt, new Date())
    if (isProblem(exp)) problems.push(exp)
    else set.expiresAt = exp
  }
  if (patch.asset !== undefined) {
    problems.push(v.checkAsset(patch.asset))
    set.asset = patch.asset
  }
  throwFirst(problems)
  if (Object.keys(set).length === 0)
    throw new HttpError(
      400,
      'empty_update',
      'nothing to update: send at least one of destinationUrl, utm, networkParams, expiresAt, asset',
    )

  return withDbErrors(() =>
    store.db.transaction(async (tx) => {
      const current = await q.findLink(tx, id.toLowerCase(), { lock: true, owner: owned(principal) })
      if (!current) throw linkNotFound(id)
      // Only a new networkParams is re-checked against the network: an expiry change must not fail
      // because of a rule added after the link was made.
      if (set.networkParams !== undefined)
        throwFirst([v.checkAgainstNetwork(set.networkParams, current.network, config.links.clickIdParam)])
      await q.updateLink(tx, current.link.id, set)
      return toView((await q.findLink(tx, current.link.id))!, config)
    }),
  )
}

/** Soft (de)activation; idempotent: repeating it changes nothing, deactivated_at keeps the first time. */
export async function setLinkActive({
  store,
  config,
  principal,
  id,
  active,
}: Deps & { id: string; active: boolean }): Promise<LinkView> {
  if (!UUID.test(id)) throw linkNotFound(id)
  // The owner filter is part of the UPDATE: someone else's link is not touched, then answers 404 below.
  await q.setActive(store.db, id.toLowerCase(), active, owned(principal))
  return getLink({ store, config, principal, id })
}

const emptyToNull = (o: unknown) => (v.isParams(o) && Object.keys(o).length ? o : null)
