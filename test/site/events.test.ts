import { describe, expect, test } from 'bun:test'
import { signClickId } from '../../src/shared/click-id.ts'
import { testAdminKey } from '../helpers/app.ts'
import { CHROME_UA, shopifyOrderPaid, siteFixture, waitForRows } from '../helpers/site.ts'

const ORIGIN = 'https://shop.example'
const fx = await siteFixture({ origins: ['https://Shop.Example:443', 'http://localhost:8080'] })
const { store, base, rt } = fx
const key = fx.config.secrets.clickIdKeys[0] ?? { kid: '', secret: new Uint8Array() }

/** Follows the tracking link as a shopper would: the click id is what the redirect appends to the landing URL. */
async function click(ua = CHROME_UA, ip = '198.51.100.7'): Promise<string> {
  const res = await fetch(`${base}/l/${fx.slug}`, {
    redirect: 'manual',
    headers: { 'user-agent': ua, 'x-forwarded-for': ip },
  })
  expect(res.status).toBe(302)
  const token = new URL(res.headers.get('location') ?? '').searchParams.get('sk_cid')
  if (!token) throw new Error('no click id on the landing URL')
  const id = Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('hex')
  await waitForRows(store, `select 1 from clicks where replace(id::text, '-', '') = $1`, 1, [id])
  return token
}

let sid = 0
const session = () => `sess-${process.pid}-${++sid}-${Math.random().toString(36).slice(2, 10)}`

function send(kind: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}/v1/events/${kind}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: {
      'content-type': 'text/plain',
      origin: ORIGIN,
      'user-agent': CHROME_UA,
      'x-forwarded-for': '198.51.100.7',
      ...headers,
    },
  })
}

const flush = () => rt.site.flusher.flush()
const sessionRow = async (id: string) =>
  (await store.query<Record<string, unknown>>('select * from site_sessions where session_id = $1', [id]))[0]
const eventsOf = (id: string) =>
  store.query<Record<string, unknown>>('select * from site_events where session_id = $1 order by id', [id])

