import { describe, expect, test } from 'bun:test'
import { createHash, createHmac } from 'node:crypto'
import {
  compareDecimals,
  constantTimeEqualStrings,
  currencyExponent,
  hashEmail,
  minorUnitsToDecimal,
  stripeCurrencyExponent,
  subtractDecimals,
  sumDecimals,
  toDecimalString,
} from '../../src/webhooks/networks/amounts.ts'
import { stripeAdapter } from '../../src/webhooks/networks/stripe.ts'

const SECRET_OLD = 'whsec_5Bq9OldSecretKeyMaterial0000000'
const SECRET_NEW = 'whsec_7Zr2NewSecretKeyMaterial1111111'
const CLICK = 'ck1.k2.StripeClick_9.sig'
const T = 1_795_000_000 // unix seconds
const NOW = T * 1000

// Independent of the adapter: Stripe's documented scheme with node:crypto (the whole whsec_ string is the key).
function v1(body: string, secret: string, t = T): string {
  return createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex')
}
function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

function envelope(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: 'evt_1QaBcDeFgHiJkLmN',
    object: 'event',
    api_version: '2024-06-20',
    created: T,
    livemode: true,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
    ...extra,
  }
}

function checkoutSession(overrides: Record<string, unknown> = {}) {
  return {
    id: 'cs_live_a1B2c3',
    object: 'checkout.session',
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    payment_intent: 'pi_3QaBcD',
    subscription: null,
    customer: null,
    client_reference_id: CLICK,
    currency: 'usd',
    amount_subtotal: 4999,
    amount_total: 5349,
    total_details: { amount_discount: 500, amount_shipping: 500, amount_tax: 350 },
    customer_details: { email: 'Buyer@Example.com ', name: 'B. Uyer', address: { country: 'US' } },
    metadata: { coupon: 'SPRING5', sub_id: 'yt-42' },
    created: T - 120,
    ...overrides,
  }
}

function invoice(overrides: Record<string, unknown> = {}) {
  return {
    id: 'in_1QcreateAAA',
    object: 'invoice',
    billing_reason: 'subscription_create',
    status: 'paid',
    subscription: 'sub_1QxYz',
    customer: 'cus_Q1',
    customer_email: 'sub@example.com',
    currency: 'eur',
    subtotal: 1999,
    total: 2379,
    tax: 380,
    total_discount_amounts: [],
    metadata: {},
    subscription_details: { metadata: { sk_cid: CLICK } },
    status_transitions: { paid_at: T - 30, finalized_at: T - 60 },
    lines: {
      object: 'list',
      data: [
        {
          id: 'il_1',
          amount: 1999,
          quantity: 1,
          price: { id: 'price_M', product: 'prod_Glow', unit_amount: 1999 },
        },
      ],
    },
    ...overrides,
  }
}

function charge(
  amountRefunded: number,
  refunds: unknown[] | undefined,
  overrides: Record<string, unknown> = {},
) {
  return {
    id: 'ch_3QaBcD',
    object: 'charge',
    amount: 5349,
    amount_captured: 5349,
    amount_refunded: amountRefunded,
    refunded: amountRefunded === 5349,
    currency: 'usd',
    payment_intent: 'pi_3QaBcD',
    billing_details: { email: 'buyer@example.com' },
    metadata: {},
    ...(refunds === undefined ? {} : { refunds: { object: 'list', data: refunds, has_more: false } }),
    ...overrides,
  }
}

