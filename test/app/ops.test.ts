import { describe, expect, test } from 'bun:test'
import { seedDemo } from '../../src/db/seed-demo.ts'
import { get, testApp } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'

const { store, url } = await createTestDb()
const app = testApp(store, url)

describe('ops routes', () => {
  test('/healthz', async () => {
    const res = await app.handle(get('/healthz'))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok', version: expect.any(String) })
  })

  test('/readyz is ready on a migrated database', async () => {
    const res = await app.handle(get('/readyz'))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      ready: true,
      checks: {
        database: { ok: true },
        migrations: { ok: true },
        // The in-process test runtime runs without a WAL (test/helpers/app.ts); nothing buffered or held.
        clicks: { ok: true, postgres: true, wal: false, buffered: 0, unsaved: 0, dropped: 0 },
      },
    })
  })

  test('/metrics counts requests by route pattern and status', async () => {
    await app.handle(get('/l/no-such-link'))
    await app.handle(get('/healthz'))
    // Elysia observes after the response is sent, so the counters land a tick later.
    let res = await app.handle(get('/metrics'))
    for (let i = 0; i < 50 && !(await res.clone().text()).includes('status="404"'); i++) {
      await Bun.sleep(2)
      res = await app.handle(get('/metrics'))
    }
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/)
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/l\/:slug",status="404"\} 1/)
    expect(text).toContain('http_request_duration_seconds_bucket')
  })

  test('/swagger serves the UI from embedded assets, no CDN', async () => {
    const html = await (await app.handle(get('/swagger'))).text()
    expect(html).toContain('/swagger/assets/swagger-ui-bundle.js')
    expect(html).not.toMatch(/unpkg|jsdelivr|cdn\./)
    const js = await app.handle(get('/swagger/assets/swagger-ui-bundle.js'))
    expect(js.status).toBe(200)
    expect((await js.text()).length).toBeGreaterThan(100_000)
    const css = await app.handle(get('/swagger/assets/swagger-ui.css'))
    expect(css.headers.get('content-type')).toContain('text/css')
  })

  test('/swagger/json documents the routes from their schemas', async () => {
    const spec = (await (await app.handle(get('/swagger/json'))).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>
    }
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/metrics', '/l/{slug}']),
    )
    expect(spec.paths['/l/{slug}']?.get?.parameters?.map((p) => p.name)).toContain('slug')
    expect(Object.keys(spec.paths).some((p) => p.includes('assets'))).toBe(false)
  })

  test('unknown routes get a JSON 404 naming the route', async () => {
    const res = await app.handle(get('/nope'))
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({
      error: { code: 'route_not_found', message: 'no route for GET /nope' },
    })
  })
})

describe('demo redirect', () => {
  test('seeding is idempotent and its links redirect', async () => {
    const first = await seedDemo(store.db)
    const second = await seedDemo(store.db)
    expect(first.created).toBe(true)
    expect(second.created).toBe(false)
    const res = await app.handle(get(`/l/${first.slugs[0]}`))
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toStartWith('https://glowlabs.example/products/')
    const links = await store.query<{ n: string }>('select count(*)::text as n from tracking_links')
    expect(links[0]?.n).toBe(String(first.slugs.length))
  })

  test('a deactivated link is a 404 with a JSON reason', async () => {
    await store.query(`update tracking_links set active = false where slug = 'glow-spf'`)
    const res = await app.handle(get('/l/glow-spf'))
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error: { code: 'link_not_found' } })
  })

  test('a malformed slug is a 404 that echoes nothing back', async () => {
    const res = await app.handle(get('/l/bad%20slug%3Cscript%3E'))
    expect(res.status).toBe(404)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({
      error: { code: 'link_not_found', message: 'no active tracking link at this address' },
    })
    expect(text).not.toContain('script')
  })
})

describe('limits', () => {
  test('the server refuses bodies over 1 MiB', async () => {
    const server = app.listen({ port: 0, hostname: '127.0.0.1' }).server
    try {
      const res = await fetch(`http://127.0.0.1:${server?.port}/healthz`, {
        method: 'POST',
        body: 'x'.repeat(1024 * 1024 + 1),
      })
      expect(res.status).toBe(413)
      expect(await res.json()).toEqual({
        error: { code: 'body_too_large', message: 'request body exceeds 1048576 bytes' },
      })
    } finally {
      await app.stop(true)
    }
  })
})
