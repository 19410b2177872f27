import { describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { impactAdapter } from '../../src/webhooks/networks/impact.ts'

const CRED_A = 'IRx7Fq2AccountSID1:AuthTokenAAAA'
const CRED_B = 'IRx7Fq2AccountSID1:AuthTokenBBBB-rotated'
const basic = (cred: string) => `Basic ${Buffer.from(cred, 'utf8').toString('base64')}`
const JSON_TYPE = 'application/json; charset=utf-8'
const FORM_TYPE = 'application/x-www-form-urlencoded'
const SHA1 = createHash('sha1').update('mia@example.com').digest('hex')

// Shaped like Impact's conversion fields (PROTOCOLS.md): our click id in SubId1, Impact's in ClickId.
const CONVERSION = {
  CampaignId: '12345',
  ActionTrackerId: '67890',
  ActionId: '12345.6789.101112',
  ClickId: 'Q2xpY2tJZA',
  OrderId: 'ORD-2001',
  EventDate: '2026-01-01T10:30:00-08:00',
  CurrencyCode: 'usd',
  Amount: '54.97',
  OrderSubTotalPostDiscount: '54.97',
  OrderPromoCode: 'MIA10',
  SubId1: 'c1.kid1.abc',
  SubId2: 'glowwithmia',
  CustomerEmail: SHA1.toUpperCase(),
  Items: [
    { Sku: 'SERUM-30', Price: '19.99', Quantity: 2 },
    { Sku: 'MASK-5', Price: '14.99', Quantity: '1' },
  ],
}

const verify = (authorization: string | null, secrets = [CRED_A]) =>
  impactAdapter.verify({
    rawBody: '{}',
    headers: new Headers(authorization === null ? {} : { authorization }),
    secrets,
    now: 0,
  })
const normalize = (body: unknown, contentType: string | null = JSON_TYPE) =>
  impactAdapter.normalize({
    rawBody: typeof body === 'string' ? body : JSON.stringify(body),
    headers: new Headers(contentType === null ? {} : { 'content-type': contentType }),
    clickIdParam: 'sskid',
  })
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const event = (r: ReturnType<typeof normalize>) => (r.ok ? r.events[0] : undefined)

describe('impact verify', () => {
  test('valid Basic credentials', () => expect(verify(basic(CRED_A))).toEqual({ ok: true }))
  test('rotation: the second AuthToken passes', () => {
    expect(verify(basic(CRED_B), [CRED_A, CRED_B])).toEqual({ ok: true })
    expect(verify(basic(CRED_B), [CRED_A]).ok).toBe(false)
  })
  test.each([
    ['wrong token', basic('IRx7Fq2AccountSID1:AuthTokenAAAB')],
    ['prefix of the credential', basic('IRx7Fq2AccountSID1:AuthToken')],
    ['SID only', basic('IRx7Fq2AccountSID1')],
    ['Bearer scheme', `Bearer ${Buffer.from(CRED_A).toString('base64')}`],
    ['not base64', 'Basic ***'],
  ])('%s → bad_signature', (_, auth) => {
    expect(verify(auth)).toMatchObject({ ok: false, reason: 'bad_signature' })
  })
  test('no Authorization header → missing_signature', () => {
    expect(verify(null)).toMatchObject({ ok: false, reason: 'missing_signature' })
  })
})

describe('impact normalize', () => {
  test('JSON body with an Items array', () => {
    expect(normalize(CONVERSION)).toEqual({
      ok: true,
      events: [
        {
          externalEventId: '12345.6789.101112',
          kind: 'sale',
          orderId: 'ORD-2001',
          subEventId: null,
          occurredAt: new Date('2026-01-01T18:30:00Z'),
          currency: 'USD',
          subtotal: '54.97',
          discount: null,
          tax: null,
          shipping: null,
          total: '54.97',
          cumulativeRefunded: null,
          lineItems: [
            { sku: 'SERUM-30', quantity: 2, unitPrice: '19.99' },
            { sku: 'MASK-5', quantity: 1, unitPrice: '14.99' },
          ],
          clickId: 'c1.kid1.abc',
          subId: 'glowwithmia',
          couponCode: 'MIA10',
          customerEmailHash: SHA1,
          customerIp: null,
          test: false,
        },
      ],
    })
  })

  test('form body with ItemSku1..n (1-based), values exact', () => {
    const body = form({
      CampaignId: '12345',
      EventTypeId: '555',
      ClickId: 'Q2xpY2tJZA',
      OrderId: 'ORD-2002',
      EventDate: '2026-01-01T00:00:00Z',
      CurrencyCode: 'EUR',
      OrderSubTotalPostDiscount: '59.97',
      ItemSku1: 'SERUM-30',
      ItemPrice1: '19.99',
      ItemQuantity1: '3',
      ItemSku2: 'GIFT',
      ItemPrice2: '0',
      ItemQuantity2: '1',
      SubId1: 'c1.kid1.xyz',
      CustomerEmail: 'Mia@Example.com ',
    })
    expect(event(normalize(body, FORM_TYPE))).toMatchObject({
      externalEventId: 'ORD-2002:555',
      orderId: 'ORD-2002',
      currency: 'EUR',
      total: '59.97',
      subtotal: '59.97',
      lineItems: [
        { sku: 'SERUM-30', quantity: 3, unitPrice: '19.99' },
        { sku: 'GIFT', quantity: 1, unitPrice: '0.00' },
      ],
      clickId: 'c1.kid1.xyz',
      subId: 'Q2xpY2tJZA', // Impact's ClickId, since SubId2 is absent
      customerEmailHash: createHash('sha256').update('mia@example.com').digest('hex'),
      customerIp: null,
    })
  })

  test('form body with ItemSku[0] style (0-based) and + for spaces', () => {
    const body =
      'OrderId=O-3&EventDate=2026-01-01T00%3A00%3A00Z&CurrencyCode=USD&Amount=10.5' +
      '&ItemSku%5B0%5D=A+B&ItemPrice%5B0%5D=10.50&ItemQuantity%5B0%5D=1&OrderPromoCode=SUMMER+SALE'
    expect(event(normalize(body, FORM_TYPE))).toMatchObject({
      externalEventId: 'O-3:sale',
      total: '10.50',
      subtotal: null,
      lineItems: [{ sku: 'A B', quantity: 1, unitPrice: '10.50' }],
      couponCode: 'SUMMER SALE',
      clickId: null,
      subId: null,
    })
  })

  test.each([
    ['EventType', 'REVERSAL'],
    ['ActionType', 'Refund'],
  ])('%s=%s → refund with a positive amount and its own dedupe key', (field, value) => {
    const { ActionId: _, ...rest } = CONVERSION
    const r = normalize({ ...rest, [field]: value, Amount: '-19.99', OrderSubTotalPostDiscount: '-19.99' })
    expect(event(r)).toMatchObject({
      kind: 'refund',
      total: '19.99',
      subtotal: '19.99',
      externalEventId: 'ORD-2001:67890:refund',
      subEventId: 'ORD-2001:refund',
    })
  })

  test('a SHA-256 CustomerEmail passes through lower-cased', () => {
    const sha = createHash('sha256').update('mia@example.com').digest('hex')
    expect(event(normalize({ ...CONVERSION, CustomerEmail: sha.toUpperCase() }))?.customerEmailHash).toBe(sha)
  })

  test.each([
    ['text/plain', 'unsupported_media_type'],
    ['multipart/form-data; boundary=x', 'unsupported_media_type'],
    [null, 'unsupported_media_type'],
  ])('content type %p → 400 %s', (type, code) => {
    expect(normalize(CONVERSION, type)).toMatchObject({ ok: false, status: 400, code })
  })

  test.each(['{"OrderId":', 'OrderId=1', '[]'])('malformed JSON %p → 400', (body) => {
    expect(normalize(body)).toMatchObject({ ok: false, status: 400, code: 'malformed_json' })
  })

  test('a bad percent-escape in a form → 400', () => {
    expect(normalize('OrderId=%E0%A4%A&Amount=1', FORM_TYPE)).toMatchObject({
      status: 400,
      code: 'malformed_form',
    })
  })

  test('missing fields → 422 with exact names (JSON and form)', () => {
    const expected = {
      status: 422,
      code: 'missing_fields',
      fields: ['OrderId', 'EventDate', 'CurrencyCode', 'Amount'],
    }
    expect(normalize({ CampaignId: '1' })).toMatchObject(expected)
    expect(normalize('CampaignId=1&OrderId=&Amount=', FORM_TYPE)).toMatchObject(expected)
  })

  test.each([
    [{ Amount: 54.97 }, 'Amount'],
    [{ Amount: undefined, OrderSubTotalPostDiscount: 54.97 }, 'OrderSubTotalPostDiscount'],
    [{ Items: [{ Sku: 'A', Price: 19.99, Quantity: 1 }] }, 'Items[0].Price'],
    [{ Items: [{ Sku: 'A', Price: '19.99', Quantity: 0 }] }, 'Items[0].Quantity'],
    [{ Items: undefined, ItemSku1: 'A', ItemPrice1: 5, ItemQuantity1: 1 }, 'ItemPrice1'],
    [{ Items: undefined, ItemSku2: 'A', ItemQuantity2: 1 }, 'ItemPrice2'],
    [{ Amount: '1.00001' }, 'Amount'],
    [{ Amount: '-1.00' }, 'Amount'],
    [{ EventDate: '01/01/2026' }, 'EventDate'],
    [{ EventDate: '2026-01-01T10:30:00' }, 'EventDate'],
    [{ CurrencyCode: 'EURO' }, 'CurrencyCode'],
    [{ SubId1: 7 }, 'SubId1'],
  ])('invalid %p → 422 naming %s', (patch, field) => {
    expect(normalize({ ...CONVERSION, ...patch })).toMatchObject({ ok: false, status: 422, fields: [field] })
  })

  test('a form ItemPrice with too many decimals → 422 naming it', () => {
    const body = form({
      OrderId: 'O',
      EventDate: '2026-01-01T00:00:00Z',
      CurrencyCode: 'USD',
      Amount: '1',
      ItemPrice1: '1.123456',
      ItemQuantity1: '1',
    })
    expect(normalize(body, FORM_TYPE)).toMatchObject({
      status: 422,
      code: 'invalid_fields',
      fields: ['ItemPrice1'],
    })
  })
})
