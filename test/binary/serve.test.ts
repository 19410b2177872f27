import { describe, expect, test } from 'bun:test'
import { embeddedMigrations } from '../../src/db/migrations.gen.ts'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { testSecretsEnv } from '../helpers/app.ts'
import { isolatedBinary, run, startServe } from '../helpers/binary.ts'
import { createTestDb } from '../helpers/databases.ts'
import { FeedClient } from '../helpers/ws.ts'

const { bin, dir } = isolatedBinary()

async function expectOperable(base: string) {
  expect((await fetch(`${base}/healthz`)).status).toBe(200)
  const ready = await fetch(`${base}/readyz`)
  expect(ready.status).toBe(200)
  expect(await ready.json()).toMatchObject({ ready: true })
  const metrics = await (await fetch(`${base}/metrics`)).text()
  expect(metrics).toContain('http_request_duration_seconds')
  const ui = await fetch(`${base}/swagger`)
  expect(ui.status).toBe(200)
  expect(await ui.text()).toContain('/swagger/assets/swagger-ui-bundle.js')
  expect((await fetch(`${base}/swagger/assets/swagger-ui-bundle.js`)).status).toBe(200)
  const spec = (await (await fetch(`${base}/swagger/json`)).json()) as { paths: Record<string, unknown> }
  expect(Object.keys(spec.paths)).toContain('/readyz')
}

describe('serve on Postgres', () => {
  test('migrate, seed, serve every ops route, follow a link, exit 0 on SIGTERM', async () => {
    const { url } = await createTestDb({ migrated: false })
    const env = { ...testSecretsEnv, DATABASE_URL: url, LOG_LEVEL: 'info' }
    const first = await run(bin, ['migrate'], env, dir)
    expect(first.code).toBe(0)
    expect(first.stdout).toContain(`applied ${embeddedMigrations.length} migration(s)`)
    expect((await run(bin, ['migrate'], env, dir)).stdout).toBe('database is up to date\n')
    expect((await run(bin, ['seed'], env, dir)).code).toBe(0)

    await using server = await startServe(bin, env, dir)
    await expectOperable(server.base)
    const res = await fetch(`${server.base}/l/glow-toner`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toContain('/products/rose-toner')
    // A live-feed socket is told "going away" (1001) on SIGTERM, and the process still exits 0.
    const feed = new FeedClient(`${server.base.replace('http', 'ws')}/ws`, {
      headers: { authorization: `Bearer ${testSecretsEnv.ADMIN_API_KEY}` },
    })
    await feed.next((f) => f.type === 'ready')
    expect(await server.stop()).toBe(0)
    expect((await feed.whenClosed()).code).toBe(1001)
    expect(server.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
  }, 30_000)

  test('--no-migrate leaves pending migrations and /readyz says so', async () => {
    const { url } = await createTestDb({ migrated: false })
    await using server = await startServe(bin, { ...testSecretsEnv, DATABASE_URL: url }, dir, [
      '--no-migrate',
    ])
    const ready = await fetch(`${server.base}/readyz`)
    expect(ready.status).toBe(503)
    const body = (await ready.json()) as { checks: { migrations: { pending: string[] } } }
    expect(body.checks.migrations.pending).toContain('0000_init')
    expect(await server.stop()).toBe(0)
  })

  test('doctor passes on a healthy deployment and fails on pending migrations', async () => {
    const { url } = await createTestDb()
    const good = await run(bin, ['doctor'], { ...testSecretsEnv, DATABASE_URL: url }, dir)
    expect(good.stdout).toMatch(/PASS\s+database/)
    expect(good.stdout).toMatch(/PASS\s+redirect round trip/)
    expect(good.stdout).toMatch(/PASS\s+clock skew/)
    expect(good.code).toBe(0)
    const { url: empty } = await createTestDb({ migrated: false })
    const bad = await run(bin, ['doctor'], { ...testSecretsEnv, DATABASE_URL: empty }, dir)
    expect(bad.stdout).toMatch(/FAIL\s+migrations\s+pending: 0000_init/)
    expect(bad.code).toBe(1)
  })
})

describe('serve on the embedded database', () => {
  test('starts with no set-up, seeds the demo, redirects, exits 0 on SIGTERM, keeps data', async () => {
    await using server = await startServe(bin, {}, dir)
    await expectOperable(server.base)
    const res = await fetch(`${server.base}/l/glow-serum`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toStartWith('https://glowlabs.example/products/vitamin-c-serum')
    expect(await server.stop()).toBe(0)
    expect(existsSync(join(dir, 'data', 'pglite', 'PG_VERSION'))).toBe(true)

    await using again = await startServe(bin, {}, dir)
    expect(again.logs.some((l) => l.includes('demo data seeded'))).toBe(false)
    expect((await fetch(`${again.base}/l/glow-serum`, { redirect: 'manual' })).status).toBe(302)
    expect(await again.stop()).toBe(0)
  }, 60_000)
})
