import { createHash } from 'node:crypto'
import { describe, expect, test } from 'bun:test'
import { get, startTestServer, testAdminKey, testRuntime } from '../helpers/app.ts'
import { browserAvailable, launchBrowser } from '../helpers/browser.ts'
import { createTestDb } from '../helpers/databases.ts'
import { seedLinks } from '../helpers/links.ts'

const { store, url } = await createTestDb()
await seedLinks(store)
const APP = 'https://app.example.com'
const withCors = testRuntime(store, url, { CORS_ORIGINS: `${APP}, https://admin.example.com:8443` }).app
const withoutCors = testRuntime(store, url).app

const corsHeaders = (r: Response) =>
  Object.fromEntries([...r.headers].filter(([k]) => k.startsWith('access-control-')))

describe('CORS on /api from the CORS_ORIGINS allowlist', () => {
  test('a preflight from an allowed origin is answered', async () => {
    const r = await withCors.handle(
      get('/api/v1/links', {
        method: 'OPTIONS',
        headers: {
          origin: APP,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      }),
    )
    expect(r.status).toBe(204)
    const h = corsHeaders(r)
    expect(h['access-control-allow-origin']).toBe(APP)
    expect(h['access-control-allow-methods']).toContain('POST')
    expect(h['access-control-allow-headers']).toContain('authorization')
    expect(h['access-control-max-age']).toBe('600')
    expect(h['access-control-allow-credentials']).toBeUndefined()
  })

  test('an allowed origin gets allow-origin (and Vary: Origin) on the real call, with the rate headers exposed', async () => {
    const r = await withCors.handle(
      get('/api/v1/links?limit=1', { headers: { origin: APP, authorization: `Bearer ${testAdminKey}` } }),
    )
    expect(r.status).toBe(200)
    expect(r.headers.get('access-control-allow-origin')).toBe(APP)
    expect(r.headers.get('vary')).toContain('Origin')
    expect(r.headers.get('access-control-expose-headers')).toContain('ratelimit-remaining')
    const other = await withCors.handle(
      get('/api/v1/links?limit=1', {
        headers: { origin: 'https://admin.example.com:8443', authorization: `Bearer ${testAdminKey}` },
      }),
    )
    expect(other.headers.get('access-control-allow-origin')).toBe('https://admin.example.com:8443')
  })

  test.each([
    ['an origin not on the list', 'https://evil.example', '/api/v1/links'],
    ['a look-alike origin', 'https://app.example.com.evil.example', '/api/v1/links'],
    ['the right origin over http', 'http://app.example.com', '/api/v1/links'],
    ['an allowed origin off /api', APP, '/healthz'],
  ])('%s gets no allow-origin', async (_name, origin, path) => {
    for (const method of ['GET', 'OPTIONS']) {
      const r = await withCors.handle(
        get(path, { method, headers: { origin, 'access-control-request-method': 'GET' } }),
      )
      expect(r.headers.get('access-control-allow-origin')).toBeNull()
    }
  })

  test('without CORS_ORIGINS there are no CORS headers at all', async () => {
    const pre = await withoutCors.handle(
      get('/api/v1/links', {
        method: 'OPTIONS',
        headers: { origin: APP, 'access-control-request-method': 'GET' },
      }),
    )
    expect(corsHeaders(pre)).toEqual({})
    expect(pre.status).not.toBe(204)
    const r = await withoutCors.handle(
      get('/api/v1/links?limit=1', { headers: { origin: APP, authorization: `Bearer ${testAdminKey}` } }),
    )
    expect(r.status).toBe(200)
    expect(corsHeaders(r)).toEqual({})
  })

  test('a bad CORS_ORIGINS entry is a configuration error', () => {
    expect(() => testRuntime(store, url, { CORS_ORIGINS: 'https://app.example.com/path' })).toThrow(
      /CORS_ORIGINS/,
    )
  })
})

describe('security headers on HTML', () => {
  const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`

  test('the Swagger page: CSP allowing exactly its own inline script, no framing, nosniff', async () => {
    const r = await withoutCors.handle(get('/swagger'))
    expect(r.status).toBe(200)
    const html = await r.text()
    const csp = r.headers.get('content-security-policy') ?? ''
    const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '')
    expect(inline.length).toBeGreaterThan(0)
    for (const s of inline) expect(csp).toContain(sha(s))
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).not.toContain("'unsafe-eval'")
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/)
    expect(r.headers.get('x-content-type-options')).toBe('nosniff')
    expect(r.headers.get('x-frame-options')).toBe('DENY')
    expect(r.headers.get('referrer-policy')).toBe('no-referrer')
  })

  test.each([['/l/no-such-link'], ['/l/a']])('the redirect page for %s', async (path) => {
    const r = await withoutCors.handle(get(path, { headers: { accept: 'text/html' } }))
    expect(r.status).toBe(404)
    const html = await r.text()
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? ''
    expect(r.headers.get('content-security-policy')).toBe(
      `default-src 'none'; style-src ${sha(style)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    )
    expect(r.headers.get('x-content-type-options')).toBe('nosniff')
    expect(r.headers.get('x-frame-options')).toBe('DENY')
    expect(r.headers.get('referrer-policy')).toBe('no-referrer')
  })

  test.skipIf(!browserAvailable())(
    'Swagger UI still renders in chromium under its CSP, with no violation reported',
    async () => {
      const { base } = await startTestServer(store, url)
      const browser = await launchBrowser()
      try {
        const page = await browser.newPage()
        const problems: string[] = []
        page.on('console', (m) => {
          if (/content security policy|refused to/i.test(m.text())) problems.push(m.text())
        })
        page.on('pageerror', (e) => problems.push(e.message))
        await page.goto(`${base}/swagger`)
        await page.waitForSelector('.opblock', { timeout: 20_000 })
        expect(await page.locator('.opblock').count()).toBeGreaterThan(10)
        expect(problems).toEqual([])
      } finally {
        await browser.close()
      }
    },
    60_000,
  )
})
