import { eq } from 'drizzle-orm'
import { LRUCache } from 'lru-cache'
import type { Principal } from '../auth/principal.ts'
import { textArray } from '../db/rows.ts'
import { siteOrigins } from '../db/schema/index.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { merchantIdOf } from '../webhooks/service.ts'

// Which web origins may send snippet events for a merchant. Read per event from a short-lived cache: a change made
// on this host applies at once, on other hosts within ORIGIN_TTL_MS.

const ORIGIN_TTL_MS = 30_000
export const MAX_ORIGINS = 50

/** What the event intake needs about a merchant: its id, its registered origins, its programs' longest window. */
export interface SiteMerchant {
  readonly id: string
  readonly origins: ReadonlySet<string>
  readonly maxWindowDays: number
}

/**
 * "https://Shop.Example:443/path" → "https://shop.example"; undefined for anything that is not an http(s) origin.
 * The same serialisation browsers put in the Origin header, so the two compare as strings.
 */
export function normalizeOrigin(input: string): string | undefined {
  if (!URL.canParse(input)) return undefined
  const u = new URL(input)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined
  if (u.username || u.password) return undefined
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) return undefined
  return u.origin
}

export function createOriginRegistry(store: Store) {
  const bySlug = new LRUCache<string, SiteMerchant | false>({ max: 10_000, ttl: ORIGIN_TTL_MS })

  async function load(slug: string): Promise<SiteMerchant | false> {
    const rows = await store.query<{
      id: string
      origins: string[] | string | null
      max_window: number | null
    }>(
      `select m.id,
              array(select o.origin from site_origins o where o.merchant_id = m.id) as origins,
              (select max(p.cookie_window_days) from programs p where p.merchant_id = m.id and p.active) as max_window
         from merchants m where m.slug = $1 and m.disabled_at is null`,
      [slug],
    )
    const r = rows[0]
    if (!r) return false
    return { id: r.id, origins: new Set(textArray(r.origins)), maxWindowDays: r.max_window ?? 0 }
  }

  const known = new LRUCache<string, boolean>({ max: 10_000, ttl: ORIGIN_TTL_MS })

  return {
    /** Whether any merchant registered this origin: what a CORS preflight is answered by. */
    async knownOrigin(origin: string): Promise<boolean> {
      const hit = known.get(origin)
      if (hit !== undefined) return hit
      const rows = await store.query<{ n: number }>(
        'select 1 as n from site_origins where origin = $1 limit 1',
        [origin],
      )
      known.set(origin, rows.length > 0)
      return rows.length > 0
    },
    /** The merchant if it exists and is enabled (false otherwise); cached both ways so floods cost nothing. */
    async merchant(slug: string): Promise<SiteMerchant | false> {
      const hit = bySlug.get(slug)
      if (hit !== undefined) return hit
      const loaded = await load(slug)
      bySlug.set(slug, loaded)
      return loaded
    },
    forget(): void {
      bySlug.clear()
      known.clear()
    },
  }
}

export type OriginRegistry = ReturnType<typeof createOriginRegistry>

export async function listOrigins(store: Store, slug: string, viewer: Principal): Promise<string[]> {
  const id = await merchantIdOf(store, slug, viewer)
  const rows = await store.query<{ origin: string }>(
    'select origin from site_origins where merchant_id = $1 order by origin',
    [id],
  )
  return rows.map((r) => r.origin)
}

/** Replaces the merchant's origins with this list (normalised, deduplicated); 422 names every bad entry. */
export async function replaceOrigins(
  store: Store,
  slug: string,
  input: readonly string[],
  viewer: Principal,
): Promise<string[]> {
  const bad = input.filter((o) => normalizeOrigin(o) === undefined)
  if (bad.length)
    throw new HttpError(
      422,
      'invalid_origin',
      `not an http(s) origin (scheme://host[:port], no path): ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
      { fields: bad },
    )
  const origins = [...new Set(input.map((o) => normalizeOrigin(o) as string))].sort()
  if (origins.length > MAX_ORIGINS)
    throw new HttpError(422, 'too_many_origins', `at most ${MAX_ORIGINS} origins per merchant`)
  const id = await merchantIdOf(store, slug, viewer)
  await store.db.transaction(async (tx) => {
    await tx.delete(siteOrigins).where(eq(siteOrigins.merchantId, id))
    if (origins.length)
      await tx.insert(siteOrigins).values(origins.map((origin) => ({ merchantId: id, origin })))
  })
  return origins
}
