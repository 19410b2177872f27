import { describe, expect, test } from 'bun:test'
import { testAdminKey } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { issueKey } from '../helpers/keys.ts'
import { linksApi, seedLinkFixtures } from './fixtures.ts'

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const { app, call } = linksApi(store, url)

const validBody = () => ({
  programId: fx.programs.plain.id,
  influencerId: fx.influencers.ava.id,
  destinationUrl: 'https://glow.example/',
})

describe('API key', () => {
  test.each([
    ['no header', null, 'missing'],
    ['empty bearer', 'Bearer ', 'missing'],
    ['wrong scheme', `Basic ${testAdminKey}`, 'missing'],
    ['wrong key', 'Bearer wrong-key-wrong-key-wrong-key', 'invalid API key'],
    ['key prefix', `Bearer ${testAdminKey.slice(0, -1)}`, 'invalid API key'],
    ['key plus suffix', `Bearer ${testAdminKey}x`, 'invalid API key'],
    ['two tokens', `Bearer ${testAdminKey} ${testAdminKey}`, 'missing'],
  ])('%s → 401 unauthorized', async (_name, auth, message) => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/00000000-0000-7000-8000-000000000000'],
      ['POST', '/'],
      ['POST', '/bulk'],
      ['PATCH', '/00000000-0000-7000-8000-000000000000'],
      ['DELETE', '/00000000-0000-7000-8000-000000000000'],
    ] as const) {
      const r = await call(method, path, method === 'GET' ? undefined : validBody(), { auth })
      expect(r.status).toBe(401)
      expect(r.body.error.code).toBe('unauthorized')
      expect(r.body.error.message).toContain(message)
      expect(r.headers.get('www-authenticate')).toBe('Bearer')
    }
    expect(
      Number((await store.query<{ n: string }>('select count(*)::text as n from tracking_links'))[0]!.n),
    ).toBe(0)
  })

  test('the scheme is case-insensitive', async () => {
    expect((await call('GET', '/', undefined, { auth: `bearer ${testAdminKey}` })).status).toBe(200)
  })

  test('authentication runs before validation: an anonymous bad body learns nothing', async () => {
    const r = await call('POST', '/', { nonsense: true }, { auth: null })
    expect(r.status).toBe(401)
  })

  test('the guard covers only /api/v1/links, not ops or redirect routes', async () => {
    expect((await app.handle(new Request('http://localhost/healthz'))).status).toBe(200)
    const res = await app.handle(new Request('http://localhost/l/no-such-slug'))
    expect(res.status).not.toBe(401)
  })

  test('ADMIN_API_KEY unset → the admin key is refused (401), scoped API keys still work', async () => {
    const disabled = linksApi(store, url, { ADMIN_API_KEY: '' })
    for (const auth of [null, `Bearer ${testAdminKey}`]) {
      const r = await disabled.call('GET', '/', undefined, { auth })
      expect(r.status).toBe(401)
      expect(r.body.error.code).toBe('unauthorized')
    }
    const { key } = await issueKey(app, { merchantId: fx.merchants.glow.id })
    expect((await disabled.call('GET', '/', undefined, { auth: `Bearer ${key}` })).status).toBe(200)
  })
})
