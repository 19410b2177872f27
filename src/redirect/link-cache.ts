import { LRUCache } from 'lru-cache'
import type { Store } from '../db/store.ts'
import { type CachedLink, loadLinkByRoute, loadLinkBySlug } from './link-queries.ts'

export interface LinkCacheOptions {
  readonly store: Store
  readonly size: number
  readonly negativeSize: number
  readonly negativeTtlMs: number
  readonly clickIdParam: string
}

export interface LinkCache {
  /** Sync on a hit (no promise, no database); a promise on a miss, shared by every request for that slug. */
  bySlug(slug: string): CachedLink | null | Promise<CachedLink | null>
  byRoute(creator: string, campaign: string, asset: string | null): Promise<CachedLink | null>
  /** One link changed (NOTIFY): forget it now. */
  evict(slug: string): void
  /** Everything may have changed (a '*' NOTIFY). */
  clear(): void
  /**
   * Changes may have been missed (LISTEN reconnected): every entry is re-read before its next use, but kept as
   * a fallback if that read fails, so a database blip does not turn cached links into errors.
   */
  revalidateAll(): void
  readonly stats: { hits: number; misses: number; negativeHits: number; staleServed: number }
}

interface Entry {
  readonly link: CachedLink
  /** The cache generation it was read in; an older one must be re-read. */
  readonly gen: number
}

const NONE = Symbol('none')

export function createLinkCache(o: LinkCacheOptions): LinkCache {
  const stats = { hits: 0, misses: 0, negativeHits: 0, staleServed: 0 }
  let gen = 0
  // Unknown slugs are remembered (bounded, short-lived) so a scan of random slugs costs one query per slug.
  const unknown = new LRUCache<string, true>({ max: o.negativeSize, ttl: o.negativeTtlMs })
  const links = new LRUCache<string, Entry>({
    max: o.size,
    // lru-cache coalesces concurrent fetches of one key into this single call.
    fetchMethod: async (slug, stale) => {
      const readIn = gen
      try {
        const link = await loadLinkBySlug(o.store, slug, o.clickIdParam)
        if (!link) unknown.set(slug, true)
        return link ? { link, gen: readIn } : undefined
      } catch (err) {
        if (!stale) throw err
        stats.staleServed++
        return stale
      }
    },
  })
  // /c/ routes map to a slug; rare and small, so on any change it is simply emptied.
  // Expired mappings are kept (noDeleteOnStaleGet) as the fallback while the database is away: a route whose
  // mapping expired during a 30 s outage answered 503 although its link was cached (test/binary/clicks.test.ts).
  const routes = new LRUCache<string, string | typeof NONE>({
    max: 10_000,
    ttl: o.negativeTtlMs,
    noDeleteOnStaleGet: true,
  })

  // An eviction during a fetch aborts it (its row may predate the change), and so does a set() of the same slug by
  // a /c/ route lookup that finished first ('replaced'): either way, fetch again.
  const fetchSlug = async (slug: string, refresh: boolean): Promise<CachedLink | null> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await links.fetch(slug, { forceRefresh: refresh }))?.link ?? null
      } catch (err) {
        const why = (err as Error).message
        if (attempt >= 3 || (why !== 'deleted' && why !== 'replaced')) throw err
      }
    }
  }

  return {
    stats,
    bySlug(slug) {
      const hit = links.get(slug)
      if (hit && hit.gen === gen) {
        stats.hits++
        return hit.link
      }
      if (!hit && unknown.has(slug)) {
        stats.negativeHits++
        return null
      }
      stats.misses++
      return fetchSlug(slug, hit !== undefined)
    },
    async byRoute(creator, campaign, asset) {
      const key = `${creator}\u0000${campaign}\u0000${asset ?? ''}`
      const known = routes.get(key)
      if (known === NONE) return null
      if (known !== undefined) {
        const link = await this.bySlug(known)
        if (link) return link
      }
      let link: CachedLink | undefined
      try {
        link = await loadLinkByRoute(o.store, { creator, campaign, asset }, o.clickIdParam)
      } catch (err) {
        const last = routes.get(key, { allowStale: true })
        const fallback = last && last !== NONE ? await this.bySlug(last) : null
        if (!fallback) throw err
        stats.staleServed++
        return fallback
      }
      routes.set(key, link ? link.slug : NONE)
      if (link) links.set(link.slug, { link, gen })
      return link ?? null
    },
    evict(slug) {
      // delete also abandons an in-flight fetch of the slug, so a pre-change row is never cached after this.
      links.delete(slug)
      unknown.delete(slug)
      routes.clear()
    },
    clear() {
      links.clear()
      unknown.clear()
      routes.clear()
    },
    revalidateAll() {
      gen++
      unknown.clear()
      // Route → slug mappings stay: the slug's own entry is re-read, and they expire within the TTL anyway.
    },
  }
}
