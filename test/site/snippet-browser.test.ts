import { afterAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { browserAvailable, launchBrowser } from '../helpers/browser.ts'
import { CHROME_UA, shopifyOrderPaid, siteFixture, waitForRows } from '../helpers/site.ts'

// A shop on its own origin (another loopback port) that installed the snippet the documented way: the queue stub
// and init first, the async script tag after, skq('conversion', …) on the thank-you page.
let tracker = ''
const shop = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch(req) {
    const url = new URL(req.url)
    const order = url.searchParams.get('order')
    const call = order
      ? `skq('conversion', { order_id: '${order}', revenue: '80.00', currency: 'USD' });`
      : ''
    const html = `<!doctype html><html><head><title>${url.pathname}</title>
<script>window.skq=window.skq||function(){(skq.q=skq.q||[]).push(arguments)};skq('init',{merchant:'glow-labs'});${call}</script>
<script async src="${tracker}/sk.js"></script></head>
<body><a id="next" href="/page2">more serums</a> <a id="buy" href="/thanks?order=9001">buy</a></body></html>`
    return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } })
  },
})
const shopOrigin = `http://127.0.0.1:${shop.port}`
afterAll(() => shop.stop(true))

const run = browserAvailable()
const fx = await siteFixture({ origins: [shopOrigin], destination: `${shopOrigin}/landing`, slug: 'ig-glow' })
tracker = fx.base
const { store } = fx

let browser: Browser | undefined
afterAll(async () => browser?.close())

const orderRows = (orderId: string) =>
  store.query<Record<string, unknown>>(
    `select c.id, c.source, a.influencer_id, a.evidence,
            (select count(*)::int from commissions m where m.conversion_id = c.id) as commissions
       from conversions c left join attributions a on a.conversion_id = c.id
      where c.merchant_id = $1 and c.external_order_id = $2`,
    [fx.merchantId, orderId],
  )