function normalize(body: unknown) {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body)
  return stripeAdapter.normalize({ rawBody, headers: new Headers(), clickIdParam: 'sk_cid' })
}
function only(body: unknown) {
  const r = normalize(body)
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`)
  expect(r.events).toHaveLength(1)
  return r.events[0]!
}

describe('stripe verify', () => {
  const body = JSON.stringify(envelope('checkout.session.completed', checkoutSession()))
  const verify = (
    header: string | null,
    opts: { secrets?: string[]; now?: number; raw?: string; name?: string } = {},
  ) =>
    stripeAdapter.verify({
      rawBody: opts.raw ?? body,
      headers: new Headers(header === null ? {} : { [opts.name ?? 'Stripe-Signature']: header }),
      secrets: opts.secrets ?? [SECRET_OLD, SECRET_NEW],
      now: opts.now ?? NOW,
    })

  test.each(['Stripe-Signature', 'stripe-signature', 'STRIPE-SIGNATURE'])(
    'valid signature, header %s',
    (name) => {
      expect(verify(`t=${T},v1=${v1(body, SECRET_OLD)}`, { name })).toEqual({ ok: true })
    },
  )

  test('rotation: second secret matches, first does not', () => {
    const header = `t=${T},v1=${v1(body, SECRET_NEW)}`
    expect(verify(header)).toEqual({ ok: true })
    expect(verify(header, { secrets: [SECRET_OLD] })).toMatchObject({ ok: false, reason: 'bad_signature' })
  })

  test.each([
    ['first v1 matches', () => `t=${T},v1=${v1(body, SECRET_OLD)},v1=${'0'.repeat(64)}`],
    ['second v1 matches', () => `t=${T},v1=${'a'.repeat(64)},v1=${v1(body, SECRET_NEW)}`],
    ['v0 scheme ignored', () => `t=${T},v0=${'f'.repeat(64)},v1=${v1(body, SECRET_NEW)}`],
    ['spaces after commas', () => `t=${T}, v1=${v1(body, SECRET_OLD)}`],
    ['upper-case hex', () => `t=${T},v1=${v1(body, SECRET_OLD).toUpperCase()}`],
  ])('multiple / variant v1 values: %s', (_label, header) => {
    expect(verify(header())).toEqual({ ok: true })
  })

  test('only non-matching v1 values → bad_signature', () => {
    expect(verify(`t=${T},v1=${'a'.repeat(64)},v1=${'b'.repeat(64)}`)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    })
  })

  test('tampered body (one byte changed) → bad_signature', () => {
    const tampered = body.replace('5349', '5348')
    expect(tampered.length).toBe(body.length)
    expect(verify(`t=${T},v1=${v1(body, SECRET_OLD)}`, { raw: tampered })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    })
  })

  test('timestamp is signed: same v1 with another t → bad_signature', () => {
    expect(verify(`t=${T + 1},v1=${v1(body, SECRET_OLD)}`)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    })
  })

  test.each([
    ['300 s old is accepted', -300_000, true],
    ['300 s ahead is accepted', 300_000, true],
    ['301 s old is stale', -301_000, false],
    ['301 s in the future is stale', 301_000, false],
    ['a day old is stale', -86_400_000, false],
  ])('tolerance: %s', (_label, offsetMs, ok) => {
    // the signature is made at T; the receiver's clock is T - offset
    const r = verify(`t=${T},v1=${v1(body, SECRET_OLD)}`, { now: NOW - offsetMs })
    if (ok) expect(r).toEqual({ ok: true })
    else expect(r).toMatchObject({ ok: false, reason: 'stale_timestamp' })
  })

  test.each([
    ['no v1', `t=${T}`],
    ['no t', `v1=${'a'.repeat(64)}`],
    ['non-numeric t', `t=abc,v1=${'a'.repeat(64)}`],
    ['not key=value', 'garbage'],
    ['empty v1', `t=${T},v1=`],
  ])('malformed header (%s) → bad_signature', (_label, header) => {
    expect(verify(header)).toMatchObject({ ok: false, reason: 'bad_signature' })
  })

  test.each([[null], ['']])('missing header %p → missing_signature', (header) => {
    expect(verify(header)).toMatchObject({ ok: false, reason: 'missing_signature' })
  })

  test('a truncated v1 (different length) is a mismatch, not a throw', () => {
    expect(verify(`t=${T},v1=${v1(body, SECRET_OLD).slice(0, 63)}`)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    })
  })
})

describe('stripe normalize: checkout.session.completed', () => {
  test('paid session → one sale with every field', () => {
    expect(only(envelope('checkout.session.completed', checkoutSession()))).toEqual({
      externalEventId: 'evt_1QaBcDeFgHiJkLmN',
      kind: 'sale',
      orderId: 'pi_3QaBcD',
      subEventId: null,
      occurredAt: new Date(T * 1000),
      currency: 'USD',
      // amount_subtotal 49.99 is before the 5.00 discount; ours is after it.
      subtotal: '44.99',
      discount: '5.00',
      tax: '3.50',
      shipping: '5.00',
      total: '53.49',
      cumulativeRefunded: null,
      lineItems: [],
      clickId: CLICK,
      subId: 'yt-42',
      couponCode: 'SPRING5',
      customerEmailHash: sha256('buyer@example.com'),
      customerIp: null,
      test: false,
    })
  })

  test.each([
    ['usd', 1999, '19.99'],
    ['usd', 1, '0.01'],
    ['usd', 0, '0.00'],
    ['jpy', 1500, '1500'],
    ['krw', 50000, '50000'],
    ['vnd', 250000, '250000'],
    ['kwd', 1234, '1.234'],
    ['bhd', 5, '0.005'],
    ['eur', 9007199254740991, '90071992547409.91'],
  ])('%s %d minor units → total %s', (currency, minor, expected) => {
    const e = only(envelope('checkout.session.completed', checkoutSession({ currency, amount_total: minor })))
    expect(e.total).toBe(expected)
    expect(e.currency).toBe(currency.toUpperCase())
  })

  test.each([
    ['unpaid', 0],
    ['no_payment_required', 1],
    ['paid', 1],
  ])('payment_status %s → %d events', (status, count) => {
    const r = normalize(envelope('checkout.session.completed', checkoutSession({ payment_status: status })))
    expect(r.ok && r.events.length).toBe(count)
  })

  test('order id and click id fallbacks; test mode; absent totals', () => {
    const e = only(
      envelope(
        'checkout.session.completed',
        checkoutSession({
          payment_intent: null,
          client_reference_id: null,
          metadata: { sk_cid: 'from-metadata' },
          total_details: null,
          amount_subtotal: undefined,
          customer_details: null,
        }),
        { livemode: false },
      ),
    )
    expect(e.orderId).toBe('cs_live_a1B2c3')
    expect(e.clickId).toBe('from-metadata')
    expect(e.test).toBe(true)
    expect([e.subtotal, e.discount, e.tax, e.shipping, e.couponCode, e.customerEmailHash]).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ])
  })

  test('subscription-mode session is keyed on the subscription (same order as invoice.paid create)', () => {
    const e = only(
      envelope(
        'checkout.session.completed',
        checkoutSession({ mode: 'subscription', payment_intent: null, subscription: 'sub_1QxYz' }),
      ),
    )
    expect(e.orderId).toBe('sub_1QxYz')
    expect(only(envelope('invoice.paid', invoice())).orderId).toBe('sub_1QxYz')
  })

  test('an expanded payment_intent object is read by its id', () => {
    const e = only(
      envelope(
        'checkout.session.completed',
        checkoutSession({ payment_intent: { id: 'pi_exp', object: 'payment_intent' } }),
      ),
    )
    expect(e.orderId).toBe('pi_exp')
  })

  test.each([
    ['no currency', { currency: null }, ['data.object.currency']],
    ['no amount_total', { amount_total: undefined }, ['data.object.amount_total']],
    ['fractional amount_total', { amount_total: 19.99 }, ['data.object.amount_total']],
    ['string amount_total', { amount_total: '1999' }, []],
  ])('%s', (_label, overrides, fields) => {
    const r = normalize(envelope('checkout.session.completed', checkoutSession(overrides)))
    if (fields.length === 0) {
      expect(r.ok).toBe(true)
      return
    }
    expect(r).toMatchObject({ ok: false, status: 422, code: 'missing_fields' })
    expect(!r.ok && r.fields).toEqual(fields)
  })
})

describe('stripe normalize: invoice.paid', () => {
  test('subscription_create → sale keyed on the subscription', () => {
    expect(only(envelope('invoice.paid', invoice()))).toEqual({
      externalEventId: 'evt_1QaBcDeFgHiJkLmN',
      kind: 'sale',
      orderId: 'sub_1QxYz',
      subEventId: null,
      occurredAt: new Date((T - 30) * 1000),
      currency: 'EUR',
      subtotal: '19.99',
      discount: '0.00',
      tax: '3.80',
      shipping: null,
      total: '23.79',
      cumulativeRefunded: null,
      lineItems: [{ sku: 'prod_Glow', quantity: 1, unitPrice: '19.99' }],
      clickId: CLICK,
      subId: null,
      couponCode: null,
      customerEmailHash: sha256('sub@example.com'),
      customerIp: null,
      test: false,
    })
  })

  test('subscription_cycle → subscription_renewal with the invoice as subEventId', () => {
    const e = only(
      envelope(
        'invoice.paid',
        invoice({
          id: 'in_1QrenewBBB',
          billing_reason: 'subscription_cycle',
          metadata: { sk_cid: 'inv-meta' },
        }),
        {
          id: 'evt_renew',
        },
      ),
    )
    expect(e).toMatchObject({
      externalEventId: 'evt_renew',
      kind: 'subscription_renewal',
      orderId: 'sub_1QxYz',
      subEventId: 'in_1QrenewBBB',
      total: '23.79',
      clickId: 'inv-meta',
    })
  })

  test('newer API shape: parent.subscription_details and total_taxes', () => {
    const e = only(
      envelope(
        'invoice.paid',
        invoice({
          billing_reason: 'subscription_cycle',
          subscription: undefined,
          subscription_details: undefined,
          tax: undefined,
          total_taxes: [{ amount: 200 }, { amount: 180 }],
          total_discount_amounts: [{ amount: 100 }],
          parent: {
            type: 'subscription_details',
            subscription_details: { subscription: 'sub_new', metadata: { sk_cid: 'p' } },
          },
        }),
      ),
    )
    expect(e).toMatchObject({
      kind: 'subscription_renewal',
      orderId: 'sub_new',
      tax: '3.80',
      discount: '1.00',
      clickId: 'p',
    })
  })

  test('one-off invoice without a subscription → sale keyed on the invoice', () => {
    const e = only(
      envelope(
        'invoice.paid',
        invoice({ billing_reason: 'manual', subscription: null, subscription_details: null }),
      ),
    )
    expect(e).toMatchObject({ kind: 'sale', orderId: 'in_1QcreateAAA', subEventId: null })
  })

  test.each([
    ['no total', { total: null }, ['data.object.total']],
    [
      'no id, no currency',
      { id: undefined, currency: undefined },
      ['data.object.id', 'data.object.currency'],
    ],
  ])('%s → 422', (_label, overrides, fields) => {
    const r = normalize(envelope('invoice.paid', invoice(overrides)))
    expect(r).toMatchObject({ ok: false, status: 422 })
    expect(!r.ok && r.fields).toEqual(fields)
  })
})

describe('stripe normalize: charge.refunded', () => {
  test('partial then full refund: running amount_refunded as total and cumulativeRefunded', () => {
    const first = only(
      envelope('charge.refunded', charge(1000, [{ id: 're_1', amount: 1000 }]), {
        id: 'evt_ref1',
        created: T + 100,
      }),
    )
    expect(first).toEqual({
      externalEventId: 'evt_ref1',
      kind: 'refund',
      orderId: 'pi_3QaBcD',
      subEventId: 're_1',
      occurredAt: new Date((T + 100) * 1000),
      currency: 'USD',
      subtotal: null,
      discount: null,
      tax: null,
      shipping: null,
      total: '10.00',
      cumulativeRefunded: '10.00',
      lineItems: [],
      clickId: null,
      subId: null,
      couponCode: null,
      customerEmailHash: sha256('buyer@example.com'),
      customerIp: null,
      test: false,
    })
    const full = only(
      envelope(
        'charge.refunded',
        charge(5349, [
          { id: 're_2', amount: 4349 },
          { id: 're_1', amount: 1000 },
        ]),
        { id: 'evt_ref2' },
      ),
    )
    expect(full).toMatchObject({ subEventId: 're_2', total: '53.49', cumulativeRefunded: '53.49' })
  })

  test('without refunds.data (API ≥ 2022-11-15) the sub-event id is charge:running total', () => {
    const a = only(envelope('charge.refunded', charge(1000, undefined)))
    const b = only(envelope('charge.refunded', charge(5349, undefined)))
    expect(a.subEventId).toBe('ch_3QaBcD:1000')
    expect(b.subEventId).toBe('ch_3QaBcD:5349')
  })

  test('charge with no payment_intent is keyed on the charge; JPY amounts', () => {
    const e = only(envelope('charge.refunded', charge(1500, [], { payment_intent: null, currency: 'jpy' })))
    expect(e).toMatchObject({
      orderId: 'ch_3QaBcD',
      subEventId: 'ch_3QaBcD:1500',
      total: '1500',
      currency: 'JPY',
    })
  })

  test.each([
    ['no amount_refunded', { amount_refunded: undefined }, ['data.object.amount_refunded']],
    ['no currency', { currency: undefined }, ['data.object.currency']],
  ])('%s → 422', (_label, overrides, fields) => {
    const r = normalize(envelope('charge.refunded', charge(1000, [], overrides)))
    expect(r).toMatchObject({ ok: false, status: 422 })
    expect(!r.ok && r.fields).toEqual(fields)
  })
})

describe('stripe normalize: envelope', () => {
  test.each([
    'customer.created',
    'payment_intent.succeeded',
    'charge.succeeded',
    'invoice.created',
    'checkout.session.expired',
  ])('unknown type %s → no events', (type) => {
    expect(normalize(envelope(type, { id: 'x_1', object: 'thing' }))).toEqual({ ok: true, events: [] })
  })

  test.each(['{"id":"evt_1",', 'null', '"evt"', '[]', ''])('malformed JSON %p → 400', (raw) => {
    expect(normalize(raw)).toMatchObject({ ok: false, status: 400, code: 'malformed_json' })
  })

  test.each([
    ['no id', { id: undefined }, ['id']],
    ['no type', { type: '' }, ['type']],
    ['no created', { created: null }, ['created']],
    ['no data.object', { data: {} }, ['data.object']],
  ])('envelope %s → 422', (_label, extra, fields) => {
    const r = normalize(envelope('checkout.session.completed', checkoutSession(), extra))
    expect(r).toMatchObject({ ok: false, status: 422 })
    expect(!r.ok && r.fields).toEqual(fields)
  })
})

describe('amounts helpers', () => {
  test.each([
    [['19.99', '0.01'], '20.00'],
    [['0.1', '0.2'], '0.3'],
    [['1', '0.005'], '1.005'],
    [['-5.00', '2.5'], '-2.50'],
    [[], '0'],
    [['90071992547409.91', '0.09'], '90071992547410.00'],
  ])('sumDecimals(%j) = %s', (values, expected) => {
    expect(sumDecimals(values)).toBe(expected)
  })

  test('subtract and compare', () => {
    expect(subtractDecimals('53.49', '10.00')).toBe('43.49')
    expect(subtractDecimals('10', '10.50')).toBe('-0.50')
    expect(compareDecimals('1.50', '1.5')).toBe(0)
    expect(compareDecimals('0.3', '0.29')).toBe(1)
    expect(() => sumDecimals(['1e3'])).toThrow()
  })

  test.each([
    ['USD', 2],
    ['jpy', 0],
    ['KRW', 0],
    ['VND', 0],
    ['CLP', 0],
    ['BHD', 3],
    ['KWD', 3],
    ['JOD', 3],
    ['OMR', 3],
    ['TND', 3],
    ['GBP', 2],
  ])('ISO exponent of %s is %d', (code, exp) => {
    expect(currencyExponent(code)).toBe(exp)
  })

  test('minor units: negatives, bigint, Stripe exceptions, non-integers refused', () => {
    expect(minorUnitsToDecimal(-1234, 'KWD')).toBe('-1.234')
    expect(minorUnitsToDecimal(123456789012345678901234567890n, 'USD')).toBe(
      '1234567890123456789012345678.90',
    )
    expect(minorUnitsToDecimal(5, 'USD')).toBe('0.05')
    expect(minorUnitsToDecimal(12.5, 'USD')).toBeNull()
    expect(minorUnitsToDecimal(null, 'USD')).toBeNull()
    expect(minorUnitsToDecimal(100, 'ISK')).toBe('100')
    expect(minorUnitsToDecimal(10000, 'ISK', stripeCurrencyExponent)).toBe('100.00')
    expect(minorUnitsToDecimal(100, 'MGA', stripeCurrencyExponent)).toBe('100')
  })

  test('toDecimalString accepts decimal strings and safe integers only', () => {
    expect(toDecimalString(' 19.99 ')).toBe('19.99')
    expect(toDecimalString(20)).toBe('20')
    expect(toDecimalString(19.99)).toBeNull()
    expect(toDecimalString('1e2')).toBeNull()
    expect(toDecimalString('')).toBeNull()
  })

  test('hashEmail and constant-time compare', () => {
    expect(hashEmail('  A@B.co ')).toBe(sha256('a@b.co'))
    expect(hashEmail('   ')).toBeNull()
    expect(hashEmail(undefined)).toBeNull()
    expect(constantTimeEqualStrings('abc', 'abc')).toBe(true)
    expect(constantTimeEqualStrings('abc', 'abd')).toBe(false)
    expect(constantTimeEqualStrings('abc', 'abcd')).toBe(false)
  })
})
