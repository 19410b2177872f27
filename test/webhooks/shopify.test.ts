import { describe, expect, test } from 'bun:test'
import { createHash, createHmac } from 'node:crypto'
import { shopifyAdapter } from '../../src/webhooks/networks/shopify.ts'

const SECRET_OLD = 'shpss_old_0a1b2c3d4e5f'
const SECRET_NEW = 'shpss_new_9f8e7d6c5b4a'
const CLICK = 'ck1.k2.AbCdEf123_-x.sig'
const NOW = Date.parse('2026-11-22T10:00:00Z')

// Independent of the adapter: node:crypto directly, base64 as Shopify sends it.
function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64')
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

// Shaped like Shopify's documented orders/paid payload (REST Admin API order resource), trimmed.
function orderPaid(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 5601234567890,
    admin_graphql_api_id: 'gid://shopify/Order/5601234567890',
    name: '#1042',
    email: '  Jane.Doe@Example.COM ',
    created_at: '2026-11-22T09:58:11-05:00',
    processed_at: '2026-11-22T09:58:12-05:00',
    currency: 'usd',
    presentment_currency: 'USD',
    financial_status: 'paid',
    test: false,
    browser_ip: '203.0.113.7',
    landing_site: `/products/glow-serum?utm_source=ig&sk_cid=${CLICK}&sub_id=story-3#reviews`,
    referring_site: 'https://instagram.com/',
    note_attributes: [{ name: 'gift', value: 'no' }],
    discount_codes: [{ code: 'GLOW10', amount: '5.00', type: 'percentage' }],
    subtotal_price: '45.00',
    current_subtotal_price_set: {
      shop_money: { amount: '44.99', currency_code: 'USD' },
      presentment_money: { amount: '44.99', currency_code: 'USD' },
    },
    total_discounts: '5.00',
    total_tax: '3.61',
    total_price: '53.60',
    total_shipping_price_set: {
      shop_money: { amount: '5.00', currency_code: 'USD' },
      presentment_money: { amount: '5.00', currency_code: 'USD' },
    },
    customer: { id: 7001, email: 'other@example.com' },
    line_items: [
      { id: 14001, sku: 'GLOW-30ML', title: 'Glow serum', price: '29.99', quantity: 1 },
      { id: 14002, sku: 'MASK-2PK', title: 'Sheet mask', price: '7.50', quantity: 2 },
    ],
    ...overrides,
  }
}

// refunds/create: a partial refund of one of the two masks.
function refundCreate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 901234,
    order_id: 5601234567890,
    created_at: '2026-11-23T12:00:00-05:00',
    processed_at: '2026-11-23T12:00:01-05:00',
    note: 'one mask damaged',
    restock: false,
    refund_line_items: [
      {
        id: 3301,
        line_item_id: 14002,
        quantity: 1,
        restock_type: 'no_restock',
        subtotal: '7.50',
        total_tax: '0.60',
        line_item: {
          id: 14002,
          sku: 'MASK-2PK',
          price: '7.50',
          quantity: 2,
          price_set: { shop_money: { amount: '7.50', currency_code: 'USD' } },
        },
      },
    ],
    transactions: [
      {
        id: 7701,
        kind: 'refund',
        status: 'success',
        amount: '8.10',
        currency: 'USD',
        gateway: 'shopify_payments',
        test: false,
      },
    ],
    order_adjustments: [],
    ...overrides,
  }
}

function headers(topic: string | null, extra: Record<string, string> = {}): Headers {
  const h = new Headers({
    'Content-Type': 'application/json',
    'X-Shopify-Shop-Domain': 'glow.myshopify.com',
    'X-Shopify-API-Version': '2025-10',
    'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    ...extra,
  })
  if (topic !== null) h.set('X-Shopify-Topic', topic)
  return h
}

function normalize(body: unknown, topic: string | null = 'orders/paid', extra: Record<string, string> = {}) {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body)
  return shopifyAdapter.normalize({ rawBody, headers: headers(topic, extra), clickIdParam: 'sk_cid' })
}

