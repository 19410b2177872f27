import { describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { openPostgres } from '../../src/db/postgres.ts'
import { createRuntime } from '../../src/app.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { signClickId } from '../../src/shared/click-id.ts'
import { webhookFixture } from '../helpers/webhooks.ts'

const OLD = 'shpss_old_secret_0123456789'
const NEW = 'shpss_new_secret_9876543210'
const { store, config, app } = await webhookFixture([
  { source: 'shopify', secret: OLD },
  { source: 'shopify', secret: NEW },
])

const clickUuid = Bun.randomUUIDv7()
const clickToken = signClickId(
  config.secrets.clickIdKeys[0] ?? { kid: '', secret: new Uint8Array() },
  clickUuid,
)

const order = (id: number) => ({
  id,
  email: 'Shopper@Example.com ',
  created_at: '2026-11-20T10:00:00-05:00',
  currency: 'USD',
  subtotal_price: '100.00',
  total_price: '108.50',
  total_tax: '8.50',
  total_discounts: '0.00',
  landing_site: `/products/vitamin-c-serum?utm_source=skinstack&sk_cid=${clickToken}`,
  discount_codes: [],
  line_items: [{ id: 1, sku: 'SERUM-30', price: '50.00', quantity: 2 }],
  financial_status: 'paid',
  test: false,
})

function post(body: string, headers: Record<string, string>, path = '/webhooks/shopify/glow-labs') {
  return app.handle(new Request(`http://localhost${path}`, { method: 'POST', body, headers }))
}

function shopify(topic: string, webhookId: string, payload: unknown, secret = NEW) {
  const body = JSON.stringify(payload)
  const hmac = createHmac('sha256', secret).update(body).digest('base64')
  return post(body, {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-webhook-id': webhookId,
    'x-shopify-hmac-sha256': hmac,
    'x-shopify-shop-domain': 'glow-labs.myshopify.com',
  })
}

const count = async (table: string, where = 'true') =>
  Number((await store.query<{ n: string }>(`select count(*)::text as n from ${table} where ${where}`))[0]?.n)

describe('POST /webhooks/shopify/:merchant', () => {
  test('first delivery 200, repeat 202 with the same conversion, another topic for the order adds nothing', async () => {
    const first = await shopify('orders/paid', 'wh-1', order(1001))
    expect(first.status).toBe(200)
    const a = (await first.json()) as { status: string; conversionIds: string[] }
    expect(a.status).toBe('processed')
    expect(a.conversionIds).toHaveLength(1)
    const again = await shopify('orders/paid', 'wh-1', order(1001))
    expect(again.status).toBe(202)
    expect(((await again.json()) as { conversionIds: string[] }).conversionIds).toEqual(a.conversionIds)
    const otherTopic = await shopify('orders/create', 'wh-2', order(1001), OLD)
    expect(otherTopic.status).toBe(200)
    expect(((await otherTopic.json()) as { conversionIds: string[] }).conversionIds).toEqual(a.conversionIds)
    expect(await count('conversions', `external_order_id = '1001'`)).toBe(1)
    const [c] = await store.query<Record<string, unknown>>(
      `select * from conversions where external_order_id = '1001'`,
    )
    expect(c).toMatchObject({ kind: 'sale', currency: 'USD', total: '108.5000', click_id: clickUuid })
    expect(c?.customer_email_hash).toBe(
      new Bun.CryptoHasher('sha256').update('shopper@example.com').digest('hex'),
    )
    const [ev] = await store.query<{ headers: Record<string, string> }>(
      `select headers from webhook_events where external_id = 'wh-1'`,
    )
    expect(ev?.headers['x-shopify-topic']).toBe('orders/paid')
  })

  test('50 concurrent identical deliveries: one conversion, one 200, 49 × 202', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => shopify('orders/paid', 'wh-race', order(2002))),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 202)).toHaveLength(49)
    expect(await count('conversions', `external_order_id = '2002'`)).toBe(1)
    expect(await count('webhook_events', `external_id = 'wh-race'`)).toBe(1)
  })

  test('a refund that arrives before its sale is held, then joined to the sale', async () => {
    const refund = {
      id: 9001,
      order_id: 3003,
      created_at: '2026-11-21T10:00:00Z',
      refund_line_items: [{ quantity: 1, subtotal: '50.00', line_item: { sku: 'SERUM-30', price: '50.00' } }],
      transactions: [{ kind: 'refund', status: 'success', amount: '50.00', currency: 'USD' }],
    }
    expect((await shopify('refunds/create', 'wh-r1', refund)).status).toBe(200)
    const [held] = await store.query<{ parent: string | null; total: string }>(
      `select parent_conversion_id as parent, total from conversions where kind = 'refund' and external_order_id = '3003'`,
    )
    expect(held).toEqual({ parent: null, total: '50.0000' })
    const sale = (await (await shopify('orders/paid', 'wh-s3', order(3003))).json()) as {
      conversionIds: string[]
    }
    const [joined] = await store.query<{ parent: string | null }>(
      `select parent_conversion_id as parent from conversions where kind = 'refund' and external_order_id = '3003'`,
    )
    expect(joined?.parent).toBe(sale.conversionIds[0] ?? 'missing')
  })

  test.each([
    [
      'tampered body',
      () => {
        const body = JSON.stringify(order(4004))
        const hmac = createHmac('sha256', NEW).update(body).digest('base64')
        return post(body.replace('108.50', '999.00'), {
          'x-shopify-topic': 'orders/paid',
          'x-shopify-webhook-id': 'wh-t',
          'x-shopify-hmac-sha256': hmac,
        })
      },
      401,
      'bad_signature',
    ],
    [
      'missing signature',
      () =>
        post(JSON.stringify(order(4005)), {
          'x-shopify-topic': 'orders/paid',
          'x-shopify-webhook-id': 'wh-m',
        }),
      401,
      'missing_signature',
    ],
    ['unknown source', () => post('{}', {}, '/webhooks/paypal/glow-labs'), 404, 'unknown_source'],
    ['unknown merchant', () => post('{}', {}, '/webhooks/shopify/nobody'), 404, 'unknown_merchant'],
    [
      'malformed JSON, signed',
      () => {
        const body = '{"id": 1,'
        return post(body, {
          'x-shopify-topic': 'orders/paid',
          'x-shopify-webhook-id': 'wh-j',
          'x-shopify-hmac-sha256': createHmac('sha256', NEW).update(body).digest('base64'),
        })
      },
      400,
      undefined,
    ],
  ])('%s → %d, nothing stored', async (_label, send, status, code) => {
    const before = await count('webhook_events')
    const res = await send()
    expect(res.status).toBe(status)
    const body = (await res.json()) as { error: { code: string } }
    if (code) expect(body.error.code).toBe(code)
    expect(await count('webhook_events')).toBe(before)
  })

  test('Postgres unreachable → 503 with Retry-After, the sender retries', async () => {
    const down = openPostgres({
      url: 'postgres://postgres@127.0.0.1:1/none',
      poolSize: 1,
      connectTimeoutSeconds: 1,
    })
    const rt = createRuntime({ config, store: down, log: createLogger('silent') })
    const body = JSON.stringify(order(5005))
    const res = await rt.app.handle(
      new Request('http://localhost/webhooks/shopify/glow-labs', {
        method: 'POST',
        body,
        headers: {
          'x-shopify-topic': 'orders/paid',
          'x-shopify-webhook-id': 'wh-down',
          'x-shopify-hmac-sha256': createHmac('sha256', NEW).update(body).digest('base64'),
        },
      }),
    )
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('30')
    await down.close()
  })
})
