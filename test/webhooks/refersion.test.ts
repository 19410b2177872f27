import { describe, expect, test } from 'bun:test'
import { createHash, createHmac } from 'node:crypto'
import { refersionAdapter } from '../../src/webhooks/networks/refersion.ts'

const SECRET_A = 'rfsk_merchant_secret_A'
const SECRET_B = 'rfsk_merchant_secret_B_rotated'
const NOW = Date.UTC(2026, 0, 1)

// Shaped like Refersion's order payload: unit prices per item, currency_code, our click id in aff_sub.
const ORDER = {
  order_id: '10045',
  cart_id: 'c-88f1',
  currency_code: 'usd',
  items: [
    { sku: 'SERUM-30', quantity: 3, price: '19.99' },
    { sku: 'MASK-5', quantity: 2, price: '7.005' },
  ],
  coupon_code: 'MIA10',
  customer: { email: 'Mia@Example.com', first_name: 'Mia' },
  status: 'PENDING',
  created_at: '2026-01-01 10:00:00',
  aff_sub: 'c1.kid1.abc',
  rsub: 'glowwithmia',
}
const BODY = JSON.stringify(ORDER)
const hmacHex = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex')

const verify = (h: Record<string, string>, body = BODY, secrets: readonly string[] = [SECRET_A]) =>
  refersionAdapter.verify({ rawBody: body, headers: new Headers(h), secrets, now: NOW })
const normalize = (
  body: unknown,
  topic: string | null = 'order.created',
  extra: Record<string, string> = {},
) =>
  refersionAdapter.normalize({
    rawBody: typeof body === 'string' ? body : JSON.stringify(body),
    headers: new Headers({
      'content-type': 'application/json',
      ...(topic ? { 'Refersion-Topic': topic } : {}),
      ...extra,
    }),
    clickIdParam: 'sskid',
  })
const event = (r: ReturnType<typeof normalize>) => (r.ok ? r.events[0] : undefined)

describe('refersion verify', () => {
  test.each([
    [
      'shared secret header',
      { 'Refersion-Public-Key': 'pub_x', 'Refersion-Secret-Key': SECRET_A },
      [SECRET_A],
    ],
    ['shared secret, rotated (second secret)', { 'Refersion-Secret-Key': SECRET_B }, [SECRET_A, SECRET_B]],
    ['HMAC hex of the body', { 'Refersion-Signature': hmacHex(SECRET_A, BODY) }, [SECRET_A]],
    [
      'HMAC upper-case hex with sha256= prefix',
      { 'Refersion-Signature': `sha256=${hmacHex(SECRET_A, BODY).toUpperCase()}` },
      [SECRET_A],
    ],
    ['HMAC with the second secret', { 'Refersion-Signature': hmacHex(SECRET_B, BODY) }, [SECRET_A, SECRET_B]],
    [
      'bad secret key but a good HMAC',
      { 'Refersion-Secret-Key': 'nope', 'Refersion-Signature': hmacHex(SECRET_A, BODY) },
      [SECRET_A],
    ],
  ] as const)('%s → ok', (_, h, secrets) => {
    expect(verify(h, BODY, secrets)).toEqual({ ok: true })
  })

  test.each([
    ['wrong shared secret', { 'Refersion-Secret-Key': 'rfsk_merchant_secret_' }, BODY],
    [
      'public key is not a credential',
      { 'Refersion-Public-Key': SECRET_A, 'Refersion-Secret-Key': 'x' },
      BODY,
    ],
    ['tampered body', { 'Refersion-Signature': hmacHex(SECRET_A, BODY) }, BODY.replace('19.99', '199.9')],
    ['HMAC with an unknown secret', { 'Refersion-Signature': hmacHex('other', BODY) }, BODY],
    ['non-hex signature', { 'Refersion-Signature': 'zzz' }, BODY],
  ] as const)('%s → bad_signature', (_, h, body) => {
    expect(verify(h, body)).toMatchObject({ ok: false, reason: 'bad_signature' })
  })

  test('no credential headers → missing_signature', () => {
    expect(verify({ 'Refersion-Public-Key': 'pub_x' })).toMatchObject({
      ok: false,
      reason: 'missing_signature',
    })
  })
})

