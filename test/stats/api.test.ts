import { describe, expect, test } from 'bun:test'
import { testRuntime } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { issueKey } from '../helpers/keys.ts'
import { seedLinks } from '../helpers/links.ts'
import { stats } from './helpers.ts'

const { store, url } = await createTestDb()
const demo = await seedLinks(store)
const { app } = testRuntime(store, url)

const one = async <T>(text: string, params: unknown[] = []) => (await store.query<T>(text, params))[0] as T
// ben: a second influencer in the demo program; cat: an influencer of another merchant's program.
const ben = await one<{ id: string }>(
  `insert into influencers (org_id, handle, display_name, currency)
   select org_id, 'ben', 'Ben', 'USD' from influencers where id = $1 returning id`,
  [demo.influencerId],
)
await store.query(`insert into program_memberships (program_id, influencer_id) values ($1, $2)`, [
  demo.programId,
  ben.id,
])
const link = (slug: string, programId: string, influencerId: string) =>
  one<{ id: string }>(
    `insert into tracking_links (slug, program_id, influencer_id, asset, destination_url)
     values ($1, $2, $3, $1, 'https://shop.example/') returning id`,
    [slug, programId, influencerId],
  )
const benLink = await link('ben-link', demo.programId, ben.id)
const rival = await one<{ merchant: string; program: string; influencer: string }>(
  `with m as (insert into merchants (org_id, name, slug, default_currency)
              select org_id, 'Rival', 'rival', 'USD' from influencers where id = $1 returning id, org_id),
        p as (insert into programs (merchant_id, name, slug, currency, commission_type, commission_rate)
              select id, 'Rival', 'rival', 'USD', 'percent', 0.1 from m returning id),
        i as (insert into influencers (org_id, handle, display_name, currency)
              select org_id, 'cat', 'Cat', 'USD' from m returning id)
   select m.id as merchant, p.id as program, i.id as influencer from m, p, i`,
  [demo.influencerId],
)
const catLink = await link('cat-link', rival.program, rival.influencer)
const avaLink = await one<{ id: string }>(`select id from tracking_links where slug = 'glow-serum'`)

/** Stores `n` human clicks on a link at `at` from distinct visitors, through the clicks table (the trigger rolls them up). */
const clicks = (linkId: string, at: string, n = 1) =>
  store.query(
    `insert into clicks (id, clicked_at, link_id, slug, program_id, influencer_id, campaign_id, ip_hash)
     select gen_random_uuid(), $2::timestamptz, l.id, l.slug, l.program_id, l.influencer_id, l.campaign_id,
            'v' || g || '-' || $2
       from tracking_links l, generate_series(1, $3::int) g where l.id = $1`,
    [linkId, at, n],
  )

const hourAgo = new Date(Date.now() - 3_600_000).toISOString()
await clicks(avaLink.id, hourAgo, 3)
await clicks(benLink.id, hourAgo, 5)
await clicks(catLink.id, hourAgo, 7)

// America/New_York springs forward on 2026-03-08 (02:00 EST → 03:00 EDT): that local day has 23 hours.
const dst = [
  '2026-03-07T04:30:00Z', // 03-06 23:30 EST
  '2026-03-07T05:30:00Z', // 03-07 00:30 EST
  '2026-03-08T04:30:00Z', // 03-07 23:30 EST
  '2026-03-08T05:30:00Z', // 03-08 00:30 EST
  '2026-03-09T03:30:00Z', // 03-08 23:30 EDT
  '2026-03-09T04:30:00Z', // 03-09 00:30 EDT
]
for (const at of dst) await clicks(avaLink.id, at)

const series = (body: any) =>
  body.data.map((b: { bucket: string; start: string; clicks: number }) => [b.bucket, b.start, b.clicks])

