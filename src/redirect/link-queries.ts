import type { Store } from '../db/store.ts'
import { buildDestination } from '../shared/destination.ts'

/** Everything the redirect needs about one link, precomputed once per cache fill. */
export interface CachedLink {
  readonly id: string
  readonly slug: string
  readonly programId: string
  readonly influencerId: string
  readonly campaignId: string | null
  readonly active: boolean
  readonly expiresAtMs: number | null
  /** Destination up to (not including) any #fragment, with UTM/network/sub-id parameters applied. */
  readonly base: string
  /** '?' or '&': how the click id joins `base`. */
  readonly sep: string
  readonly clickParam: string
  readonly fragment: string
  readonly cookieMaxAgeS: number
}

interface LinkRow {
  id: string
  slug: string
  program_id: string
  influencer_id: string
  campaign_id: string | null
  destination_url: string
  utm: Record<string, string> | null
  network_params: Record<string, string> | null
  active: boolean
  program_active: boolean
  expires_at: Date | string | null
  cookie_window_days: number
  network_code: string | null
  click_param: string | null
  sub_id_param: string | null
  handle: string
}

const SELECT = `select l.id, l.slug, l.program_id, l.influencer_id, l.campaign_id, l.destination_url, l.utm,
  l.network_params, l.active, p.active as program_active, l.expires_at, p.cookie_window_days,
  n.code as network_code, n.click_param, n.sub_id_param, i.handle
  from tracking_links l
  join programs p on p.id = l.program_id
  join influencers i on i.id = l.influencer_id
  left join networks n on n.id = p.network_id`

export async function loadLinkBySlug(store: Store, slug: string, clickIdParam: string) {
  // Prepared: the planner's work for this 4-table join is done once per connection, not per miss.
  const rows = await store.query<LinkRow>(`${SELECT} where l.slug = $1`, [slug], { prepare: true })
  return rows[0] ? toCached(rows[0], clickIdParam) : undefined
}

/** The /c/:creator/:campaign/:asset? route: a creator handle and campaign slug, plus an optional asset label. */
export async function loadLinkByRoute(
  store: Store,
  route: { creator: string; campaign: string; asset: string | null },
  clickIdParam: string,
) {
  const rows = await store.query<LinkRow>(
    `${SELECT} join campaigns c on c.id = l.campaign_id
      where i.handle = $1 and c.slug = $2 and l.asset is not distinct from $3`,
    [route.creator, route.campaign, route.asset],
  )
  return rows[0] ? toCached(rows[0], clickIdParam) : undefined
}

function toCached(r: LinkRow, clickIdParam: string): CachedLink {
  const built = buildDestination({
    destinationUrl: r.destination_url,
    utm: r.utm,
    networkParams: r.network_params,
    network: r.network_code
      ? { code: r.network_code, clickParam: r.click_param, subIdParam: r.sub_id_param }
      : null,
    subId: r.handle,
    defaultClickParam: clickIdParam,
  })
  const hash = built.url.indexOf('#')
  const base = hash < 0 ? built.url : built.url.slice(0, hash)
  return {
    id: r.id,
    slug: r.slug,
    programId: r.program_id,
    influencerId: r.influencer_id,
    campaignId: r.campaign_id,
    active: r.active && r.program_active,
    expiresAtMs: r.expires_at === null ? null : new Date(r.expires_at).getTime(),
    base,
    sep: base.includes('?') ? '&' : '?',
    clickParam: encodeURIComponent(built.clickParam),
    fragment: hash < 0 ? '' : built.url.slice(hash),
    cookieMaxAgeS: r.cookie_window_days * 86_400,
  }
}
