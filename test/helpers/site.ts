import { createHmac } from 'node:crypto'
import type { Store } from '../../src/db/store.ts'
import { addSecret } from '../../src/webhooks/secrets.ts'
import { startTestServer, testAdminKey, testConfig } from './app.ts'
import { createTestDb } from './databases.ts'
import { seedLinks } from './links.ts'

export const SHOPIFY_SECRET = 'shpss_site_test_0123456789'
// A desktop Chrome's: headless chromium's own names it HeadlessChrome, which isbot (rightly) scores as a bot.
export const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/**
 * A running host on a fresh database with the demo merchant ('glow-labs'), a tracking link `slug` to
 * `destination`, a Shopify secret, and `origins` registered for the snippet through the API.
 */
export async function siteFixture(opts: { origins: string[]; destination?: string; slug?: string }) {
  const { store, url } = await createTestDb()
  const f = await seedLinks(store)
  const config = testConfig(url)
  // Loopback is the proxy here, so tests can speak for shoppers at different addresses (X-Forwarded-For).
  const server = await startTestServer(store, url, { TRUSTED_PROXIES: '127.0.0.1/32' })
  const [m] = await store.query<{ id: string }>(`select id from merchants where slug = 'glow-labs'`)
  const merchantId = m?.id ?? ''
  await addSecret(store, config.secrets.masterKey, {
    merchantId,
    source: 'shopify',
    keyId: 'k1',
    secret: SHOPIFY_SECRET,
    slot: 1,
  })
  const slug = opts.slug ?? 'snippet-test'
  await store.query(
    `insert into tracking_links (slug, program_id, influencer_id, asset, destination_url) values ($1, $2, $3, 'site', $4)`,
    [slug, f.programId, f.influencerId, opts.destination ?? 'https://shop.example/landing'],
  )
  const put = await fetch(`${server.base}/api/v1/merchants/glow-labs/site-origins`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${testAdminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ origins: opts.origins }),
  })
  if (put.status !== 200) throw new Error(`site-origins: ${put.status} ${await put.text()}`)
  return { store, url, config, ...server, ...f, merchantId, slug }
}

/** A Shopify orders/paid delivery for `orderId`, signed with node:crypto the way Shopify documents it. */
export function shopifyOrderPaid(base: string, orderId: number, extra: Record<string, unknown> = {}) {
  const body = JSON.stringify({
    id: orderId,
    email: 'shopper@example.com',
    created_at: new Date().toISOString(),
    currency: 'USD',
    subtotal_price: '80.00',
    total_price: '86.40',
    total_tax: '6.40',
    total_discounts: '0.00',
    discount_codes: [],
    line_items: [{ id: 1, sku: 'SERUM-30', price: '40.00', quantity: 2 }],
    financial_status: 'paid',
    test: false,
    ...extra,
  })
  return fetch(`${base}/webhooks/shopify/glow-labs`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/paid',
      'x-shopify-webhook-id': `wh-${orderId}`,
      'x-shopify-hmac-sha256': createHmac('sha256', SHOPIFY_SECRET).update(body).digest('base64'),
      'x-shopify-shop-domain': 'glow-labs.myshopify.com',
    },
  })
}

/** Waits until `query` returns a row count of at least `n` (the flushers run every few ms). */
export async function waitForRows(store: Store, query: string, n: number, params: unknown[] = []) {
  for (let i = 0; i < 200; i++) {
    const rows = await store.query(query, params)
    if (rows.length >= n) return rows
    await Bun.sleep(25)
  }
  throw new Error(`timed out waiting for ${n} rows of: ${query}`)
}
