import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { createIpResolver } from '../shared/client-ip.ts'
import { errorBody } from '../shared/errors.ts'

// Request budgets for /api and the signed intake, checked before routing (so before authentication and body
// parsing): a flood of bad keys or oversized bodies is counted and refused as cheaply as a good request.
//
// Why not elysia-rate-limit: it counts in beforeHandle, after the derive/transform where principalAuth and
// adminAuth throw 401, so requests with invalid keys are never counted (key guessing goes unthrottled), and its
// onError "refunds" failed requests it never charged, which hands a client extra budget. Checked on elysia 1.4.30
// with elysia-rate-limit 4.6.3.
//
// Sliding window counter (the previous fixed minute weighted by how much of it still overlaps the window, plus
// the current minute): O(1) memory per client, no burst of 2× at a window edge as a fixed window allows.
// Budgets live in this host's memory: behind a load balancer of N hosts a client can get up to N× the limit.

const WINDOW_MS = 60_000
// Distinct clients remembered; the least recently seen is forgotten first (a forgotten client starts afresh).
const MAX_CLIENTS = 100_000

export type LimitedSurface = 'api' | 'webhooks'

export interface RateLimitOptions {
  /** Per minute per client address and per API key on /api; 0: no limit. */
  readonly apiPerMinute: number
  /** Per minute per client address on /webhooks, /postback, /api/v1/events and the snippet's /v1/events; 0: no limit. */
  readonly webhooksPerMinute: number
  readonly trustedProxies: readonly string[]
}

/** What a request is charged to: nothing (the redirect, ops, the dashboard, the feed), the API or the intake. */
export function surfaceOf(path: string): LimitedSurface | null {
  if (
    path.startsWith('/webhooks/') ||
    path.startsWith('/postback/') ||
    path.startsWith('/api/v1/events/') ||
    // The snippet's events: a shopper sends a few per page; a script sending thousands is refused early.
    path.startsWith('/v1/events/')
  )
    return 'webhooks'
  if (path.startsWith('/api/')) return 'api'
  return null
}

interface Bucket {
  /** Start of the current fixed minute. */
  start: number
  prev: number
  cur: number
}

export interface Verdict {
  readonly allowed: boolean
  readonly limit: number
  readonly remaining: number
  /** Seconds until the budget is whole again (RateLimit-Reset). */
  readonly resetSeconds: number
  /** Seconds until one more request would be allowed (Retry-After), when refused. */
  readonly retryAfterSeconds: number
}

