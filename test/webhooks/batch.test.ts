import { describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { signClickId, uuidV7Time } from '../../src/shared/click-id.ts'
import type { NormalizedEvent } from '../../src/webhooks/adapter.ts'
import { createIngestBatcher } from '../../src/webhooks/batch.ts'
import { EventFailedError } from '../../src/webhooks/pipeline.ts'
import { testRuntime } from '../helpers/app.ts'
import { webhookFixture } from '../helpers/webhooks.ts'

// Deliveries arriving together share a transaction (src/webhooks/batch.ts). What that must not change: one
// conversion per order, one commission per sale, refunds joined to their sales, repeats answered 202, and a
// failing delivery failing alone.

const SECRET = 'shpss_batch_secret_0123456789'
const { store, url, config, app, merchantId } = await webhookFixture([{ source: 'shopify', secret: SECRET }])
// A second host on the same database, for races no one host's batcher can order.
const other = testRuntime(store, url).app
const key = config.secrets.clickIdKeys[0] ?? { kid: '', secret: new Uint8Array() }

/** Stored clicks on the demo link, one per order, so every sale is attributed and earns. */
async function clicks(n: number): Promise<string[]> {
  const at = Date.now() - 60_000
  const ids = Array.from({ length: n }, () => Bun.randomUUIDv7('hex', at))
  await store.query(
    `insert into clicks (id, clicked_at, link_id, slug, program_id, influencer_id, campaign_id)
     select u, t, l.id, l.slug, l.program_id, l.influencer_id, l.campaign_id
       from unnest($1::uuid[], $2::timestamptz[]) as x(u, t), tracking_links l where l.slug = 'glow-serum'`,
    [ids, ids.map((id) => new Date(uuidV7Time(id)).toISOString())],
  )
  return ids
}

const order = (id: number, click: string) => ({
  id,
  created_at: new Date(Date.now() - 30_000).toISOString(),
  currency: 'USD',
  subtotal_price: '100.00',
  total_price: '108.50',
  total_tax: '8.50',
  landing_site: `/p?sk_cid=${signClickId(key, click)}`,
  line_items: [{ id: 1, sku: 'SERUM-30', price: '50.00', quantity: 2 }],
})

const refund = (id: number, orderId: number) => ({
  id,
  order_id: orderId,
  created_at: new Date().toISOString(),
  refund_line_items: [{ quantity: 1, subtotal: '50.00', line_item: { sku: 'SERUM-30', price: '50.00' } }],
  transactions: [{ kind: 'refund', status: 'success', amount: '50.00', currency: 'USD' }],
})

function shopify(topic: string, webhookId: string, payload: unknown, host = app) {
  const body = JSON.stringify(payload)
  return host.handle(
    new Request('http://localhost/webhooks/shopify/glow-labs', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': webhookId,
        'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64'),
      },
    }),
  )
}

const one = async <T>(q: string, params: unknown[] = []) => (await store.query<T>(q, params))[0] as T

