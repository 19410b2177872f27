import { describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { webhookFixture } from '../helpers/webhooks.ts'

const WHSEC = 'whsec_test_secret_for_intake'
const S2S = `whsec_${Buffer.from('s2s-device-secret-32-bytes-long!').toString('base64')}`
const { store, app } = await webhookFixture([
  { source: 'stripe', secret: WHSEC },
  { source: 's2s', secret: S2S },
])

function stripe(event: unknown) {
  const body = JSON.stringify(event)
  const t = Math.floor(Date.now() / 1000)
  const sig = createHmac('sha256', WHSEC).update(`${t}.${body}`).digest('hex')
  return app.handle(
    new Request('http://localhost/webhooks/stripe/glow-labs', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${sig}` },
    }),
  )
}

const session = {
  id: 'evt_sale_1',
  type: 'checkout.session.completed',
  created: 1795300000,
  livemode: true,
  data: {
    object: {
      id: 'cs_1',
      object: 'checkout.session',
      payment_intent: 'pi_1',
      payment_status: 'paid',
      amount_subtotal: 10000,
      amount_total: 10000,
      currency: 'usd',
      client_reference_id: null,
      metadata: {},
      customer_details: { email: 'a@b.example' },
    },
  },
}

const refunded = (evt: string, amountRefunded: number) => ({
  id: evt,
  type: 'charge.refunded',
  created: 1795300100,
  livemode: true,
  data: {
    object: {
      id: 'ch_1',
      object: 'charge',
      payment_intent: 'pi_1',
      amount: 10000,
      amount_refunded: amountRefunded,
      currency: 'usd',
      metadata: {},
    },
  },
})

const refunds = async () =>
  store.query<{ total: string; parent: string | null }>(
    `select total, parent_conversion_id as parent from conversions where kind = 'refund' and external_order_id = 'pi_1' order by created_at`,
  )

describe('Stripe through the intake', () => {
  test("running amount_refunded becomes each refund's own amount, once", async () => {
    expect((await stripe(session)).status).toBe(200)
    expect((await stripe(refunded('evt_r1', 2500))).status).toBe(200)
    expect((await stripe(refunded('evt_r2', 4000))).status).toBe(200)
    expect((await stripe(refunded('evt_r2', 4000))).status).toBe(202)
    const rows = await refunds()
    expect(rows.map((r) => r.total)).toEqual(['25.0000', '15.0000'])
    expect(rows.every((r) => r.parent !== null)).toBe(true)
  })
})

describe('our S2S API (Standard Webhooks) through the intake', () => {
  test('a signed sale is stored; the same webhook-id again is a 202', async () => {
    const body = JSON.stringify({
      type: 'sale',
      order_id: 'srv-77',
      occurred_at: '2026-11-21T12:00:00Z',
      currency: 'EUR',
      total: '42.00',
      items: [{ sku: 'TONER', quantity: 2, unit_price: '21.00' }],
    })
    const id = 'msg_2x7'
    const ts = String(Math.floor(Date.now() / 1000))
    const key = Buffer.from(S2S.slice('whsec_'.length), 'base64')
    const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')
    const send = () =>
      app.handle(
        new Request('http://localhost/webhooks/s2s/glow-labs', {
          method: 'POST',
          body,
          headers: { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` },
        }),
      )
    expect((await send()).status).toBe(200)
    expect((await send()).status).toBe(202)
    const [row] = await store.query<{ total: string; currency: string }>(
      `select total, currency from conversions where external_order_id = 'srv-77'`,
    )
    expect(row).toEqual({ total: '42.0000', currency: 'EUR' })
  })
})

test('POST /api/v1/events/conversion is the same S2S intake, merchant named in a header', async () => {
  const body = JSON.stringify({
    type: 'lead',
    order_id: 'lead-9',
    occurred_at: '2026-11-21T12:00:00Z',
    currency: 'USD',
    total: '0.00',
  })
  const id = 'msg_api_1'
  const ts = String(Math.floor(Date.now() / 1000))
  const sig = createHmac('sha256', Buffer.from(S2S.slice('whsec_'.length), 'base64'))
    .update(`${id}.${ts}.${body}`)
    .digest('base64')
  const headers = { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` }
  const send = (h: Record<string, string>) =>
    app.handle(new Request('http://localhost/api/v1/events/conversion', { method: 'POST', body, headers: h }))
  expect((await send({ ...headers, 'x-skinstack-merchant': 'glow-labs' })).status).toBe(200)
  expect((await send({ ...headers, 'x-skinstack-merchant': 'glow-labs' })).status).toBe(202)
  const missing = await send(headers)
  expect(missing.status).toBe(400)
  expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('missing_merchant')
  const [row] = await store.query<{ kind: string }>(
    `select kind from conversions where external_order_id = 'lead-9'`,
  )
  expect(row?.kind).toBe('lead')
})