describe.if(run)('the snippet in a real browser', () => {
  test('tracking link → shop with the click id → two pages → skq conversion: attributed once, with the webhook too', async () => {
    // On the process, not only the context: beacons sent while a page unloads carry the process's user agent, and
    // headless chromium's own (HeadlessChrome) is rightly scored as a bot.
    browser = await launchBrowser([`--user-agent=${CHROME_UA}`])
    const context = await browser.newContext({ userAgent: CHROME_UA })
    const page = await context.newPage()
    const failures: string[] = []
    page.on('pageerror', (e) => failures.push(e.message))

    await page.goto(`${fx.base}/l/ig-glow`)
    const landed = new URL(page.url())
    expect(landed.origin).toBe(shopOrigin)
    const cid = landed.searchParams.get('sk_cid')
    expect(cid).toBeTruthy()
    // The snippet replaced the queue stub and kept the click id in the shop's own storage.
    await page.waitForFunction(
      () => (globalThis as unknown as { skq: { loaded?: boolean } }).skq.loaded === true,
    )
    const kept = await page.evaluate(() =>
      JSON.parse(
        (
          globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
        ).localStorage.getItem('_sk') ?? 'null',
      ),
    )
    expect(kept.cid).toBe(cid)

    await page.click('#next')
    await page.waitForURL(`${shopOrigin}/page2`)
    await page.waitForFunction(
      () => (globalThis as unknown as { skq: { loaded?: boolean } }).skq.loaded === true,
    )
    // Page two has no click id in its URL: the stored one carries the visit.
    expect(page.url()).not.toContain('sk_cid')
    await page.click('#buy')
    await page.waitForURL(`${shopOrigin}/thanks?order=9001`)

    const [conv] = await waitForRows(
      store,
      `select id from conversions where merchant_id = $1 and external_order_id = '9001'`,
      1,
      [fx.merchantId],
    )
    // The shop's own webhook for the same order, without our click id, after the snippet's.
    const hook = await shopifyOrderPaid(fx.base, 9001)
    expect(hook.status).toBe(200)
    expect(((await hook.json()) as { conversionIds: string[] }).conversionIds).toEqual([String(conv?.id)])

    const rows = await orderRows('9001')
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ source: 'snippet', influencer_id: fx.influencerId, commissions: 1 })

    // And an order whose webhook arrives first: the snippet's click id settles the conversion the webhook made.
    const early = await shopifyOrderPaid(fx.base, 9002)
    expect(early.status).toBe(200)
    await page.goto(`${shopOrigin}/thanks?order=9002`)
    await waitForRows(
      store,
      `select 1 from site_events where kind = 'conversion' and order_id = '9002' and conversion_id is not null`,
      1,
    )
    const second = await orderRows('9002')
    expect(second).toHaveLength(1)
    expect(second[0]).toMatchObject({ source: 'shopify', influencer_id: fx.influencerId, commissions: 1 })

    await page.close()
    await fx.rt.site.flusher.flush()
    const sessions = await store.query<Record<string, unknown>>(
      'select * from site_sessions where merchant_id = $1',
      [fx.merchantId],
    )
    expect(sessions).toHaveLength(1)
    expect(sessions[0]).toMatchObject({ influencer_id: fx.influencerId, pageviews: 4, not_billable: null })
    expect(sessions[0]?.qualified_at).not.toBeNull()
    const events = await store.query<Record<string, unknown>>(
      'select kind, click_status, origin, conversion_id from site_events where merchant_id = $1 order by id',
      [fx.merchantId],
    )
    expect(events.filter((e) => e.kind === 'pageview')).toHaveLength(4)
    expect(events.filter((e) => e.kind === 'conversion').map((e) => e.conversion_id)).toEqual([
      conv?.id,
      second[0]?.id,
    ])
    expect(events.every((e) => e.click_status === 'valid' && e.origin === shopOrigin)).toBe(true)
    expect(failures).toEqual([])
  }, 60_000)

  test('a page on an origin the merchant did not register sends events that are refused and never stored', async () => {
    const page = await (browser ?? (await launchBrowser())).newPage({ userAgent: CHROME_UA })
    const refused = page.waitForResponse((r) => r.url().includes('/v1/events/'))
    const res = await fetch(`${fx.base}/l/ig-glow`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME_UA },
    })
    const cid = new URL(res.headers.get('location') ?? '').searchParams.get('sk_cid') ?? ''
    // localhost is another origin than the registered 127.0.0.1, though it is the same server.
    await page.goto(`http://localhost:${shop.port}/landing?sk_cid=${encodeURIComponent(cid)}`)
    expect((await refused).status()).toBe(403)
    await page.close()
    await fx.rt.site.flusher.flush()
    const stored = await store.query(`select 1 from site_events where origin like 'http://localhost:%'`)
    expect(stored).toHaveLength(0)
  }, 60_000)

  test('an in-app browser without sendBeacon whose storage throws: a first-party cookie and fetch keepalive carry the visit', async () => {
    const context = await (browser ?? (await launchBrowser())).newContext({ userAgent: CHROME_UA })
    // What some in-app webviews do: no Beacon API, and Web Storage that refuses writes.
    await context.addInitScript(() => {
      const g = globalThis as unknown as {
        navigator: { sendBeacon?: unknown }
        Storage: { prototype: { setItem: unknown } }
      }
      Object.defineProperty(g.navigator, 'sendBeacon', { value: undefined })
      g.Storage.prototype.setItem = () => {
        throw new Error('QuotaExceededError')
      }
    })
    const page = await context.newPage()
    await page.goto(`${fx.base}/l/ig-glow`)
    const cid = new URL(page.url()).searchParams.get('sk_cid')
    await page.waitForFunction(
      () => (globalThis as unknown as { skq: { loaded?: boolean } }).skq.loaded === true,
    )
    const cookie = (await context.cookies(shopOrigin)).find((c) => c.name === '_sk')
    expect(JSON.parse(decodeURIComponent(cookie?.value ?? '""')).cid).toBe(cid)
    await page.click('#next')
    await page.waitForURL(`${shopOrigin}/page2`)
    // Both pageviews carry the landing's click id and session, which the cookie kept for page two.
    const views = (await waitForRows(
      store,
      `select session_id, url from site_events where kind = 'pageview' and click_token = $1 and click_status = 'valid'`,
      2,
      [cid],
    )) as { session_id: string; url: string }[]
    expect(views.map((v) => new URL(v.url).pathname).sort()).toEqual(['/landing', '/page2'])
    expect(new Set(views.map((v) => v.session_id)).size).toBe(1)
    await context.close()
  }, 60_000)
})
