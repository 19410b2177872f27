import type { Registry } from 'prom-client'
import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import type { Worker } from '../lifecycle.ts'
import { createClickIdSigner } from '../shared/click-id.ts'
import { createIpResolver } from '../shared/client-ip.ts'
import type { Logger } from '../shared/logger.ts'
import { ClickBuffer, type ClickRecord } from './click-buffer.ts'
import { createClickEncoder } from './click-encoder.ts'
import { createClickFlusher } from './click-flusher.ts'
import { ClickJournal } from './click-journal.ts'
import { ClickWal } from './click-wal.ts'
import { createLinkCache } from './link-cache.ts'
import type { CachedLink } from './link-queries.ts'
import { linkInvalidationWorker } from './invalidation.ts'
import { createRedirectMetrics } from './metrics.ts'
import { linkGone, linkNotFound, linkUnavailable } from './responses.ts'

/** The part of Bun's Server the redirect uses (absent under app.handle in tests). */
export interface PeerInfo {
  requestIP(req: Request): { address: string } | null
}

// Slugs and /c/ segments are plain tokens; anything else cannot exist, so it never reaches the database.
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/

const PREFETCH = /prefetch|prerender|preview/i
const isPrefetch = (h: Headers) => {
  const hint = h.get('sec-purpose') ?? h.get('purpose') ?? h.get('x-purpose') ?? h.get('x-moz')
  return hint !== null && PREFETCH.test(hint)
}

export function createRedirect(d: {
  config: Config
  store: Store
  log: Logger
  registry: Registry
  onClicksStored?: (records: readonly ClickRecord[]) => void
}) {
  const { config } = d
  const cache = createLinkCache({
    store: d.store,
    size: config.links.cacheSize,
    negativeSize: config.links.negativeCacheSize,
    negativeTtlMs: config.links.negativeCacheTtlMs,
    clickIdParam: config.links.clickIdParam,
  })
  const journal = new ClickJournal(config.clicks.journalDir)
  // When the ring is full (Postgres slow or down for long), half of it goes to disk at once.
  const buffer = new ClickBuffer(config.clicks.bufferSize, () =>
    flusher.spill(Math.ceil(config.clicks.bufferSize / 2)),
  )
  const encoder = createClickEncoder({ ipHashSalt: config.secrets.ipHashSalt })
  const wal = new ClickWal(config.clicks.journalDir, config.clicks.walSlots)
  const flusher = createClickFlusher({
    store: d.store,
    buffer,
    encoder,
    journal,
    wal,
    log: d.log,
    intervalMs: config.clicks.flushIntervalMs,
    maxRows: config.clicks.flushMaxRows,
    onStored: d.onClicksStored,
  })
  const metrics = createRedirectMetrics(d.registry, {
    bufferDepth: () => buffer.size,
    flusher: () => flusher.stats,
  })
  const ips = createIpResolver(config.trustedProxies)
  const trustsProxies = config.trustedProxies.length > 0
  const [key] = config.secrets.clickIdKeys
  if (!key) throw new Error('no click-id signing key configured')
  const sign = createClickIdSigner(key)
  const secureCookie = config.publicBaseUrl.startsWith('https:') ? '; Secure' : ''
  let lastDbWarning = 0

  const redirect = (req: Request, server: PeerInfo | undefined, link: CachedLink | null): Response => {
    if (!link || !link.active) {
      metrics.not_found++
      return linkNotFound(req)
    }
    const now = Date.now()
    if (link.expiresAtMs !== null && link.expiresAtMs <= now) {
      metrics.expired++
      return linkGone(req)
    }
    const id = Bun.randomUUIDv7('buffer', now)
    const token = sign(id)
    const h = req.headers
    const q = req.url.indexOf('?')
    const rec: ClickRecord = {
      id,
      at: now,
      link,
      ipHash: encoder.ipHash(
        ips.clientIp(server?.requestIP(req)?.address, trustsProxies ? h.get('x-forwarded-for') : null),
      ),
      ua: h.get('user-agent'),
      referer: h.get('referer'),
      query: q < 0 ? null : req.url.slice(q + 1),
      head: req.method === 'HEAD',
      prefetch: isPrefetch(h),
      kid: key.kid,
      seq: 0,
    }
    // On disk (page cache) before the 302 leaves: a kill from here on loses nothing served.
    rec.seq = wal.write(rec)
    buffer.push(rec)
    metrics.redirected++
    // Only our own precomputed URL and the base64url token go into headers: no request input is reflected.
    return new Response(null, {
      status: 302,
      headers: {
        location: `${link.base}${link.sep}${link.clickParam}=${token}${link.fragment}`,
        'cache-control': 'no-store',
        'set-cookie': `sk_click=${token}; Max-Age=${link.cookieMaxAgeS}; Path=/; HttpOnly; SameSite=Lax${secureCookie}`,
      },
    })
  }

  const unavailable = (req: Request, err: unknown): Response => {
    metrics.unavailable++
    if (Date.now() - lastDbWarning > 5000) {
      lastDbWarning = Date.now()
      d.log.warn({ err }, 'link lookup failed; uncached links answer 503 until the database answers')
    }
    return linkUnavailable(req)
  }

  return {
    cache,
    buffer,
    flusher,
    wal,
    workers: [flusher.worker, linkInvalidationWorker({ store: d.store, cache, log: d.log })] as Worker[],
    /** GET|HEAD /l/:slug. Synchronous on a cache hit: no promise, no database. */
    bySlug(req: Request, server: PeerInfo | undefined, slug: string): Response | Promise<Response> {
      if (!TOKEN.test(slug)) {
        metrics.not_found++
        return linkNotFound(req)
      }
      // Every slug is stored lower-case, so a shopper typing GLOW-SERUM from a printed card still arrives.
      const hit = cache.bySlug(slug.toLowerCase())
      if (hit === null || !(hit instanceof Promise)) return redirect(req, server, hit)
      return hit.then(
        (link) => redirect(req, server, link),
        (err) => unavailable(req, err),
      )
    },
    /** GET|HEAD /c/:creator/:campaign/:asset? */
    byRoute(
      req: Request,
      server: PeerInfo | undefined,
      p: { creator: string; campaign: string; asset?: string },
    ) {
      if (
        !TOKEN.test(p.creator) ||
        !TOKEN.test(p.campaign) ||
        (p.asset !== undefined && !TOKEN.test(p.asset))
      ) {
        metrics.not_found++
        return linkNotFound(req)
      }
      return cache.byRoute(p.creator.toLowerCase(), p.campaign, p.asset ?? null).then(
        (link) => redirect(req, server, link),
        (err) => unavailable(req, err),
      )
    },
  }
}

export type Redirect = ReturnType<typeof createRedirect>