describe('deliveries sharing a transaction', () => {
  test('a burst of sales, second topics, repeats and refunds: each order once, refunds joined', async () => {
    const N = 60
    const ids = await clicks(N)
    const base = 500_000
    const sends: Promise<Response>[] = []
    for (let i = 0; i < N; i++) {
      sends.push(shopify('orders/paid', `b-paid-${i}`, order(base + i, ids[i] as string)))
      // Every third order also comes as orders/create, every fifth is repeated byte for byte, every seventh
      // has a refund racing its sale: all in flight at once, so they meet in the same batches.
      if (i % 3 === 0)
        sends.push(shopify('orders/create', `b-create-${i}`, order(base + i, ids[i] as string)))
      if (i % 5 === 0) sends.push(shopify('orders/paid', `b-paid-${i}`, order(base + i, ids[i] as string)))
      if (i % 7 === 0) sends.push(shopify('refunds/create', `b-refund-${i}`, refund(900_000 + i, base + i)))
    }
    const statuses = (await Promise.all(sends)).map((r) => r.status)
    expect(statuses.filter((s) => s !== 200 && s !== 202)).toEqual([])
    const orders = `external_order_id::bigint between ${base} and ${base + N - 1}`
    const refunds = Math.ceil(N / 7)
    expect(
      await one<{ events: number; sales: number; orders: number; refunds: number; joined: number }>(
        `select (select count(*)::int from webhook_events where external_id like 'b-%') as events,
                (select count(*)::int from conversions where kind = 'sale' and ${orders}) as sales,
                (select count(distinct external_order_id)::int from conversions where kind = 'sale' and ${orders}) as orders,
                (select count(*)::int from conversions where kind = 'refund' and ${orders}) as refunds,
                (select count(*)::int from conversions r join conversions s on s.id = r.parent_conversion_id
                  where r.kind = 'refund' and s.kind = 'sale' and r.external_order_id = s.external_order_id
                    and r.${orders}) as joined`,
      ),
    ).toEqual({ events: N + Math.ceil(N / 3) + refunds, sales: N, orders: N, refunds, joined: refunds })
    // One sale commission per order, and each raced refund reversed half of its sale's.
    expect(
      await one<{ commissions: number; reversed: number }>(
        `select count(*)::int as commissions,
                count(*) filter (where exists (select 1 from reversals r where r.commission_id = c.id))::int as reversed
           from commissions c join conversions v on v.id = c.conversion_id
          where c.event_kind = 'sale' and v.${orders}`,
      ),
    ).toEqual({ commissions: N, reversed: refunds })
    // The point of the batcher: rows stored by one transaction share its xmin.
    const { txs } = await one<{ txs: number }>(
      `select count(distinct xmin::text)::int as txs from webhook_events where external_id like 'b-paid-%'`,
    )
    expect(txs).toBeLessThan(N / 2)
  })

  test('two hosts: sales on one, their refunds on the other, at the same moment: every refund joined', async () => {
    const N = 30
    const ids = await clicks(N)
    const base = 700_000
    const sends: Promise<Response>[] = []
    for (let i = 0; i < N; i++) {
      sends.push(shopify('orders/paid', `h-paid-${i}`, order(base + i, ids[i] as string)))
      sends.push(shopify('refunds/create', `h-refund-${i}`, refund(800_000 + i, base + i), other))
    }
    expect((await Promise.all(sends)).map((r) => r.status).filter((s) => s !== 200)).toEqual([])
    const orders = `external_order_id::bigint between ${base} and ${base + N - 1}`
    expect(
      await one<{ joined: number; reversed: number }>(
        `select (select count(*)::int from conversions r join conversions s on s.id = r.parent_conversion_id
                  where r.kind = 'refund' and s.kind = 'sale' and r.${orders}) as joined,
                (select count(*)::int from reversals x join commissions c on c.id = x.commission_id
                   join conversions v on v.id = c.conversion_id where v.${orders}) as reversed`,
      ),
    ).toEqual({ joined: N, reversed: N })
  })

  test('one delivery that fails takes nobody down: it is kept as failed, the others are stored', async () => {
    const batcher = createIngestBatcher({ db: store.db, config, maxInFlight: 1 })
    const event = (i: number, total: string): NormalizedEvent => ({
      externalEventId: `f-${i}`,
      kind: 'sale',
      orderId: `f-order-${i}`,
      subEventId: null,
      occurredAt: new Date(),
      currency: 'USD',
      subtotal: null,
      discount: null,
      tax: null,
      shipping: null,
      total,
      cumulativeRefunded: null,
      lineItems: [],
      clickId: null,
      subId: null,
      couponCode: null,
      customerEmailHash: null,
      customerIp: null,
      test: false,
    })
    // The first runs alone; the other nine queue behind it and go as one batch, the bad one among them.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        batcher.submit({
          source: 's2s',
          merchantId,
          externalId: `f-${i}`,
          headers: {},
          rawBody: `{"n":${i}}`,
          events: [event(i, i === 6 ? 'not a number' : '10.00')],
        }),
      ),
    )
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []))
    expect(failed).toEqual([6])
    expect((outcomes[6] as PromiseRejectedResult).reason).toBeInstanceOf(EventFailedError)
    expect(
      await store.query(
        `select status, count(*)::int as n from webhook_events where external_id like 'f-%' group by 1 order by status::text`,
      ),
    ).toEqual([
      { status: 'failed', n: 1 },
      { status: 'processed', n: 9 },
    ])
    expect(
      (
        await one<{ n: number }>(
          `select count(*)::int as n from conversions where external_order_id like 'f-order-%'`,
        )
      ).n,
    ).toBe(9)
  })
})
