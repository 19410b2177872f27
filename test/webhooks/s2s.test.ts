import { describe, expect, test } from 'bun:test'
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { s2sAdapter, normalizeDecimal } from '../../src/webhooks/networks/s2s.ts'

// Signatures are computed here independently of the adapter, following the Standard Webhooks spec.
const KEY_A = randomBytes(24)
const KEY_B = randomBytes(32)
const SECRET_A = `whsec_${KEY_A.toString('base64')}`
const SECRET_B = `whsec_${KEY_B.toString('base64')}`
const NOW_S = 1_767_225_600 // 2026-01-01T00:00:00Z
const NOW = NOW_S * 1000

function sign(key: Buffer | string, id: string, ts: number | string, body: string): string {
  return createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')
}

function headers(over: Record<string, string | null> = {}, body = SALE_BODY): Headers {
  const id = over['webhook-id'] ?? 'msg_2a9XyZ'
  const ts = over['webhook-timestamp'] ?? String(NOW_S)
  const h: Record<string, string | null> = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': ts,
    'webhook-signature': `v1,${sign(KEY_A, id, ts, body)}`,
    ...over,
  }
  const out = new Headers()
  for (const [k, v] of Object.entries(h)) if (v !== null) out.set(k, v)
  return out
}

const SALE = {
  type: 'sale',
  order_id: 'ORD-1001',
  occurred_at: '2026-01-01T00:00:00Z',
  currency: 'usd',
  subtotal: '59.97',
  discount: '5.00',
  tax: '4.40',
  shipping: '0',
  total: '59.37',
  items: [{ sku: 'SERUM-30', quantity: 3, unit_price: '19.99' }],
  click_id: 'c1.kid1.abc',
  sub_id: 'glowwithmia',
  coupon: 'MIA10',
  customer_email: '  Mia@Example.COM ',
}
const SALE_BODY = JSON.stringify(SALE)

const verify = (h: Headers, body = SALE_BODY, secrets = [SECRET_A], now = NOW) =>
  s2sAdapter.verify({ rawBody: body, headers: h, secrets, now })
const normalize = (body: unknown, h = headers()) =>
  s2sAdapter.normalize({
    rawBody: typeof body === 'string' ? body : JSON.stringify(body),
    headers: h,
    clickIdParam: 'sskid',
  })

