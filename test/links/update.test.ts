import { describe, expect, test } from 'bun:test'
import { createTestDb } from '../helpers/databases.ts'
import { linksApi, seedLinkFixtures } from './fixtures.ts'

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const { call } = linksApi(store, url)

let n = 0
async function newLink(over: Record<string, unknown> = {}) {
  const r = await call('POST', '/', {
    programId: fx.programs.plain.id,
    influencerId: fx.influencers.ava.id,
    asset: `u-${++n}`,
    destinationUrl: 'https://glow.example/p?x=1',
    ...over,
  })
  if (r.status !== 201) throw new Error(JSON.stringify(r.body))
  return r.body as { id: string; slug: string; asset: string; updatedAt: string }
}

/** Microsecond timestamps straight from Postgres: the API's ISO strings keep only milliseconds. */
const stamps = async (id: string) =>
  (
    await store.query<{ updated: string; created: string; deactivated: string | null; active: boolean }>(
      `select updated_at::text as updated, created_at::text as created, deactivated_at::text as deactivated, active
         from tracking_links where id = $1`,
      [id],
    )
  )[0]!

describe('GET /api/v1/links/:id', () => {
  test('found', async () => {
    const link = await newLink()
    const r = await call('GET', `/${link.id}`)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ id: link.id, slug: link.slug })
    expect((await call('GET', `/${link.id.toUpperCase()}`)).body.id).toBe(link.id)
  })

  test.each([
    '00000000-0000-7000-8000-000000000000',
    'not-a-uuid',
    '1',
    "'; drop table tracking_links; --",
    'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
    '%00',
    'x'.repeat(500),
  ])('%p → 404 link_not_found', async (id) => {
    const r = await call('GET', `/${encodeURIComponent(id)}`)
    expect(r.status).toBe(404)
    expect(r.body.error.code).toBe('link_not_found')
  })
})

describe('PATCH /api/v1/links/:id', () => {
  test('destination, utm, networkParams, expiry and asset; updated_at bumps', async () => {
    const link = await newLink()
    const before = await stamps(link.id)
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString()
    const r = await call('PATCH', `/${link.id}`, {
      destinationUrl: 'https://glow.example/new?y=2#top',
      utm: { utm_campaign: 'spring' },
      networkParams: { ref: 'abc' },
      expiresAt,
      asset: `u-renamed-${n}`,
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      destinationUrl: 'https://glow.example/new?y=2#top',
      utm: { utm_campaign: 'spring' },
      networkParams: { ref: 'abc' },
      expiresAt,
      asset: `u-renamed-${n}`,
      previewUrl: 'https://glow.example/new?y=2&ref=abc&sub_id=ava-a&utm_campaign=spring#top',
    })
    const after = await stamps(link.id)
    expect(after.updated > before.updated).toBe(true)
    expect(after.created).toBe(before.created)
  })

  test('null clears expiry, utm, networkParams and asset', async () => {
    const link = await newLink({
      expiresAt: '2999-01-01T00:00:00Z',
      utm: { utm_source: 'ig' },
      networkParams: { ref: 'x' },
    })
    const r = await call('PATCH', `/${link.id}`, {
      expiresAt: null,
      utm: null,
      networkParams: null,
      asset: null,
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ expiresAt: null, utm: null, networkParams: null, asset: null })
  })

  test.each([
    [{ destinationUrl: 'javascript:alert(1)' }, 400, 'invalid_destination'],
    [{ destinationUrl: 'https://x.com/%0d%0aLocation:evil' }, 400, 'invalid_destination'],
    [{ utm: { utm_source: '' } }, 400, 'invalid_utm'],
    [{ utm: 7 }, 400, 'invalid_utm'],
    [{ networkParams: { 'bad key': 'v' } }, 400, 'invalid_network_params'],
    [{ networkParams: { sub_id: 'v' } }, 400, 'invalid_network_params'],
    [{ expiresAt: '2000-01-01T00:00:00Z' }, 400, 'invalid_expires_at'],
    [{ asset: 'Has Space' }, 400, 'invalid_asset'],
    [{}, 400, 'empty_update'],
    [{ unknownField: 1 }, 400, 'empty_update'],
    [{ destinationUrl: null }, 400, 'invalid_request'],
  ])('%j → %p %s', async (patch, status, code) => {
    const link = await newLink()
    const before = await stamps(link.id)
    const r = await call('PATCH', `/${link.id}`, patch)
    expect(r.status).toBe(status)
    expect(r.body.error.code).toBe(code)
    expect(await stamps(link.id)).toEqual(before)
  })

  test('amazon: clearing networkParams loses the required tag → 400', async () => {
    const link = await newLink({ programId: fx.programs.viaAmazon.id, networkParams: { tag: 'glow-20' } })
    const r = await call('PATCH', `/${link.id}`, { networkParams: null })
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('missing_network_param')
    expect((await call('PATCH', `/${link.id}`, { expiresAt: null })).status).toBe(200)
  })

  test('renaming the asset onto a taken route → 409 route_taken', async () => {
    const a = await newLink()
    const b = await newLink()
    const r = await call('PATCH', `/${b.id}`, { asset: a.asset })
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('route_taken')
  })

  test('unknown and malformed ids → 404', async () => {
    for (const id of ['00000000-0000-7000-8000-000000000000', 'nope']) {
      const r = await call('PATCH', `/${id}`, { expiresAt: null })
      expect(r.status).toBe(404)
      expect(r.body.error.code).toBe('link_not_found')
    }
  })
})

describe('deactivate / activate / delete', () => {
  test('deactivate is soft and idempotent', async () => {
    const link = await newLink()
    const r1 = await call('POST', `/${link.id}/deactivate`)
    expect(r1.status).toBe(200)
    expect(r1.body.active).toBe(false)
    expect(r1.body.deactivatedAt).toEqual(expect.any(String))
    const first = await stamps(link.id)
    const r2 = await call('POST', `/${link.id}/deactivate`)
    expect(r2.status).toBe(200)
    expect(await stamps(link.id)).toEqual(first)
    const del = await call('DELETE', `/${link.id}`)
    expect(del.status).toBe(200)
    expect(await stamps(link.id)).toEqual(first)
  })

  test('DELETE deactivates and keeps the row', async () => {
    const link = await newLink()
    const before = await stamps(link.id)
    const r = await call('DELETE', `/${link.id}`)
    expect(r.status).toBe(200)
    expect(r.body.active).toBe(false)
    const after = await stamps(link.id)
    expect(after.active).toBe(false)
    expect(after.deactivated).not.toBeNull()
    expect(after.updated > before.updated).toBe(true)
  })

  test('activate clears deactivated_at; repeating it changes nothing', async () => {
    const link = await newLink()
    await call('POST', `/${link.id}/deactivate`)
    const r = await call('POST', `/${link.id}/activate`)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ active: true, deactivatedAt: null })
    const once = await stamps(link.id)
    await call('POST', `/${link.id}/activate`)
    expect(await stamps(link.id)).toEqual(once)
  })

  test.each(['deactivate', 'activate'])('%s of an unknown or malformed id → 404', async (action) => {
    for (const id of ['00000000-0000-7000-8000-000000000000', 'nope'])
      expect((await call('POST', `/${id}/${action}`)).status).toBe(404)
    expect((await call('DELETE', '/nope')).status).toBe(404)
  })
})