describe('time series in a time zone', () => {
  test('days of America/New_York across the DST change', async () => {
    const res = await stats(
      app,
      `/timeseries?tz=America/New_York&from=2026-03-06&to=2026-03-09&linkId=${avaLink.id}`,
    )
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      interval: 'day',
      timeZone: 'America/New_York',
      from: '2026-03-06T05:00:00.000Z',
      to: '2026-03-10T04:00:00.000Z',
    })
    expect(series(res.body)).toEqual([
      ['2026-03-06', '2026-03-06T05:00:00.000Z', 1],
      ['2026-03-07', '2026-03-07T05:00:00.000Z', 2],
      ['2026-03-08', '2026-03-08T05:00:00.000Z', 2],
      ['2026-03-09', '2026-03-09T04:00:00.000Z', 1],
    ])
    // Whole UTC days read only the daily rollups (no hourly edges), in every tier.
    for (const scope of [
      `linkId=${avaLink.id}`,
      `influencerId=${demo.influencerId}`,
      `campaignId=${demo.campaignId}`,
    ]) {
      const days = await stats(app, `/summary?from=2026-03-06&to=2026-03-09&${scope}`)
      expect([scope, days.body.clicks]).toEqual([scope, 6])
    }
    // The same clicks by UTC day.
    const utc = await stats(app, `/timeseries?from=2026-03-06&to=2026-03-09&linkId=${avaLink.id}`)
    expect(series(utc.body).map((b: unknown[]) => b[2])).toEqual([0, 2, 2, 2])
    // Program-wide (program rollups) gives the same buckets.
    const program = await stats(
      app,
      `/timeseries?tz=America/New_York&from=2026-03-06&to=2026-03-09&programId=${demo.programId}`,
    )
    expect(series(program.body)).toEqual(series(res.body))
  })

  test('hours are labelled with the local offset; the skipped hour does not exist', async () => {
    const res = await stats(
      app,
      `/timeseries?interval=hour&tz=America/New_York&from=2026-03-08T05:00:00Z&to=2026-03-08T09:00:00Z&linkId=${avaLink.id}`,
    )
    expect(series(res.body)).toEqual([
      ['2026-03-08T00:00-05:00', '2026-03-08T05:00:00.000Z', 1],
      ['2026-03-08T01:00-05:00', '2026-03-08T06:00:00.000Z', 0],
      ['2026-03-08T03:00-04:00', '2026-03-08T07:00:00.000Z', 0],
      ['2026-03-08T04:00-04:00', '2026-03-08T08:00:00.000Z', 0],
    ])
  })

  test('zones offset by half an hour bucket the hour containing local midnight to the day it starts in', async () => {
    // 2026-03-09T03:30Z is 09:00 in Kolkata; 2026-03-08T18:30Z would be midnight, its hour 18:00Z starts on the 8th.
    await clicks(avaLink.id, '2026-03-08T18:40:00Z')
    const res = await stats(
      app,
      `/timeseries?tz=Asia/Kolkata&from=2026-03-08&to=2026-03-09&linkId=${avaLink.id}`,
    )
    // Local midnight of the 8th is 2026-03-07T18:30Z: the 8th starts with the next whole hour.
    expect(res.body.from).toBe('2026-03-07T19:00:00.000Z')
    const days = Object.fromEntries(series(res.body).map((b: unknown[]) => [b[0], b[2]]))
    // 03-08: 04:30Z, 05:30Z and the 18:40Z click (local 00:10 on the 9th); 03-09: 03:30Z and 04:30Z.
    expect(days).toEqual({ '2026-03-08': 3, '2026-03-09': 2 })
  })
})