describe('s2s verify', () => {
  test('valid signature with a whsec_ secret', () => {
    expect(verify(headers())).toEqual({ ok: true })
  })

  test('rotation: a signature from the second active secret passes', () => {
    const h = headers({ 'webhook-signature': `v1,${sign(KEY_B, 'msg_2a9XyZ', NOW_S, SALE_BODY)}` })
    expect(verify(h, SALE_BODY, [SECRET_A, SECRET_B])).toEqual({ ok: true })
    expect(verify(h, SALE_BODY, [SECRET_A]).ok).toBe(false)
  })

  test('several signatures in the header: any match passes', () => {
    const good = sign(KEY_B, 'msg_2a9XyZ', NOW_S, SALE_BODY)
    const bogus = randomBytes(32).toString('base64')
    const h = headers({ 'webhook-signature': `v1,${bogus} v2,${good.slice(3)} v1,${good}` })
    expect(verify(h, SALE_BODY, [SECRET_B])).toEqual({ ok: true })
    expect(
      verify(headers({ 'webhook-signature': `v1,${bogus} v1,${bogus}` }), SALE_BODY, [SECRET_B]).ok,
    ).toBe(false)
  })

  test('a secret without the whsec_ prefix is used as raw UTF-8 bytes', () => {
    const raw = 'plain-shared-secret'
    const h = headers({ 'webhook-signature': `v1,${sign(Buffer.from(raw), 'msg_2a9XyZ', NOW_S, SALE_BODY)}` })
    expect(verify(h, SALE_BODY, [raw])).toEqual({ ok: true })
  })

  test.each([
    ['tampered body', SALE_BODY.replace('59.37', '593.70'), {}],
    ['signed with another id', SALE_BODY, { 'webhook-id': 'msg_other' }],
    ['wrong signature', SALE_BODY, { 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` }],
    ['signature over another timestamp', SALE_BODY, { 'webhook-timestamp': String(NOW_S - 10) }],
  ] as const)('%s → bad_signature', (_, body, over) => {
    const h = headers()
    for (const [k, v] of Object.entries(over)) h.set(k, v)
    expect(verify(h, body)).toMatchObject({ ok: false, reason: 'bad_signature' })
  })

  test('no secrets configured → bad_signature', () => {
    expect(verify(headers(), SALE_BODY, [])).toMatchObject({ ok: false, reason: 'bad_signature' })
  })

  test.each([
    ['webhook-signature', 'missing_signature'],
    ['webhook-id', 'missing_header'],
    ['webhook-timestamp', 'missing_header'],
  ] as const)('missing %s → %s', (name, reason) => {
    const h = headers()
    h.delete(name)
    expect(verify(h)).toMatchObject({ ok: false, reason })
  })

  test.each(['v1', 'v2,abc', 'v1,', ''])(
    'signature header %p without a v1 signature → missing_signature',
    (value) => {
      expect(verify(headers({ 'webhook-signature': value }))).toMatchObject({
        ok: false,
        reason: 'missing_signature',
      })
    },
  )

  test.each([
    ['301 s old', NOW_S - 301, false],
    ['301 s in the future', NOW_S + 301, false],
    ['300 s old', NOW_S - 300, true],
    ['300 s in the future', NOW_S + 300, true],
  ] as const)('timestamp %s → ok=%p', (_, ts, ok) => {
    // Correctly signed for its own timestamp: only the clock check can reject it.
    const h = headers({ 'webhook-timestamp': String(ts) })
    h.set('webhook-signature', `v1,${sign(KEY_A, 'msg_2a9XyZ', ts, SALE_BODY)}`)
    const result = verify(h)
    if (ok) expect(result).toEqual({ ok: true })
    else expect(result).toMatchObject({ ok: false, reason: 'stale_timestamp' })
  })

  test('a non-numeric timestamp is refused', () => {
    expect(verify(headers({ 'webhook-timestamp': '2026-01-01T00:00:00Z' })).ok).toBe(false)
  })
})

describe('s2s normalize', () => {
  test('a sale, exact amounts, hashed email', () => {
    const result = normalize(SALE)
    expect(result).toEqual({
      ok: true,
      events: [
        {
          externalEventId: 'msg_2a9XyZ',
          kind: 'sale',
          orderId: 'ORD-1001',
          subEventId: null,
          occurredAt: new Date('2026-01-01T00:00:00Z'),
          currency: 'USD',
          subtotal: '59.97',
          discount: '5.00',
          tax: '4.40',
          shipping: '0.00',
          total: '59.37',
          cumulativeRefunded: null,
          lineItems: [{ sku: 'SERUM-30', quantity: 3, unitPrice: '19.99' }],
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

  test.each([
    ['refund', { refund_id: 'RF-7' }, 'RF-7'],
    ['subscription_renewal', { invoice_id: 'INV-2026-01' }, 'INV-2026-01'],
    ['lead', {}, null],
  ] as const)('%s carries subEventId %p', (type, extra, subEventId) => {
    const result = normalize({ ...SALE, type, ...extra })
    expect(result.ok && result.events[0]).toMatchObject({ kind: type, subEventId })
  })

  test.each([
    ['refund', 'refund_id'],
    ['subscription_renewal', 'invoice_id'],
  ])('%s without %s → 422', (type, field) => {
    expect(normalize({ ...SALE, type })).toMatchObject({
      ok: false,
      status: 422,
      code: 'missing_fields',
      fields: [field],
    })
  })

  test('the email may come pre-hashed', () => {
    const hash = createHash('sha256').update('mia@example.com').digest('hex')
    const { customer_email: _, ...rest } = SALE
    const result = normalize({ ...rest, customer_email_sha256: hash.toUpperCase() })
    expect(result.ok && result.events[0]!.customerEmailHash).toBe(hash)
    expect(normalize({ ...rest, customer_email_sha256: 'nothex' })).toMatchObject({
      fields: ['customer_email_sha256'],
    })
  })

  test('test events are flagged; optional fields default to null', () => {
    const result = normalize({
      type: 'sale',
      order_id: 'O',
      occurred_at: '2026-01-01T01:00:00+01:00',
      currency: 'EUR',
      total: '10',
      test: true,
    })
    expect(result.ok && result.events[0]).toMatchObject({
      test: true,
      total: '10.00',
      subtotal: null,
      discount: null,
      lineItems: [],
      clickId: null,
      customerEmailHash: null,
      customerIp: null,
      occurredAt: new Date('2026-01-01T00:00:00Z'),
    })
  })

  test.each(['{"type":', 'not json', '', '[1,2]', '"sale"', 'null'])('malformed body %p → 400', (body) => {
    expect(normalize(body)).toMatchObject({ ok: false, status: 400, code: 'malformed_json' })
  })

  test('missing fields → 422 listing exactly those', () => {
    expect(normalize({ type: 'sale', items: [] })).toEqual({
      ok: false,
      status: 422,
      code: 'missing_fields',
      message: 'missing fields: order_id, occurred_at, currency, total',
      fields: ['order_id', 'occurred_at', 'currency', 'total'],
    })
  })

  test('missing webhook-id header → 422', () => {
    const h = headers()
    h.delete('webhook-id')
    expect(normalize(SALE, h)).toMatchObject({ status: 422, code: 'missing_fields', fields: ['webhook-id'] })
  })

  test.each([
    ['total', 59.37],
    ['subtotal', 5997],
    ['tax', 4.4],
  ])('a JSON number for %s → 422 naming it', (field, value) => {
    expect(normalize({ ...SALE, [field]: value })).toMatchObject({
      status: 422,
      code: 'invalid_fields',
      fields: [field],
    })
  })

  test('a JSON number for an item price → 422 naming it', () => {
    const items = [
      { sku: 'A', quantity: 1, unit_price: '1.00' },
      { sku: 'B', quantity: 1, unit_price: 19.99 },
    ]
    expect(normalize({ ...SALE, items })).toMatchObject({
      code: 'invalid_fields',
      fields: ['items[1].unit_price'],
    })
  })

  test.each([
    ['total', '1e3'],
    ['total', '1.23456'],
    ['total', '12,50'],
    ['total', '.5'],
    ['total', '-5.00'],
    ['total', ' '],
    ['type', 'purchase'],
    ['occurred_at', '2026-01-01'],
    ['occurred_at', '2026-01-01T00:00:00'],
    ['occurred_at', '2026-13-01T00:00:00Z'],
    ['currency', 'dollars'],
    ['order_id', 1001],
    ['click_id', 42],
    ['test', 'yes'],
    ['items', 'SERUM'],
  ] as const)('invalid %s = %p → 422', (field, value) => {
    const result = normalize({ ...SALE, [field]: value })
    expect(result).toMatchObject({ ok: false, status: 422 })
    if (!result.ok) expect(result.fields).toEqual([field])
  })

  test.each([
    [{ sku: 'A', quantity: 0, unit_price: '1.00' }, 'items[0].quantity'],
    [{ sku: 'A', quantity: 1.5, unit_price: '1.00' }, 'items[0].quantity'],
    [{ sku: 'A', quantity: 1 }, 'items[0].unit_price'],
  ])('invalid item %p → %s', (item, field) => {
    expect(normalize({ ...SALE, items: [item] })).toMatchObject({ status: 422, fields: [field] })
  })
})

describe('decimal normalization', () => {
  test.each([
    ['100', '100.00'],
    ['100.5', '100.50'],
    ['19.9900', '19.99'],
    ['0.1234', '0.1234'],
    ['0.120', '0.12'],
    ['007.10', '7.10'],
    ['-0', '0.00'],
    ['-3.5', '-3.50'],
    ['123456789012345678901234.99', '123456789012345678901234.99'],
    ['1.23456', null],
    ['1.', null],
    ['+1', null],
    ['1e2', null],
    ['', null],
  ])('%p → %p', (input, expected) => {
    expect(normalizeDecimal(input)).toBe(expected)
  })
})