/** The budgets themselves, with an injectable clock (table-tested without waiting a minute). */
export function createWindowCounter(opts: { max?: number; now?: () => number } = {}) {
  const now = opts.now ?? Date.now
  const buckets = new LRUCache<string, Bucket>({ max: opts.max ?? MAX_CLIENTS })

  const roll = (b: Bucket, t: number) => {
    const windows = Math.floor((t - b.start) / WINDOW_MS)
    if (windows <= 0) return
    b.prev = windows === 1 ? b.cur : 0
    b.cur = 0
    b.start += windows * WINDOW_MS
  }
  const estimate = (b: Bucket, t: number) => b.prev * ((WINDOW_MS - (t - b.start)) / WINDOW_MS) + b.cur

  /** How long from `t` until `b`, now full, may take one more request under `limit` (ms). */
  const waitMs = (b: Bucket, t: number, limit: number): number => {
    const elapsed = t - b.start
    // This minute still has room: the previous minute's weight has to fade, prev × (1 − e/W) + cur + 1 ≤ limit.
    if (b.cur + 1 <= limit) return Math.max(0, WINDOW_MS * (1 - (limit - b.cur - 1) / b.prev) - elapsed)
    // Not before the next minute, when this one becomes the fading one: cur × (1 − e/W) + 1 ≤ limit.
    return WINDOW_MS - elapsed + Math.max(0, WINDOW_MS * (1 - (limit - 1) / b.cur))
  }

  /** When `b` is whole again: this minute's requests fade out by the end of the next one. */
  const untilWhole = (b: Bucket, t: number) =>
    b.cur > 0 ? 2 * WINDOW_MS - (t - b.start) : b.prev > 0 ? WINDOW_MS - (t - b.start) : 0

  /** Charges one request to every key if all of them have room; otherwise charges none. */
  return function take(keys: readonly string[], limit: number): Verdict {
    const t = now()
    const bs = keys.map((k) => {
      let b = buckets.get(k)
      if (!b) {
        b = { start: t - (t % WINDOW_MS), prev: 0, cur: 0 }
        buckets.set(k, b)
      }
      roll(b, t)
      return b
    })
    const full = bs.filter((b) => estimate(b, t) + 1 > limit)
    const allowed = full.length === 0
    if (allowed) for (const b of bs) b.cur++
    const used = Math.max(...bs.map((b) => estimate(b, t)))
    return {
      allowed,
      limit,
      remaining: Math.max(0, Math.floor(limit - used)),
      resetSeconds: Math.ceil(Math.max(...bs.map((b) => untilWhole(b, t))) / 1000),
      retryAfterSeconds: allowed
        ? 0
        : Math.max(1, Math.ceil(Math.max(...full.map((b) => waitMs(b, t, limit))) / 1000)),
    }
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url')

/**
 * The limiter app.ts runs on every request. `peer` is the TCP peer (server.requestIP); X-Forwarded-For counts
 * only when the peer is a configured trusted proxy. A request with no peer (app.handle in-process: tests, the
 * bench's handler loop) has no network client to limit and passes.
 */
export function createRateLimiter(opts: RateLimitOptions & { now?: () => number }) {
  const take = createWindowCounter({ now: opts.now })
  const ips = createIpResolver(opts.trustedProxies)
  const limits: Record<LimitedSurface, number> = {
    api: opts.apiPerMinute,
    webhooks: opts.webhooksPerMinute,
  }

  return {
    /**
     * undefined when the request is not limited; else the verdict with the headers to send: on the response
     * when allowed, on a 429 (see tooManyRequests) when not.
     */
    check(request: Request, peer: string | undefined): { verdict: Verdict; headers: Headers } | undefined {
      if (!peer || request.method === 'OPTIONS') return undefined
      const url = request.url
      const from = url.indexOf('/', url.indexOf('//') + 2)
      const q = url.indexOf('?', from)
      const surface = surfaceOf(q < 0 ? url.slice(from) : url.slice(from, q))
      if (!surface) return undefined
      const limit = limits[surface]
      if (limit <= 0) return undefined
      const ip = ips.clientIp(peer, request.headers.get('x-forwarded-for')) ?? peer
      const keys = [`${surface}:ip:${ip}`]
      // A key gets its own budget wherever it calls from; the address budget still applies, so rotating
      // made-up keys (or real ones) from one address buys nothing.
      const auth = surface === 'api' ? request.headers.get('authorization') : null
      if (auth) keys.push(`api:key:${sha256(auth.trim())}`)
      const verdict = take(keys, limit)
      return { verdict, headers: rateLimitHeaders(verdict) }
    },
  }
}

export type RateLimiter = ReturnType<typeof createRateLimiter>

/** RateLimit-Limit / -Remaining / -Reset (IETF draft names), plus Retry-After when refused. */
export function rateLimitHeaders(v: Verdict): Headers {
  const h = new Headers({
    'ratelimit-limit': String(v.limit),
    'ratelimit-remaining': String(v.remaining),
    'ratelimit-reset': String(v.resetSeconds),
  })
  if (!v.allowed) h.set('retry-after', String(v.retryAfterSeconds))
  return h
}

/** The 429 answer, in the API's error shape. */
export function tooManyRequests(v: Verdict, headers: Headers): Response {
  headers.set('content-type', 'application/json')
  headers.set('cache-control', 'no-store')
  return new Response(
    JSON.stringify(
      errorBody(
        'rate_limited',
        `too many requests: at most ${v.limit} a minute; retry in ${v.retryAfterSeconds} s`,
      ),
    ),
    { status: 429, headers },
  )
}