describe('/sk.js', () => {
  test('served with a version, cacheable, revalidated by ETag', async () => {
    const res = await fetch(`${base}/sk.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('javascript')
    expect(res.headers.get('cache-control')).toContain('max-age=3600')
    const body = await res.text()
    const version = rt.site.snippet.version
    expect(body).toContain(`api.v = '${version}'`)
    expect(body).toContain("param: 'sk_cid'")
    expect(body.length).toBeLessThan(8_000)
    const again = await fetch(`${base}/sk.js`, {
      headers: { 'if-none-match': res.headers.get('etag') ?? '' },
    })
    expect(again.status).toBe(304)
    const pinned = await fetch(`${base}/sk/${version}/sk.js`)
    expect(pinned.headers.get('cache-control')).toContain('immutable')
    expect(await pinned.text()).toBe(body)
    const stale = await fetch(`${base}/sk/000000000000/sk.js`, { redirect: 'manual' })
    expect(stale.status).toBe(302)
  })
})

describe('POST /v1/events/:kind', () => {
  test('a genuine click: events stored once each, the session qualifies at its second pageview', async () => {
    const token = await click()
    const s = session()
    const body = {
      merchant: 'glow-labs',
      session_id: s,
      click_id: token,
      url: `${ORIGIN}/landing?sk_cid=${token}`,
    }
    const started = await send('session', body)
    expect(started.status).toBe(202)
    expect(started.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const reply = (await started.json()) as { click_expires_at: string }
    // The demo program's window is 7 days from the click.
    const issued = Number.parseInt(
      Buffer.from(token.split('.')[0] ?? '', 'base64url')
        .toString('hex')
        .slice(0, 12),
      16,
    )
    expect(Date.parse(reply.click_expires_at)).toBe(issued + 7 * 86_400_000)
    expect((await send('pageview', body)).status).toBe(202)
    await flush()
    const first = await sessionRow(s)
    expect(first?.pageviews).toBe(1)
    expect(first?.qualified_at).toBeNull()
    expect((await send('pageview', { ...body, url: `${ORIGIN}/p/2` })).status).toBe(202)
    await flush()
    const after = await sessionRow(s)
    expect(after?.pageviews).toBe(2)
    expect(after?.qualified_at).not.toBeNull()
    expect(after?.influencer_id).toBe(fx.influencerId)
    const events = await eventsOf(s)
    expect(events.map((e) => e.kind)).toEqual(['session', 'pageview', 'pageview'])
    for (const e of events) {
      expect(e.click_status).toBe('valid')
      expect(e.not_billable).toBeNull()
      expect(e.program_id).toBe(fx.programId)
      expect(e.ip_hash).toMatch(/^[0-9a-f]{32}$/)
    }
  })

  test('time on site qualifies a session too (the bar is the program’s)', async () => {
    await store.query('update programs set site_min_seconds = 1, site_min_pageviews = 5 where id = $1', [
      fx.programId,
    ])
    try {
      const token = await click()
      const s = session()
      const body = { merchant: 'glow-labs', session_id: s, click_id: token }
      await send('session', body)
      await send('pageview', body)
      await flush()
      expect((await sessionRow(s))?.qualified_at).toBeNull()
      await Bun.sleep(1_100)
      await send('session', body)
      await flush()
      expect((await sessionRow(s))?.qualified_at).not.toBeNull()
      expect((await sessionRow(s))?.pageviews).toBe(1)
    } finally {
      await store.query('update programs set site_min_seconds = 30, site_min_pageviews = 2 where id = $1', [
        fx.programId,
      ])
    }
  })

  test('forged and expired click ids are stored but not billable, and never qualify', async () => {
    const token = await click()
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`
    const s1 = session()
    for (const kind of ['session', 'pageview', 'pageview'])
      expect((await send(kind, { merchant: 'glow-labs', session_id: s1, click_id: forged })).status).toBe(202)
    const forgedSale = await send('conversion', {
      merchant: 'glow-labs',
      session_id: s1,
      click_id: forged,
      order_id: 'forged-1',
      revenue: '10.00',
      currency: 'USD',
    })
    expect(forgedSale.status).toBe(202)
    expect(((await forgedSale.json()) as { conversion_id?: string }).conversion_id).toBeUndefined()

    // A genuine click from eight days ago: the program's window is seven.
    const at = Date.now() - 8 * 86_400_000
    const oldId = Bun.randomUUIDv7('hex', at)
    await store.query(
      `insert into clicks (id, clicked_at, link_id, slug, program_id, influencer_id, is_bot, bot_score)
       select $1, $2, id, slug, program_id, influencer_id, false, 0 from tracking_links where slug = $3`,
      [oldId, new Date(at).toISOString(), fx.slug],
    )
    const expired = signClickId(key, oldId)
    const s2 = session()
    for (const kind of ['session', 'pageview', 'pageview'])
      expect((await send(kind, { merchant: 'glow-labs', session_id: s2, click_id: expired })).status).toBe(
        202,
      )
    await flush()

    const bad = await eventsOf(s1)
    expect(bad).toHaveLength(4)
    expect(new Set(bad.map((e) => e.click_status))).toEqual(new Set(['bad_signature']))
    expect(bad.every((e) => e.not_billable === 'bad_signature' && e.click_token === forged)).toBe(true)
    expect(await store.query(`select 1 from conversions where external_order_id = 'forged-1'`)).toHaveLength(
      0,
    )
    expect((await sessionRow(s1))?.qualified_at).toBeNull()

    const old = await eventsOf(s2)
    expect(old.map((e) => e.click_status)).toEqual(['expired', 'expired', 'expired'])
    expect(old.every((e) => e.not_billable === 'expired' && e.program_id === fx.programId)).toBe(true)
    const row = await sessionRow(s2)
    expect(row?.pageviews).toBe(2)
    expect(row?.qualified_at).toBeNull()
  })

  test('a bot user agent is scored like a click and its session is not billable', async () => {
    const token = await click()
    const s = session()
    const bot = { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }
    for (const kind of ['session', 'pageview', 'pageview'])
      await send(kind, { merchant: 'glow-labs', session_id: s, click_id: token }, bot)
    await flush()
    const events = await eventsOf(s)
    expect(events.every((e) => Number(e.bot_score) >= 80 && e.not_billable === 'bot')).toBe(true)
    expect((await sessionRow(s))?.qualified_at).toBeNull()
  })

  test('origins the merchant did not register are refused, and nothing is stored', async () => {
    const token = await click()
    const s = session()
    const body = { merchant: 'glow-labs', session_id: s, click_id: token }
    for (const origin of ['https://evil.example', 'https://shop.example:8443', 'http://shop.example']) {
      const res = await send('pageview', body, { origin })
      expect(res.status).toBe(403)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('origin_not_registered')
    }
    const noOrigin = await fetch(`${base}/v1/events/pageview`, { method: 'POST', body: JSON.stringify(body) })
    expect(noOrigin.status).toBe(403)
    // An unknown merchant answers exactly like a foreign origin.
    const unknown = await send('pageview', { ...body, merchant: 'nobody' })
    expect(unknown.status).toBe(403)
    // The registered second origin works; the preflight answers registered origins only.
    expect((await send('pageview', body, { origin: 'http://localhost:8080' })).status).toBe(202)
    const pre = (origin: string) =>
      fetch(`${base}/v1/events/pageview`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
    expect((await pre(ORIGIN)).headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect((await pre('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull()
    await flush()
    const stored = await eventsOf(s)
    expect(stored.map((e) => e.origin)).toEqual(['http://localhost:8080'])
  })

  test.each([
    ['not JSON', 'pageview', '{"merchant":', 400, 'malformed_body'],
    ['an array', 'pageview', '[]', 400, 'malformed_body'],
    ['no session id', 'pageview', { merchant: 'glow-labs' }, 422, 'invalid_fields'],
    ['a short session id', 'pageview', { merchant: 'glow-labs', session_id: 'abc' }, 422, 'invalid_fields'],
    [
      'a float-like revenue',
      'conversion',
      { merchant: 'glow-labs', session_id: 'abcdefgh12', order_id: '1', revenue: '1e3', currency: 'USD' },
      422,
      'invalid_fields',
    ],
    [
      'no order id',
      'conversion',
      { merchant: 'glow-labs', session_id: 'abcdefgh12', revenue: '10.00', currency: 'USD' },
      422,
      'invalid_fields',
    ],
    [
      'a NUL in the url',
      'pageview',
      { merchant: 'glow-labs', session_id: 'abcdefgh12', url: 'https://x/\u0000' },
      400,
      'malformed_body',
    ],
    [
      '17 KiB',
      'pageview',
      { merchant: 'glow-labs', session_id: 'abcdefgh12', url: 'x'.repeat(17_000) },
      413,
      'body_too_large',
    ],
    [
      'an unknown kind',
      'purchase',
      { merchant: 'glow-labs', session_id: 'abcdefgh12' },
      404,
      'unknown_event_kind',
    ],
  ] as const)('%s → %d %s', async (_name, kind, body, status, code) => {
    const before = rt.site.flusher.stats.stored + rt.site.flusher.waiting
    const res = await send(kind, body)
    expect(res.status).toBe(status)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code)
    expect(rt.site.flusher.stats.stored + rt.site.flusher.waiting).toBe(before)
  })

  test('a 422 names every bad field', async () => {
    const res = await send('conversion', {
      merchant: 'glow-labs',
      session_id: 'x',
      revenue: 12.5,
      currency: 'usd',
    })
    expect(res.status).toBe(422)
    const body = (await res.json()) as { error: { details: { fields: string[] } } }
    expect(body.error.details.fields).toEqual(['session_id', 'order_id', 'revenue', 'currency'])
  })

  test('site_events is append-only', async () => {
    expect(store.query('update site_events set kind = kind')).rejects.toThrow(/append-only/)
    expect(store.query('delete from site_events')).rejects.toThrow(/append-only/)
  })
})

describe('snippet conversions join the exactly-once pipeline', () => {
  const conversionsOf = (orderId: string) =>
    store.query<Record<string, unknown>>(
      `select c.id, c.source, c.program_id, a.influencer_id,
              (select count(*)::int from commissions m where m.conversion_id = c.id) as commissions
         from conversions c left join attributions a on a.conversion_id = c.id
        where c.external_order_id = $1`,
      [orderId],
    )

  test('snippet first, then the shop’s webhook and a repeat: one conversion, attributed to the influencer', async () => {
    const token = await click()
    const s = session()
    const body = {
      merchant: 'glow-labs',
      session_id: s,
      click_id: token,
      order_id: '7001',
      revenue: '80.00',
      currency: 'USD',
    }
    const first = await send('conversion', body)
    expect(first.status).toBe(202)
    const a = (await first.json()) as { conversion_id: string; duplicate: boolean }
    expect(a.duplicate).toBe(false)
    const again = (await (await send('conversion', body)).json()) as {
      conversion_id: string
      duplicate: boolean
    }
    expect(again).toMatchObject({ conversion_id: a.conversion_id, duplicate: true })
    // Its own delivery (200), reporting the order the snippet already stored.
    const hook = await shopifyOrderPaid(base, 7001)
    expect(hook.status).toBe(200)
    expect(((await hook.json()) as { conversionIds: string[] }).conversionIds).toEqual([a.conversion_id])
    const rows = await conversionsOf('7001')
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      id: a.conversion_id,
      source: 'snippet',
      influencer_id: fx.influencerId,
      commissions: 1,
    })
    await flush()
    const events = await eventsOf(s)
    expect(events.map((e) => e.conversion_id)).toEqual([a.conversion_id, a.conversion_id])
  })

  test('webhook first (no click id of ours), then the snippet: the same conversion, now attributed once', async () => {
    const token = await click()
    const hook = await shopifyOrderPaid(base, 7002)
    expect(hook.status).toBe(200)
    const [id] = ((await hook.json()) as { conversionIds: string[] }).conversionIds
    expect((await conversionsOf('7002'))[0]).toMatchObject({ program_id: null, influencer_id: null })
    const body = {
      merchant: 'glow-labs',
      session_id: session(),
      click_id: token,
      order_id: '7002',
      revenue: '80.00',
      currency: 'USD',
    }
    const res = (await (await send('conversion', body)).json()) as { conversion_id: string }
    expect(res.conversion_id).toBe(id as string)
    await send('conversion', body)
    const rows = await conversionsOf('7002')
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      source: 'shopify',
      program_id: fx.programId,
      influencer_id: fx.influencerId,
      commissions: 1,
    })
  })

  test('the snippet cannot claim an unattributed order from another address', async () => {
    const token = await click(CHROME_UA, '198.51.100.7')
    await shopifyOrderPaid(base, 7003)
    const body = {
      merchant: 'glow-labs',
      session_id: session(),
      click_id: token,
      order_id: '7003',
      revenue: '80.00',
      currency: 'USD',
    }
    expect((await send('conversion', body, { 'x-forwarded-for': '203.0.113.99' })).status).toBe(202)
    expect((await conversionsOf('7003'))[0]).toMatchObject({ program_id: null, commissions: 0 })
  })
})

describe('GET /api/v1/stats/site', () => {
  test('raw next to billable, by the program’s policy', async () => {
    await flush()
    const get = async () => {
      const res = await fetch(`${base}/api/v1/stats/site`, {
        headers: { authorization: `Bearer ${testAdminKey}` },
      })
      expect(res.status).toBe(200)
      return (await res.json()) as {
        programs: {
          program_id: string
          sessions: { raw: number; billable: number }
          qualified_sessions: { raw: number; billable: number }
          pageviews: { raw: number; billable: number }
          conversions: { raw: number; billable: number }
          not_billable: Record<string, number>
        }[]
        unattributed: { pageviews: number; by_click_status: Record<string, number> }
      }
    }
    const [truth] = await store.query<Record<string, number>>(
      `select (select count(*)::int from site_sessions where program_id = $1) as sessions,
              (select count(*)::int from site_sessions where program_id = $1 and qualified_at is not null) as qualified,
              (select count(*)::int from site_events where program_id = $1 and kind = 'pageview') as pageviews,
              (select count(*)::int from site_events where program_id = $1 and kind = 'pageview' and not_billable is null) as pageviews_ok,
              (select count(*)::int from site_events where program_id is null and kind = 'pageview') as orphan_pageviews,
              (select count(distinct e.conversion_id)::int from site_events e where e.program_id = $1
                  and e.kind = 'conversion' and e.not_billable is null
                  and not exists (select 1 from fraud_flags f where f.conversion_id = e.conversion_id
                                   and coalesce(f.resolution, 'rejected') = 'rejected')) as conversions_ok`,
      [fx.programId],
    )
    const stats = await get()
    const p = stats.programs.find((x) => x.program_id === fx.programId)
    expect(p?.sessions.raw).toBe(truth?.sessions as number)
    expect(p?.qualified_sessions).toEqual({
      raw: truth?.qualified as number,
      billable: truth?.qualified as number,
    })
    expect(p?.pageviews).toEqual({ raw: truth?.pageviews as number, billable: 0 })
    expect(p?.not_billable.expired).toBe(3)
    expect(p?.not_billable.bot).toBe(3)
    // Two orders came in with a genuine click from the shopper's address; a fraud flag would hold one back.
    expect(p?.conversions.billable).toBe(truth?.conversions_ok as number)
    expect(truth?.conversions_ok).toBeGreaterThanOrEqual(1)
    expect(stats.unattributed.pageviews).toBe(truth?.orphan_pageviews as number)
    expect(stats.unattributed.by_click_status.bad_signature).toBe(4)
    expect(p?.qualified_sessions.raw).toBeGreaterThanOrEqual(2)

    // The policy decides what is billed, for past events too.
    const patch = (body: unknown) =>
      fetch(`${base}/api/v1/programs/${fx.programId}/site-policy`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${testAdminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await patch({ billable: ['pageview'] })).status).toBe(200)
    const after = (await get()).programs.find((x) => x.program_id === fx.programId)
    expect(after?.pageviews.billable).toBe(truth?.pageviews_ok as number)
    expect(after?.qualified_sessions.billable).toBe(0)
    expect(after?.conversions.billable).toBe(0)
    expect((await patch({ billable: ['everything'] })).status).toBe(400)
    expect((await patch({ min_pageviews: 0 })).status).toBe(400)
  })
})
