import { afterAll, expect, test } from 'bun:test'
import { Writable } from 'node:stream'
import { createRuntime } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { Lifecycle } from '../../src/lifecycle.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { testAdminKey, testSecretsEnv } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { issueKey } from '../helpers/keys.ts'
import { seedLinks } from '../helpers/links.ts'
import { caller, loginAs, userWithPassword } from '../auth/helpers.ts'
import { nowSeconds, postSigned, sale } from './helpers.ts'

// Everything the runtime logs at debug (its pino logger into a buffer, and the console too) while credentials of
// every kind go through it; none of them may appear.
const lines: string[] = []
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(String(chunk))
    done()
  },
})
const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const
const originals = consoleMethods.map((m) => console[m])
for (const m of consoleMethods)
  console[m] = (...args: unknown[]) => void lines.push(args.map(String).join(' '))
afterAll(() => consoleMethods.forEach((m, i) => (console[m] = originals[i]!)))

const { store, url } = await createTestDb()
await seedLinks(store)
const [merchant] = await store.query<{ id: string }>(`select id from merchants where slug = 'glow-labs'`)
const config = loadConfig({ ...testSecretsEnv, DATABASE_URL: url, LOG_LEVEL: 'debug' })
const rt = createRuntime({ config, store, log: createLogger('debug', sink) })
const lifecycle = new Lifecycle(createLogger('debug', sink))
await lifecycle.start(rt.workers)
afterAll(() => lifecycle.stop())
const call = caller(rt.app)

test('no password, API key, refresh token, JWT or device secret reaches the logs', async () => {
  const secrets: string[] = [testAdminKey]
  const password = 'logs must never see me'
  const { email } = await userWithPassword(rt.app, { merchantId: merchant!.id }, password)
  secrets.push(password)
  await call('POST', '/api/v1/auth/login', { body: { email, password: 'a wrong password 123' } })
  secrets.push('a wrong password 123')
  const t = await loginAs(rt.app, email, password)
  const r = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refreshToken } })
  await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refreshToken } }) // reuse: ends it
  secrets.push(t.accessToken, t.refreshToken, r.body.accessToken, r.body.refreshToken)

  const key = await issueKey(rt.app, { merchantId: merchant!.id })
  secrets.push(key.key)
  const made = await call('POST', '/api/v1/devices', { auth: key.key, body: { name: 'logged-device' } })
  const rotated = await call('POST', `/api/v1/devices/${made.body.id}/rotate`, { auth: key.key })
  secrets.push(made.body.secret, rotated.body.secret)
  const device = { device: made.body.id, merchantSlug: 'glow-labs' }
  expect(
    (await postSigned(rt.app, { ...device, secrets: [rotated.body.secret], id: 'l1', body: sale('l1') }))
      .status,
  ).toBe(200)
  expect(
    (await postSigned(rt.app, { ...device, secrets: [made.body.secret], id: 'l2', body: sale('l2') })).status,
  ).toBe(200)
  const wrong = `whsec_${Buffer.alloc(32, 9).toString('base64')}`
  expect((await postSigned(rt.app, { ...device, secrets: [wrong], id: 'l3', body: sale('l3') })).status).toBe(
    401,
  )
  const stale = String(Number(nowSeconds()) - 3600)
  expect(
    (
      await postSigned(rt.app, {
        ...device,
        secrets: [rotated.body.secret],
        id: 'l4',
        body: sale('l4'),
        timestamp: stale,
      })
    ).status,
  ).toBe(401)
  await call('POST', `/api/v1/devices/${made.body.id}/revoke`, { auth: key.key })
  expect(
    (await postSigned(rt.app, { ...device, secrets: [rotated.body.secret], id: 'l5', body: sale('l5') }))
      .status,
  ).toBe(401)
  await call('DELETE', `/api/v1/api-keys/${key.keyId}`, { auth: testAdminKey })
  await call('GET', '/api/v1/devices', { auth: key.key })
  await call('GET', '/api/v1/devices', { auth: t.accessToken })

  await lifecycle.stop()
  const logs = lines.join('\n')
  // The capture works: it holds what the runtime did log (workers, refused signatures).
  expect(logs).toContain('worker started')
  expect(logs).toContain('webhook refused')
  for (const s of secrets) {
    expect(logs).not.toContain(s)
    // Also no fragment long enough to matter (the key part of a whsec_, a token's signature segment).
    expect(logs).not.toContain(s.startsWith('whsec_') ? s.slice(6, 30) : s.slice(-24))
  }
  expect(logs).not.toMatch(
    /sk_live_[A-Za-z0-9_-]{8}|skr_[0-9a-f-]{36}\.|whsec_[A-Za-z0-9+/]{8}|eyJ[\w-]{10,}\.eyJ/,
  )
})