function firstEvent(body: unknown, topic = 'orders/paid') {
  const r = normalize(body, topic)
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`)
  expect(r.events).toHaveLength(1)
  return r.events[0]!
}

describe('shopify verify', () => {
  const body = JSON.stringify(orderPaid())
  const verify = (h: Record<string, string>, secrets = [SECRET_OLD, SECRET_NEW], raw = body) =>
    shopifyAdapter.verify({ rawBody: raw, headers: new Headers(h), secrets, now: NOW })

  test.each([
    ['X-Shopify-Hmac-Sha256', SECRET_OLD],
    ['Shopify-Hmac-Sha256', SECRET_OLD],
    ['x-shopify-hmac-sha256', SECRET_NEW],
    ['SHOPIFY-HMAC-SHA256', SECRET_NEW],
  ])('valid signature in %s', (name, secret) => {
    expect(verify({ [name]: sign(body, secret) })).toEqual({ ok: true })
  })

  test('rotation: the second secret matches when the first does not', () => {
    const sig = sign(body, SECRET_NEW)
    expect(sig).not.toBe(sign(body, SECRET_OLD))
    expect(verify({ 'X-Shopify-Hmac-Sha256': sig }, [SECRET_OLD, SECRET_NEW])).toEqual({ ok: true })
    expect(verify({ 'X-Shopify-Hmac-Sha256': sig }, [SECRET_OLD])).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    })
  })

  test('tampered body (one byte changed) → bad_signature', () => {
    const sig = sign(body, SECRET_OLD)
    const tampered = body.replace('"53.60"', '"53.61"')
    expect(tampered).not.toBe(body)
    expect(tampered.length).toBe(body.length)
    expect(verify({ 'X-Shopify-Hmac-Sha256': sig }, [SECRET_OLD], tampered)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    })
  })

  test.each([
    ['hex instead of base64', createHmac('sha256', SECRET_OLD).update(body).digest('hex')],
    ['truncated', sign(body, SECRET_OLD).slice(0, 20)],
    ['garbage', 'not-a-signature'],
    ['longer', `${sign(body, SECRET_OLD)}AAAA`],
  ])('wrong signature (%s) → bad_signature without throwing', (_label, sig) => {
    expect(verify({ 'X-Shopify-Hmac-Sha256': sig })).toMatchObject({ ok: false, reason: 'bad_signature' })
  })

  test.each([[{}], [{ 'X-Shopify-Hmac-Sha256': '' }], [{ 'X-Shopify-Hmac-Sha256': '   ' }]])(
    'missing header %j → missing_signature',
    (h) => {
      expect(verify(h)).toMatchObject({ ok: false, reason: 'missing_signature' })
    },
  )

  test('no active secret → bad_signature', () => {
    expect(verify({ 'X-Shopify-Hmac-Sha256': sign(body, SECRET_OLD) }, [])).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    })
  })

  test('signature over the exact raw bytes, including non-ASCII', () => {
    const raw = JSON.stringify(orderPaid({ note: 'Crème — 東京 🎁' }))
    expect(verify({ 'X-Shopify-Hmac-Sha256': sign(raw, SECRET_OLD) }, [SECRET_OLD], raw)).toEqual({
      ok: true,
    })
  })
})

describe('shopify normalize: orders', () => {
  test.each(['orders/paid', 'orders/create'])('%s → one sale with every field', (topic) => {
    const e = firstEvent(orderPaid(), topic)
    expect(e).toEqual({
      externalEventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      kind: 'sale',
      orderId: '5601234567890',
      subEventId: null,
      occurredAt: new Date('2026-11-22T14:58:12Z'),
      currency: 'USD',
      subtotal: '44.99',
      discount: '5.00',
      tax: '3.61',
      shipping: '5.00',
      total: '53.60',
      cumulativeRefunded: null,
      lineItems: [
        { sku: 'GLOW-30ML', quantity: 1, unitPrice: '29.99' },
        { sku: 'MASK-2PK', quantity: 2, unitPrice: '7.50' },
      ],
      clickId: CLICK,
      subId: 'story-3',
      couponCode: 'GLOW10',
      customerEmailHash: sha256('jane.doe@example.com'),
      customerIp: '203.0.113.7',
      test: false,
    })
  })

  test('un-prefixed Events headers (Shopify-Topic, Shopify-Webhook-Id)', () => {
    const h = new Headers({ 'Shopify-Topic': 'orders/paid', 'Shopify-Webhook-Id': 'evt-hook-1' })
    const r = shopifyAdapter.normalize({
      rawBody: JSON.stringify(orderPaid()),
      headers: h,
      clickIdParam: 'sk_cid',
    })
    expect(r.ok && r.events[0]?.externalEventId).toBe('evt-hook-1')
  })

  test.each([
    ['path + query', `/products/x?sk_cid=${CLICK}`, CLICK],
    ['other params around it', `/p?utm_source=a&sk_cid=${CLICK}&utm_medium=b`, CLICK],
    ['fragment after it', `/p?sk_cid=${CLICK}#top`, CLICK],
    ['fragment containing the name', `/p?a=1#sk_cid=fake`, null],
    ['full URL', `https://glow.example/p?sk_cid=${CLICK}`, CLICK],
    ['percent-encoded', `/p?sk_cid=${encodeURIComponent('a b+c/d')}`, 'a b+c/d'],
    ['empty value', `/p?sk_cid=&x=1`, null],
    ['prefix of another name', `/p?xsk_cid=nope`, null],
    ['no query', `/products/x`, null],
  ])('click id from landing_site: %s', (_label, landing, expected) => {
    expect(firstEvent(orderPaid({ landing_site: landing, note_attributes: [] })).clickId).toBe(expected)
  })

  test('click id falls back to note_attributes, landing_site wins when both', () => {
    const notes = [
      { name: 'gift', value: 'yes' },
      { name: 'sk_cid', value: 'from-note' },
    ]
    expect(firstEvent(orderPaid({ landing_site: '/p?x=1', note_attributes: notes })).clickId).toBe(
      'from-note',
    )
    expect(firstEvent(orderPaid({ landing_site: null, note_attributes: notes })).clickId).toBe('from-note')
    expect(
      firstEvent(orderPaid({ landing_site: `/p?sk_cid=${CLICK}`, note_attributes: notes })).clickId,
    ).toBe(CLICK)
  })

  test.each([
    ['/p?sub_id=s1', 's1'],
    ['/p?rsub=r9', 'r9'],
    ['/p?sk_cid=x', null],
  ])('subId from landing_site %s', (landing, expected) => {
    expect(firstEvent(orderPaid({ landing_site: landing })).subId).toBe(expected)
  })

  test('fallbacks: subtotal_price, customer.email, created_at, no discount code, test order', () => {
    const e = firstEvent(
      orderPaid({
        current_subtotal_price_set: undefined,
        email: null,
        processed_at: null,
        discount_codes: [],
        total_shipping_price_set: undefined,
        test: true,
      }),
    )
    expect(e.subtotal).toBe('45.00')
    expect(e.customerEmailHash).toBe(sha256('other@example.com'))
    expect(e.occurredAt).toEqual(new Date('2026-11-22T14:58:11Z'))
    expect(e.couponCode).toBeNull()
    expect(e.shipping).toBeNull()
    expect(e.test).toBe(true)
  })

  test('id as a string, amounts kept exactly as sent (no float rounding)', () => {
    const e = firstEvent(orderPaid({ id: '9007199254740993', total_price: '0.30', subtotal_price: '0.1' }))
    expect(e.orderId).toBe('9007199254740993')
    expect(e.total).toBe('0.30')
  })

  test('non-JSON body → 400 malformed_json', () => {
    expect(normalize('{"id": 1,')).toMatchObject({ ok: false, status: 400, code: 'malformed_json' })
    expect(normalize('[1,2]')).toMatchObject({ ok: false, status: 400, code: 'malformed_json' })
    expect(normalize('')).toMatchObject({ ok: false, status: 400, code: 'malformed_json' })
  })

  test.each([
    ['no id', { id: undefined }, ['id']],
    ['float id beyond 2^53', { id: 1e20 }, ['id']],
    ['no total', { total_price: undefined }, ['total_price']],
    ['float total', { total_price: 53.6 }, ['total_price']],
    ['no currency', { currency: '' }, ['currency']],
    ['all three', { id: null, total_price: null, currency: null }, ['id', 'total_price', 'currency']],
    ['no dates', { processed_at: null, created_at: 'not a date' }, ['created_at']],
    [
      'bad line item',
      { line_items: [{ sku: 'A', price: 'abc', quantity: 1.5 }] },
      ['line_items[0].price', 'line_items[0].quantity'],
    ],
  ])('%s → 422 with fields', (_label, overrides, fields) => {
    const r = normalize(orderPaid(overrides))
    expect(r).toMatchObject({ ok: false, status: 422, code: 'missing_fields' })
    expect(!r.ok && r.fields).toEqual(fields)
  })

  test('missing webhook id / topic headers → 422 naming them', () => {
    const h = new Headers({ 'Content-Type': 'application/json' })
    const r = shopifyAdapter.normalize({
      rawBody: JSON.stringify(orderPaid()),
      headers: h,
      clickIdParam: 'sk_cid',
    })
    expect(r).toMatchObject({ ok: false, status: 422, fields: ['X-Shopify-Webhook-Id', 'X-Shopify-Topic'] })
  })

  test.each(['orders/updated', 'orders/cancelled', 'customers/create', 'app/uninstalled'])(
    'unknown topic %s → no events',
    (topic) => {
      expect(normalize(orderPaid(), topic)).toEqual({ ok: true, events: [] })
    },
  )
})