describe('who sees what', () => {
  const sum = async (path: string, key?: string | null) => {
    const r = await stats(app, path, key)
    return { status: r.status, clicks: r.body?.clicks as number | undefined, code: r.body?.error?.code }
  }

  test('an influencer key sees only its own numbers; someone else’s ids are 404', async () => {
    const { key } = await issueKey(app, { influencerId: demo.influencerId })
    expect(await sum('/summary', key)).toMatchObject({ status: 200, clicks: 3 })
    expect(await sum(`/summary?programId=${demo.programId}`, key)).toMatchObject({ status: 200, clicks: 3 })
    expect(await sum(`/summary?influencerId=${ben.id}`, key)).toMatchObject({
      status: 404,
      code: 'not_found',
    })
    expect(await sum(`/summary?linkId=${benLink.id}`, key)).toMatchObject({ status: 404 })
    expect(await sum(`/summary?programId=${rival.program}`, key)).toMatchObject({ status: 404 })
    expect(await sum(`/summary?linkId=${catLink.id}`, key)).toMatchObject({ status: 404 })
    const top = await stats(app, '/top-links', key)
    expect(top.body.data.map((l: { slug: string }) => l.slug)).toEqual(['glow-serum'])
    const byDay = await stats(app, '/timeseries', key)
    expect(byDay.body.data.reduce((a: number, b: { clicks: number }) => a + b.clicks, 0)).toBe(3)
    const { key: benKey } = await issueKey(app, { influencerId: ben.id })
    expect(await sum('/summary', benKey)).toMatchObject({ status: 200, clicks: 5 })
    expect(await sum(`/summary?linkId=${avaLink.id}`, benKey)).toMatchObject({ status: 404 })
  })

  test('a merchant key sees its programs, not another merchant’s', async () => {
    const [glow] = await store.query<{ id: string }>(`select id from merchants where slug = 'glow-labs'`)
    const { key } = await issueKey(app, { merchantId: glow?.id ?? '' })
    expect(await sum('/summary', key)).toMatchObject({ status: 200, clicks: 8 })
    expect(await sum(`/summary?influencerId=${ben.id}`, key)).toMatchObject({ status: 200, clicks: 5 })
    expect(await sum(`/summary?programId=${rival.program}`, key)).toMatchObject({ status: 404 })
    expect(await sum(`/summary?influencerId=${rival.influencer}`, key)).toMatchObject({ status: 404 })
    expect(await sum(`/summary?linkId=${catLink.id}`, key)).toMatchObject({ status: 404 })
    const { key: rivalKey } = await issueKey(app, { merchantId: rival.merchant })
    expect(await sum('/summary', rivalKey)).toMatchObject({ status: 200, clicks: 7 })
  })

  test('the admin sees everything; unknown ids are 404; no or a bad key is 401', async () => {
    expect(await sum('/summary')).toMatchObject({ status: 200, clicks: 15 })
    expect(await sum(`/summary?campaignId=${demo.campaignId}`)).toMatchObject({ status: 200, clicks: 3 })
    expect(await sum(`/summary?linkId=${crypto.randomUUID()}`)).toMatchObject({ status: 404 })
    const none = await stats(app, '/summary', null)
    expect([none.status, none.body.error.code, none.headers.get('www-authenticate')]).toEqual([
      401,
      'unauthorized',
      'Bearer',
    ])
    expect((await stats(app, '/breakdown?dim=country', 'sk_live_nope')).status).toBe(401)
  })
})

describe('bad input', () => {
  test.each([
    ['/timeseries?tz=Mars/Olympus_Mons', 400, 'invalid_time_zone'],
    ['/timeseries?tz=EST5EDT%3B', 400, 'invalid_time_zone'],
    ['/breakdown?dim=planet', 400, 'invalid_request'],
    ['/breakdown', 400, 'invalid_request'],
    ['/summary?linkId=not-a-uuid', 400, 'invalid_request'],
    ['/summary?from=yesterday', 400, 'invalid_request'],
    ['/summary?from=2026-03-01T00:00:00', 400, 'invalid_request'],
    ['/summary?from=2026-03-09&to=2026-03-01', 422, 'invalid_range'],
    ['/timeseries?interval=hour&from=2026-01-01&to=2026-03-01', 422, 'range_too_large'],
    ['/top-links?sort=revenue', 400, 'invalid_request'],
    ['/top-links?limit=0', 400, 'invalid_request'],
  ])('%s → %d %s', async (path, status, code) => {
    const res = await stats(app, path)
    expect([res.status, res.body?.error?.code]).toEqual([status, code])
  })
})
