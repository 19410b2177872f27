import { afterAll, describe, expect, test } from 'bun:test'
import { openPostgres } from '../../src/db/postgres.ts'
import { startTestServer, testAdminKey } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { issueKey } from '../helpers/keys.ts'
import { seedLinkFixtures } from '../links/fixtures.ts'
import { caller, loginAs, overHttp, userWithPassword } from './helpers.ts'

// Two hosts on one database, each with its own connection pool and LISTEN connection, as two instances run.
// The principal cache holds for 30 s, so a refusal on host B well inside that proves B heard the NOTIFY.
const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const storeB = openPostgres({ url, poolSize: 3 })
const a = await startTestServer(store, url)
const b = await startTestServer(storeB, url)
afterAll(() => storeB.close())
const onA = caller(overHttp(a.base))
const onB = caller(overHttp(b.base))

/** Polls a condition (no fixed sleeps): resolves with how long it took, or fails after `withinMs`. */
async function until(what: string, check: () => Promise<boolean>, withinMs = 5_000): Promise<number> {
  const t0 = performance.now()
  while (!(await check())) {
    if (performance.now() - t0 > withinMs) throw new Error(`${what}: not within ${withinMs} ms`)
    await Bun.sleep(10)
  }
  return performance.now() - t0
}

const devicesOnB = (auth: string) => onB('GET', '/api/v1/devices', { auth }).then((r) => r.status)

describe('revocation reaches every host at once', () => {
  test('an API key revoked on host A is refused on host B, whose cache held it as valid', async () => {
    const { key, keyId } = await issueKey(a.rt.app, { merchantId: fx.merchants.glow.id })
    expect(await devicesOnB(key)).toBe(200)
    expect((await onA('DELETE', `/api/v1/api-keys/${keyId}`, { auth: testAdminKey })).status).toBe(204)
    const ms = await until('key refused on B', async () => (await devicesOnB(key)) === 401)
    expect(ms).toBeLessThan(5_000)
  })

  test('a disabled user’s keys stop working on host B (NOTIFY "*")', async () => {
    const { key, userId } = await issueKey(a.rt.app, { influencerId: fx.influencers.ava.id })
    expect(await devicesOnB(key)).toBe(403) // an influencer key: known, just not allowed here
    await store.query('update users set disabled_at = now() where id = $1', [userId])
    await until('disabled user refused on B', async () => (await devicesOnB(key)) === 401)
  })

  test('a session logged out on host A is refused on host B', async () => {
    const password = 'two hosts, one session'
    const { email } = await userWithPassword(a.rt.app, { merchantId: fx.merchants.other.id }, password)
    const t = await loginAs(a.rt.app, email, password)
    expect(await devicesOnB(t.accessToken)).toBe(200)
    expect(
      (await onA('POST', '/api/v1/auth/logout', { body: { refreshToken: t.refreshToken } })).status,
    ).toBe(204)
    await until('session refused on B', async () => (await devicesOnB(t.accessToken)) === 401)
  })

  test('without the LISTEN worker the cache would have kept the key: B stops listening, revocation is missed', async () => {
    // The control: proves the tests above depend on the notification, not on a lucky cache miss.
    const { key, keyId } = await issueKey(a.rt.app, { merchantId: fx.merchants.glow.id })
    expect(await devicesOnB(key)).toBe(200)
    await b.rt.authenticate.worker.stop()
    try {
      const hash = new Bun.CryptoHasher('sha256').update(key).digest('hex')
      const heard = Promise.withResolvers<void>()
      const unlisten = await store.listen('api_key_changed', (p) => p === hash && heard.resolve())
      expect((await onA('DELETE', `/api/v1/api-keys/${keyId}`, { auth: testAdminKey })).status).toBe(204)
      // The NOTIFY has gone out (another listener got it); B, not listening, still holds the key.
      await heard.promise
      await unlisten()
      expect((await onA('GET', '/api/v1/devices', { auth: key })).status).toBe(401)
      expect(await devicesOnB(key)).toBe(200)
    } finally {
      // Listening again starts from an empty cache (NOTIFYs missed while away are lost): refused at once.
      await b.rt.authenticate.worker.start()
    }
    expect(await devicesOnB(key)).toBe(401)
  })
})
