import { describe, expect, test } from 'bun:test'
import { createTestDb } from '../helpers/databases.ts'
import { linksApi, seedLinkFixtures } from './fixtures.ts'

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const { call } = linksApi(store, url, { PUBLIC_BASE_URL: 'https://go.example' })

const P = fx.programs
const I = fx.influencers
const base = () => ({
  programId: P.plain.id,
  influencerId: I.ava.id,
  destinationUrl: 'https://glow.example/p/serum?color=red',
})
let assetSeq = 0
// Each link needs its own creator/campaign/asset route.
const fresh = (over: Record<string, unknown> = {}) => ({ ...base(), asset: `a${++assetSeq}`, ...over })

const countLinks = async () =>
  Number((await store.query<{ n: string }>('select count(*)::text as n from tracking_links'))[0]!.n)

describe('POST /api/v1/links', () => {
  test('random slug: 201 with shortUrl and previewUrl', async () => {
    const r = await call('POST', '/', fresh({ utm: { utm_source: 'ig', utm_medium: 'social' } }))
    expect(r.status).toBe(201)
    expect(r.body.slug).toMatch(/^[23456789bcdfghjkmnpqrstvwxz]{7}$/)
    expect(r.body.shortUrl).toBe(`https://go.example/l/${r.body.slug}`)
    expect(r.body.previewUrl).toBe(
      'https://glow.example/p/serum?color=red&sub_id=ava-a&utm_source=ig&utm_medium=social',
    )
    expect(r.body).toMatchObject({
      programId: P.plain.id,
      influencerId: I.ava.id,
      campaignId: null,
      productId: null,
      active: true,
      expiresAt: null,
      deactivatedAt: null,
      networkParams: null,
      utm: { utm_source: 'ig', utm_medium: 'social' },
    })
    const stored = await store.query<{ slug: string }>('select slug from tracking_links where id = $1', [
      r.body.id,
    ])
    expect(stored[0]?.slug).toBe(r.body.slug)
  })

  test('custom slug, campaign, product, expiry: all stored', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
    const r = await call('POST', '/', {
      ...base(),
      slug: 'ava-summer-serum',
      campaignId: fx.campaigns.summer.id,
      productId: fx.products.serum.id,
      asset: 'ig-story',
      expiresAt,
    })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({
      slug: 'ava-summer-serum',
      campaignId: fx.campaigns.summer.id,
      productId: fx.products.serum.id,
      asset: 'ig-story',
      expiresAt,
    })
  })

  test('upper-case UUIDs are accepted and stored lower-case', async () => {
    const r = await call('POST', '/', fresh({ programId: P.plain.id.toUpperCase() }))
    expect(r.status).toBe(201)
    expect(r.body.programId).toBe(P.plain.id)
  })

  test.each([
    ['impact', () => P.viaImpact.id, {}, 'https://glow.example/p/serum?color=red&subId2=ava-a'],
    [
      'amazon',
      () => P.viaAmazon.id,
      { networkParams: { tag: 'glow-20' } },
      'https://glow.example/p/serum?color=red&tag=glow-20',
    ],
    ['shopify', () => P.viaShopify.id, {}, 'https://glow.example/p/serum?color=red&rsub=ava-a'],
  ])('previewUrl follows the program network: %s', async (_name, program, extra, preview) => {
    const r = await call('POST', '/', fresh({ programId: program(), ...extra }))
    expect(r.status).toBe(201)
    expect(r.body.previewUrl).toBe(preview)
  })

  test('the destination is stored in its serialised form', async () => {
    const r = await call('POST', '/', fresh({ destinationUrl: 'HTTPS://Glow.Example/search?q=red dress' }))
    expect(r.status).toBe(201)
    expect(r.body.destinationUrl).toBe('https://glow.example/search?q=red%20dress')
  })
})