describe('refersion normalize', () => {
  test('order created → a sale; total is the exact item sum', () => {
    expect(normalize(ORDER)).toEqual({
      ok: true,
      events: [
        {
          externalEventId: 'order.created:10045',
          kind: 'sale',
          orderId: '10045',
          subEventId: null,
          occurredAt: new Date('2026-01-01T10:00:00Z'),
          currency: 'USD',
          subtotal: '73.98', // 3 × 19.99 + 2 × 7.005
          discount: null,
          tax: null,
          shipping: null,
          total: '73.98',
          cumulativeRefunded: null,
          lineItems: [
            { sku: 'SERUM-30', quantity: 3, unitPrice: '19.99' },
            { sku: 'MASK-5', quantity: 2, unitPrice: '7.005' },
          ],
          clickId: 'c1.kid1.abc',
          subId: 'glowwithmia',
          couponCode: 'MIA10',
          customerEmailHash: createHash('sha256').update('mia@example.com').digest('hex'),
          customerIp: null,
          test: false,
        },
      ],
    })
  })

  test('3 × "19.99" = "59.97" exactly', () => {
    const r = normalize({ ...ORDER, items: [{ sku: 'S', quantity: 3, price: '19.99' }] })
    expect(event(r)).toMatchObject({ total: '59.97', subtotal: '59.97' })
  })

  test('an explicit total wins over the item sum; an explicit id is the dedupe key', () => {
    const r = normalize({ ...ORDER, id: 'evt_991', total: '70.00', subtotal: '73.98' })
    expect(event(r)).toMatchObject({ externalEventId: 'evt_991', total: '70.00', subtotal: '73.98' })
    expect(event(normalize({ ...ORDER, event_id: 5521 }))?.externalEventId).toBe('5521')
  })

  test('without total or items, subtotal is the total', () => {
    const { items: _, ...rest } = ORDER
    expect(event(normalize({ ...rest, subtotal: '12.5' }))).toMatchObject({ total: '12.50', lineItems: [] })
  })

  test.each(['order.created', 'order.approved', 'conversion.approved', 'Order Created'])(
    'topic %p → sale',
    (topic) => {
      expect(event(normalize(ORDER, topic))?.kind).toBe('sale')
    },
  )

  test.each(['DENIED', 'UNQUALIFIED', 'denied'])('status %p → no billable events', (status) => {
    expect(normalize({ ...ORDER, status })).toEqual({ ok: true, events: [] })
  })

  test.each(['order.updated', 'affiliate.created.not'.replace('created', 'signup'), 'payment.sent'])(
    'unrelated topic %p → no events',
    (topic) => {
      expect(normalize(ORDER, topic)).toEqual({ ok: true, events: [] })
    },
  )

  test.each([
    ['order.refunded', {}, '10045:refund'],
    ['conversion.reversal', { refund_id: 'r-77' }, 'r-77'],
  ])('topic %p → refund with subEventId %p', (topic, extra, subEventId) => {
    const r = normalize({ ...ORDER, ...extra, status: 'DENIED', total: '-19.99' }, topic)
    expect(event(r)).toMatchObject({ kind: 'refund', subEventId, total: '19.99', orderId: '10045' })
    expect(event(r)?.externalEventId).toBe(`${topic}:10045`)
  })

  test('created_at absent: the HTTP Date header, else 422', () => {
    const { created_at: _, ...rest } = ORDER
    const r = normalize(rest, 'order.created', { date: 'Thu, 01 Jan 2026 12:00:00 GMT' })
    expect(event(r)?.occurredAt).toEqual(new Date('2026-01-01T12:00:00Z'))
    expect(normalize(rest)).toMatchObject({ status: 422, code: 'missing_fields', fields: ['created_at'] })
  })

  test('ISO created_at with an offset', () => {
    expect(event(normalize({ ...ORDER, created_at: '2026-01-01T10:00:00-05:00' }))?.occurredAt).toEqual(
      new Date('2026-01-01T15:00:00Z'),
    )
  })

  test('a numeric order id (exact integer) is accepted as a string', () => {
    expect(event(normalize({ ...ORDER, order_id: 10045 }))?.orderId).toBe('10045')
  })

  test('affiliate_code stands in for a coupon; clickIdParam is a fallback for aff_sub', () => {
    const { coupon_code: _, aff_sub: __, ...rest } = ORDER
    expect(event(normalize({ ...rest, affiliate_code: 'MIA', sskid: 'c1.x' }))).toMatchObject({
      couponCode: 'MIA',
      clickId: 'c1.x',
    })
  })

  test.each(['{', 'nope', '[]'])('malformed body %p → 400', (body) => {
    expect(normalize(body)).toMatchObject({ ok: false, status: 400, code: 'malformed_json' })
  })

  test('missing fields → 422 with exact names', () => {
    expect(normalize({ created_at: '2026-01-01T00:00:00Z' })).toMatchObject({
      ok: false,
      status: 422,
      code: 'missing_fields',
      fields: ['order_id', 'currency_code', 'total'],
    })
  })

  test('missing Refersion-Topic header → 422', () => {
    expect(normalize(ORDER, null)).toMatchObject({
      status: 422,
      code: 'missing_fields',
      fields: ['Refersion-Topic'],
    })
  })

  test.each([
    [{ total: 59.97 }, 'total'],
    [{ subtotal: 59.97 }, 'subtotal'],
    [{ items: [{ sku: 'S', quantity: 3, price: 19.99 }] }, 'items[0].price'],
    [{ items: [{ sku: 'S', quantity: '3x', price: '19.99' }] }, 'items[0].quantity'],
    [{ total: '19.99999' }, 'total'],
    [{ total: '-1.00' }, 'total'],
    [{ currency_code: 'US' }, 'currency_code'],
    [{ created_at: 'yesterday' }, 'created_at'],
    [{ aff_sub: 123 }, 'aff_sub'],
  ])('invalid %p → 422 naming %s', (patch, field) => {
    expect(normalize({ ...ORDER, ...patch })).toMatchObject({ ok: false, status: 422, fields: [field] })
  })
})
