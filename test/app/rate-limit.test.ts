import { describe, expect, test } from 'bun:test'
import { startTestServer, testAdminKey } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { clickCount, seedLinks } from '../helpers/links.ts'

// Real listening servers: the limiter keys on the TCP peer (server.requestIP), which app.handle() has none of.
// Every request here comes from 127.0.0.1.
const { store, url } = await createTestDb()
await seedLinks(store)
const LIMITS = { RATE_LIMIT_API_PER_MINUTE: '3', RATE_LIMIT_WEBHOOKS_PER_MINUTE: '2' }
const behindProxy = await startTestServer(store, url, { ...LIMITS, TRUSTED_PROXIES: '127.0.0.1' })
const direct = await startTestServer(store, url, LIMITS)

const hit = (base: string, path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { redirect: 'manual', ...init, headers })
const limitHeaders = (r: Response) => ({
  limit: r.headers.get('ratelimit-limit'),
  remaining: r.headers.get('ratelimit-remaining'),
  reset: r.headers.get('ratelimit-reset'),
  retryAfter: r.headers.get('retry-after'),
})

describe('behind a trusted proxy (TRUSTED_PROXIES=127.0.0.1)', () => {
  test('X-Forwarded-For names the client: two clients have separate budgets', async () => {
    const a = { 'x-forwarded-for': '203.0.113.10' }
    const b = { 'x-forwarded-for': '203.0.113.20' }
    const seen: number[] = []
    // Unauthenticated calls are counted too (before authentication): key guessing is throttled.
    for (let i = 0; i < 3; i++) {
      const r = await hit(behindProxy.base, '/api/v1/links', a)
      seen.push(r.status)
      expect(limitHeaders(r)).toMatchObject({ limit: '3', remaining: String(2 - i), retryAfter: null })
    }
    const refused = await hit(behindProxy.base, '/api/v1/links', a)
    seen.push(refused.status)
    expect(seen).toEqual([401, 401, 401, 429])
    // Client B, through the same proxy, still has its whole budget.
    const other = await hit(behindProxy.base, '/api/v1/links', b)
    expect([other.status, other.headers.get('ratelimit-remaining')]).toEqual([401, '2'])
    // A forged hop in front of the real client is ignored: the right-most untrusted address is the client.
    const forged = await hit(behindProxy.base, '/api/v1/links', {
      'x-forwarded-for': '198.51.100.1, 203.0.113.10',
    })
    expect(forged.status).toBe(429)
  })

  test('an authorized call carries the headers on its 200', async () => {
    const r = await hit(behindProxy.base, '/api/v1/links?limit=1', {
      'x-forwarded-for': '203.0.113.30',
      authorization: `Bearer ${testAdminKey}`,
    })
    expect(r.status).toBe(200)
    expect(limitHeaders(r)).toMatchObject({ limit: '3', remaining: '2' })
  })
})

describe('with no trusted proxy configured', () => {
  test('rotating X-Forwarded-For does not buy a fresh budget: 429 with Retry-After and RateLimit headers', async () => {
    const statuses: number[] = []
    let last: Response | undefined
    for (let i = 0; i < 5; i++) {
      last = await hit(direct.base, '/api/v1/links', { 'x-forwarded-for': `192.0.2.${i + 1}` })
      statuses.push(last.status)
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429])
    if (!last) throw new Error('no response')
    const h = limitHeaders(last)
    expect(h).toMatchObject({ limit: '3', remaining: '0' })
    expect(Number(h.retryAfter)).toBeGreaterThan(0)
    expect(Number(h.retryAfter)).toBeLessThanOrEqual(120)
    expect(Number(h.reset)).toBeGreaterThan(0)
    expect(last.headers.get('content-type')).toContain('application/json')
    expect(await last.json()).toMatchObject({
      error: { code: 'rate_limited', message: expect.stringContaining('at most 3 a minute') },
    })
  })

  test('webhooks have their own budget per address', async () => {
    const post = () =>
      hit(
        direct.base,
        '/webhooks/shopify/glow-labs',
        { 'x-forwarded-for': '192.0.2.99' },
        { method: 'POST', body: '{}' },
      )
    const statuses = [(await post()).status, (await post()).status, (await post()).status]
    expect(statuses).toEqual([401, 401, 429])
  })

  test('the redirect, ops, docs and the dashboard are never limited', async () => {
    for (const path of ['/l/glow-serum', '/healthz', '/swagger', '/dashboard']) {
      const statuses = new Set<number>()
      // 40 redirects in well under 10 s from one address: past the redirect's own flood mark (30 in 10 s).
      const times = path === '/l/glow-serum' ? 40 : 12
      for (let i = 0; i < times; i++) {
        const r = await hit(direct.base, path, {
          'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
        })
        await r.arrayBuffer()
        statuses.add(r.status)
        expect(r.headers.get('ratelimit-limit')).toBeNull()
      }
      expect([path, [...statuses]]).toEqual([path, [path === '/l/glow-serum' ? 302 : 200]])
    }
    // Every redirect was recorded; the flood lowered the later clicks' standing (bot score) instead of refusing them.
    while (direct.rt.redirect.buffer.size > 0) await direct.rt.redirect.flusher.flushNow()
    await direct.rt.redirect.flusher.flushNow()
    expect(await clickCount(store)).toBe(40)
    expect(await clickCount(store, 'bot_score >= 40')).toBe(10)
  })
})

describe('body limits', () => {
  test.each([
    ['/api/v1/links', 1024 * 1024],
    ['/webhooks/shopify/glow-labs', 1024 * 1024],
    ['/api/v1/events/conversion', 1024 * 1024],
    ['/postback/glow-labs', 1024 * 1024],
  ])('POST %s over %p bytes is a 413 before anything reads it', async (path, limit) => {
    // A client of its own (through the proxy), so the budgets used above do not interfere.
    const r = await hit(
      behindProxy.base,
      path,
      { 'x-forwarded-for': `198.18.0.${path.length}`, 'content-type': 'application/json' },
      { method: 'POST', body: 'x'.repeat(limit + 1) },
    )
    expect(r.status).toBe(413)
    expect(await r.json()).toEqual({
      error: { code: 'body_too_large', message: `request body exceeds ${limit} bytes` },
    })
  })
})
