import { describe, expect, test } from 'bun:test'
import { createTestDb } from '../helpers/databases.ts'
import { type ApiResult, linksApi, seedLinkFixtures } from './fixtures.ts'

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const { call } = linksApi(store, url)

type Link = { id: string; slug: string; programId: string; campaignId: string | null; active: boolean }

// 300 links in one statement (one created_at, ties broken by id), plus singles and other programs.
const bulk = await call('POST', '/bulk', {
  items: Array.from({ length: 300 }, (_, i) => ({
    programId: fx.programs.plain.id,
    influencerId: fx.influencers.ava.id,
    asset: `l-${i}`,
    destinationUrl: `https://glow.example/${i}`,
    ...(i % 3 === 0 ? { campaignId: fx.campaigns.summer.id } : {}),
  })),
})
if (bulk.status !== 201) throw new Error(JSON.stringify(bulk.body))
for (let i = 0; i < 25; i++)
  await call('POST', '/', {
    programId: fx.programs.viaShopify.id,
    influencerId: fx.influencers.ava.id,
    asset: `s-${i}`,
    destinationUrl: `https://glow.example/s/${i}`,
  })
const deactivated = (bulk.body.data as Link[]).slice(0, 40)
for (const l of deactivated) await call('POST', `/${l.id}/deactivate`)
const TOTAL = 325

async function walk(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const sep = query ? '&' : ''
    const r: ApiResult = await call(
      'GET',
      `/?${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    )
    expect(r.status).toBe(200)
    expect(r.body.data.length).toBeLessThanOrEqual(limit)
    ids.push(...r.body.data.map((l: Link) => l.id))
    cursor = r.body.nextCursor
    pages++
  } while (cursor && pages < 1000)
  return { ids, pages }
}

describe('GET /api/v1/links', () => {
  test.each([1, 7, 50, 200])('limit %p walks every link once, newest first', async (limit) => {
    const { ids, pages } = await walk('', limit)
    expect(ids).toHaveLength(TOTAL)
    expect(new Set(ids).size).toBe(TOTAL)
    expect(pages).toBe(Math.ceil(TOTAL / limit))
    const db = await store.query<{ id: string }>(
      'select id from tracking_links order by created_at desc, id desc',
    )
    expect(ids).toEqual(db.map((r) => r.id))
  })

  test('default page size is 50; the last page has no cursor', async () => {
    const r = await call('GET', '/')
    expect(r.body.data).toHaveLength(50)
    expect(typeof r.body.nextCursor).toBe('string')
    const single = await call('GET', `/?programId=${fx.programs.viaShopify.id}&limit=25`)
    expect(single.body.data).toHaveLength(25)
    expect(single.body.nextCursor).toBeNull()
  })

  test.each([
    ['programId', () => `programId=${fx.programs.viaShopify.id}`, 25],
    ['campaignId', () => `campaignId=${fx.campaigns.summer.id}`, 100],
    ['influencerId', () => `influencerId=${fx.influencers.ava.id}`, TOTAL],
    ['other influencer', () => `influencerId=${fx.influencers.ben.id}`, 0],
    ['active=false', () => 'active=false', 40],
    ['active=true', () => 'active=true', TOTAL - 40],
    [
      'combined',
      () => `programId=${fx.programs.plain.id}&active=true&campaignId=${fx.campaigns.summer.id}`,
      86,
    ],
  ])('filter %s', async (_name, query, expected) => {
    const { ids } = await walk(query(), 30)
    expect(ids).toHaveLength(expected)
    expect(new Set(ids).size).toBe(expected)
  })

  test('filtered pages hold only matching links', async () => {
    const r = await call('GET', `/?active=false&limit=200`)
    expect(r.body.data.every((l: Link) => !l.active)).toBe(true)
  })

  test.each([
    ['limit=0', 'invalid_request'],
    ['limit=201', 'invalid_request'],
    ['limit=abc', 'invalid_request'],
    ['programId=nope', 'invalid_request'],
    ['active=maybe', 'invalid_request'],
    ['cursor=garbage', 'invalid_cursor'],
    [`cursor=${Buffer.from('["x","y"]').toString('base64url')}`, 'invalid_cursor'],
    [
      `cursor=${Buffer.from('["2024-13-45T99:00:00.000000Z","00000000-0000-7000-8000-000000000000"]').toString('base64url')}`,
      'invalid_request',
    ],
  ])('%s → 400 %s', async (query, code) => {
    const r = await call('GET', `/?${query}`)
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe(code)
  })
})