describe('shopify normalize: refunds', () => {
  test('partial refund of one line → one refund event', () => {
    const e = firstEvent(refundCreate(), 'refunds/create')
    expect(e).toEqual({
      externalEventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      kind: 'refund',
      orderId: '5601234567890',
      subEventId: '901234',
      occurredAt: new Date('2026-11-23T17:00:01Z'),
      currency: 'USD',
      subtotal: '7.50',
      discount: null,
      tax: '0.60',
      shipping: null,
      total: '7.50',
      cumulativeRefunded: null,
      lineItems: [{ sku: 'MASK-2PK', quantity: 1, unitPrice: '7.50' }],
      clickId: null,
      subId: null,
      couponCode: null,
      customerEmailHash: null,
      customerIp: null,
      test: false,
    })
  })

  test('line subtotals are summed exactly: 19.99 + 0.01 = 20.00, and 0.1 + 0.2 = 0.3', () => {
    const line = (subtotal: string, price: string) => ({
      quantity: 1,
      subtotal,
      line_item: { sku: 'S', price, price_set: { shop_money: { amount: price, currency_code: 'EUR' } } },
    })
    const a = firstEvent(
      refundCreate({ refund_line_items: [line('19.99', '19.99'), line('0.01', '0.01')] }),
      'refunds/create',
    )
    expect(a.total).toBe('20.00')
    const b = firstEvent(
      refundCreate({ refund_line_items: [line('0.1', '0.1'), line('0.2', '0.2')] }),
      'refunds/create',
    )
    expect(b.total).toBe('0.3')
  })

  test('unit price is the line price, not subtotal / quantity', () => {
    const e = firstEvent(
      refundCreate({
        refund_line_items: [{ quantity: 3, subtotal: '10.00', line_item: { sku: 'TRIO', price: '3.34' } }],
      }),
      'refunds/create',
    )
    expect(e.lineItems).toEqual([{ sku: 'TRIO', quantity: 3, unitPrice: '3.34' }])
    expect(e.total).toBe('10.00')
  })

  test('no refund lines (shipping-only / amount refund) → sum of successful refund transactions', () => {
    const e = firstEvent(
      refundCreate({
        refund_line_items: [],
        transactions: [
          { kind: 'refund', status: 'success', amount: '4.99', currency: 'CAD' },
          { kind: 'refund', status: 'failure', amount: '100.00', currency: 'CAD' },
          { kind: 'refund', status: 'success', amount: '0.01', currency: 'CAD' },
          { kind: 'sale', status: 'success', amount: '50.00', currency: 'CAD' },
        ],
      }),
      'refunds/create',
    )
    expect(e.total).toBe('5.00')
    expect(e.currency).toBe('CAD')
    expect(e.subtotal).toBeNull()
    expect(e.lineItems).toEqual([])
  })

  test('currency falls back to the line price_set, test flag from transactions', () => {
    const withoutTx = firstEvent(refundCreate({ transactions: [] }), 'refunds/create')
    expect(withoutTx.currency).toBe('USD')
    const testTx = firstEvent(
      refundCreate({
        transactions: [{ kind: 'refund', status: 'success', amount: '8.10', currency: 'USD', test: true }],
      }),
      'refunds/create',
    )
    expect(testTx.test).toBe(true)
  })

  test.each([
    ['no order_id', { order_id: undefined }, ['order_id']],
    ['no refund id', { id: null }, ['id']],
    [
      'nothing refunded',
      { refund_line_items: [], transactions: [] },
      ['refund_line_items', 'transactions', 'currency'],
    ],
    [
      'no currency anywhere',
      {
        transactions: [],
        refund_line_items: [{ quantity: 1, subtotal: '1.00', line_item: { sku: 'x', price: '1.00' } }],
      },
      ['currency'],
    ],
    [
      'bad line subtotal',
      { refund_line_items: [{ quantity: 1, subtotal: 'x', line_item: { sku: 'x', price: '1.00' } }] },
      ['refund_line_items[0].subtotal'],
    ],
  ])('%s → 422 with fields', (_label, overrides, fields) => {
    const r = normalize(refundCreate(overrides), 'refunds/create')
    expect(r).toMatchObject({ ok: false, status: 422 })
    expect(!r.ok && r.fields).toEqual(fields)
  })
})
