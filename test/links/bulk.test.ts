import { describe, expect, test } from 'bun:test'
import { createTestDb } from '../helpers/databases.ts'
import { linksApi, seedLinkFixtures } from './fixtures.ts'

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const { call } = linksApi(store, url)

let batch = 0
/** n valid items on distinct routes (asset b<batch>-<i>), optionally with custom slugs. */
const items = (n: number, opts: { slugs?: boolean } = {}) => {
  const b = ++batch
  return Array.from({ length: n }, (_, i) => ({
    programId: fx.programs.plain.id,
    influencerId: fx.influencers.ava.id,
    asset: `b${b}-${i}`,
    destinationUrl: `https://glow.example/p/${i}?batch=${b}`,
    ...(opts.slugs ? { slug: `bulk-${b}-${i}` } : {}),
  }))
}

const countLinks = async () =>
  Number((await store.query<{ n: string }>('select count(*)::text as n from tracking_links'))[0]!.n)

describe('POST /api/v1/links/bulk', () => {
  test('1,000 links in one request, returned in order with unique slugs', async () => {
    const input = items(1000)
    const r = await call('POST', '/bulk', { items: input })
    expect(r.status).toBe(201)
    expect(r.body.data).toHaveLength(1000)
    expect(r.body.data.map((l: { asset: string }) => l.asset)).toEqual(input.map((i) => i.asset))
    expect(new Set(r.body.data.map((l: { slug: string }) => l.slug)).size).toBe(1000)
    expect(await countLinks()).toBe(1000)
  })

  test('custom and random slugs mixed', async () => {
    const input = items(10, { slugs: true }).map((it, i) => (i % 2 ? it : { ...it, slug: undefined }))
    const r = await call('POST', '/bulk', { items: input })
    expect(r.status).toBe(201)
    expect(r.body.data[1].slug).toBe(input[1]!.slug)
    expect(r.body.data[0].slug).toMatch(/^[23456789bcdfghjkmnpqrstvwxz]{7}$/)
  })

  test.each([
    ['0 items', 0],
    ['1,001 items', 1001],
  ])('%s → 400 invalid_request', async (_name, n) => {
    const r = await call('POST', '/bulk', { items: items(n) })
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('invalid_request')
  })
})

describe('all or nothing: one bad item among 1,000 writes nothing', () => {
  const cases: [string, (xs: ReturnType<typeof items>) => void, number, string, number][] = [
    [
      'open-redirect destination',
      (xs) => (xs[537]!.destinationUrl = 'javascript:alert(1)'),
      400,
      'invalid_destination',
      537,
    ],
    ['reserved slug', (xs) => Object.assign(xs[3]!, { slug: 'admin' }), 400, 'invalid_slug', 3],
    [
      'expired',
      (xs) => Object.assign(xs[999]!, { expiresAt: '2001-01-01T00:00:00Z' }),
      400,
      'invalid_expires_at',
      999,
    ],
    [
      'influencer not in program',
      (xs) => (xs[500]!.influencerId = fx.influencers.cat.id),
      422,
      'influencer_not_in_program',
      500,
    ],
    [
      'campaign of another program',
      (xs) => Object.assign(xs[10]!, { campaignId: fx.campaigns.winter.id }),
      422,
      'campaign_not_in_program',
      10,
    ],
    ['duplicate route inside the batch', (xs) => (xs[900]!.asset = xs[100]!.asset), 409, 'route_taken', 900],
    [
      'duplicate custom slug inside the batch',
      (xs) => {
        Object.assign(xs[7]!, { slug: 'dup-x' })
        Object.assign(xs[8]!, { slug: 'dup-x' })
      },
      409,
      'slug_taken',
      8,
    ],
    [
      'custom slug already stored (last item)',
      (xs) => Object.assign(xs[999]!, { slug: 'already-stored' }),
      409,
      'slug_taken',
      999,
    ],
    ['route already stored', (xs) => (xs[250]!.asset = 'stored-route'), 409, 'route_taken', 250],
  ]

  test.each(cases.map(([n, m, s, c, i]) => [`${n} → ${s} ${c} at items[${i}]`, m, s, c, i] as const))(
    '%s',
    async (_name, mutate, status, code, index) => {
      const setup = await call('POST', '/', {
        programId: fx.programs.plain.id,
        influencerId: fx.influencers.ava.id,
        asset: 'stored-route',
        slug: 'already-stored',
        destinationUrl: 'https://glow.example/stored',
      })
      expect([201, 409]).toContain(setup.status)
      const before = await countLinks()
      const input = items(1000)
      mutate(input)
      const r = await call('POST', '/bulk', { items: input })
      expect(r.status).toBe(status)
      expect(r.body.error.code).toBe(code)
      expect(r.body.error.message).toStartWith(`items[${index}].`)
      expect(r.body.error.details.index).toBe(index)
      expect(await countLinks()).toBe(before)
    },
  )

  test('every bad item is listed, first one leads', async () => {
    const input = items(20)
    input[4]!.destinationUrl = '//evil.com'
    input[2]!.destinationUrl = 'https://user:pw@x.com'
    Object.assign(input[15]!, { utm: { nope: 'x' } })
    const r = await call('POST', '/bulk', { items: input })
    expect(r.status).toBe(400)
    expect(r.body.error.details).toMatchObject({ index: 2, field: 'destinationUrl', reason: 'credentials' })
    expect(r.body.error.message).toContain('(and 2 more problems)')
    expect(
      r.body.error.details.problems.map((p: { index: number; code: string }) => [p.index, p.code]),
    ).toEqual([
      [2, 'invalid_destination'],
      [4, 'invalid_destination'],
      [15, 'invalid_utm'],
    ])
  })
})