describe('validation errors: exact codes, nothing written', () => {
  const cases: [string, Record<string, unknown>, number, string][] = [
    ['slug upper-case', { slug: 'Glow-Serum' }, 400, 'invalid_slug'],
    ['slug reserved', { slug: 'swagger' }, 400, 'invalid_slug'],
    ['slug too short', { slug: 'ab' }, 400, 'invalid_slug'],
    ['slug charset', { slug: 'glow serum' }, 400, 'invalid_slug'],
    ['slug double dash', { slug: 'glow--serum' }, 400, 'invalid_slug'],
    ['destination scheme', { destinationUrl: 'javascript:alert(1)' }, 400, 'invalid_destination'],
    ['utm unknown key', { utm: { source: 'ig' } }, 400, 'invalid_utm'],
    ['utm empty value', { utm: { utm_source: '' } }, 400, 'invalid_utm'],
    ['utm control char', { utm: { utm_source: 'a\nb' } }, 400, 'invalid_utm'],
    ['networkParams bad key', { networkParams: { 'a b': 'x' } }, 400, 'invalid_network_params'],
    ['networkParams utm key', { networkParams: { utm_source: 'x' } }, 400, 'invalid_network_params'],
    ['networkParams sets our sub id', { networkParams: { sub_id: 'x' } }, 400, 'invalid_network_params'],
    ['networkParams sets our click id', { networkParams: { sk_cid: 'x' } }, 400, 'invalid_network_params'],
    ['asset upper-case', { asset: 'IG' }, 400, 'invalid_asset'],
    ['asset with slash', { asset: 'ig/story' }, 400, 'invalid_asset'],
    ['expiresAt in the past', { expiresAt: '2020-01-01T00:00:00Z' }, 400, 'invalid_expires_at'],
    ['expiresAt without zone', { expiresAt: '2099-01-01T00:00:00' }, 400, 'invalid_expires_at'],
    ['expiresAt garbage', { expiresAt: 'tomorrow' }, 400, 'invalid_expires_at'],
    ['programId not a uuid', { programId: 'nope' }, 400, 'invalid_request'],
    ['destination missing', { destinationUrl: undefined }, 400, 'invalid_request'],
    ['utm a string', { utm: 'utm_source=ig' }, 400, 'invalid_utm'],
    ['utm a number', { utm: 5 }, 400, 'invalid_utm'],
    ['utm an array', { utm: ['utm_source'] }, 400, 'invalid_utm'],
    ['utm nested', { utm: { utm_source: { a: 1 } } }, 400, 'invalid_utm'],
    ['networkParams a string', { networkParams: 'tag=x' }, 400, 'invalid_network_params'],
    [
      'networkParams too many',
      { networkParams: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) },
      400,
      'invalid_network_params',
    ],
    ['slug not a string', { slug: 42 }, 400, 'invalid_request'],
    ['asset not a string', { asset: 42 }, 400, 'invalid_request'],
  ]
  test.each(cases.map(([n, o, s, c]) => [`${n} → ${s} ${c}`, o, s, c] as const))(
    '%s',
    async (_name, over, status, code) => {
      const before = await countLinks()
      const r = await call('POST', '/', fresh(over))
      expect(r.status).toBe(status)
      expect(r.body.error.code).toBe(code)
      expect(r.body.error.message.length).toBeGreaterThan(5)
      expect(await countLinks()).toBe(before)
    },
  )

  test('the slug reason is machine-readable', async () => {
    const r = await call('POST', '/', fresh({ slug: 'api' }))
    expect(r.body.error.details).toEqual({ field: 'slug', reason: 'reserved' })
    expect(r.body.error.message).toContain('reserved')
  })

  test('a malformed JSON body is a 400', async () => {
    const r = await call('POST', '/', undefined, { raw: '{"programId":' })
    expect(r.status).toBe(400)
  })
})

describe('referenced rows: 422', () => {
  const unknown = '00000000-0000-7000-8000-000000000000'
  const refs: [string, () => Record<string, string>, string][] = [
    ['unknown program', () => ({ programId: unknown }), 'unknown_program'],
    ['inactive program', () => ({ programId: P.inactive.id }), 'program_inactive'],
    ['unknown influencer', () => ({ influencerId: unknown }), 'unknown_influencer'],
    ['disabled influencer', () => ({ influencerId: I.dan.id }), 'influencer_disabled'],
    ['pending membership', () => ({ influencerId: I.ben.id }), 'influencer_not_in_program'],
    ['no membership', () => ({ influencerId: I.cat.id }), 'influencer_not_in_program'],
    ['unknown campaign', () => ({ campaignId: unknown }), 'campaign_not_in_program'],
    ["another program's campaign", () => ({ campaignId: fx.campaigns.winter.id }), 'campaign_not_in_program'],
    ['unknown product', () => ({ productId: unknown }), 'unknown_product'],
    ["another merchant's product", () => ({ productId: fx.products.alien.id }), 'product_not_in_program'],
  ]
  test.each(refs.map(([n, o, c]) => [`${n} → 422 ${c}`, o, c] as const))('%s', async (_name, over, code) => {
    const before = await countLinks()
    const r = await call('POST', '/', fresh(over()))
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe(code)
    expect(await countLinks()).toBe(before)
  })

  test('amazon without a tag → 400 missing_network_param', async () => {
    const r = await call('POST', '/', fresh({ programId: P.viaAmazon.id }))
    expect(r.status).toBe(400)
    expect(r.body.error).toMatchObject({
      code: 'missing_network_param',
      details: { field: 'networkParams.tag' },
    })
  })

  test('impact: subId1 is ours, so networkParams may not set it', async () => {
    const r = await call('POST', '/', fresh({ programId: P.viaImpact.id, networkParams: { subId1: 'x' } }))
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('invalid_network_params')
  })
})

describe('conflicts: 409', () => {
  test('a taken custom slug', async () => {
    expect((await call('POST', '/', fresh({ slug: 'taken-slug' }))).status).toBe(201)
    const r = await call('POST', '/', fresh({ slug: 'taken-slug' }))
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('slug_taken')
  })

  test('the same influencer/campaign/asset route, with nulls counting as equal', async () => {
    const route = { campaignId: fx.campaigns.summer.id, asset: 'yt-desc' }
    expect((await call('POST', '/', { ...base(), ...route })).status).toBe(201)
    const again = await call('POST', '/', { ...base(), ...route })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('route_taken')

    expect((await call('POST', '/', { ...base(), programId: P.foreign.id })).status).toBe(201)
    const bare = await call('POST', '/', { ...base(), programId: P.foreign.id })
    expect(bare.status).toBe(409)
    expect(bare.body.error.code).toBe('route_taken')
  })

  test('racing creates of one slug: one 201, the rest 409, never 500', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => call('POST', '/', fresh({ slug: 'race-slug' }))),
    )
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409])
    expect(new Set(results.filter((r) => r.status === 409).map((r) => r.body.error.code))).toEqual(
      new Set(['slug_taken']),
    )
  })

  test('racing creates of one route: the constraint answers 409 route_taken, never 500', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => call('POST', '/', { ...base(), asset: 'race-route' })),
    )
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409])
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe('route_taken')
  })
})
