import { describe, expect, test } from 'bun:test'
import { approveDue } from '../../src/commissions/service.ts'
import { reverseCommission } from '../../src/commissions/review.ts'
import type { Payout } from '../../src/db/schema/index.ts'
import { emitEvent } from '../../src/events/emit.ts'
import { type DomainEvent, domainEvent, EVENTS_CHANNEL } from '../../src/events/types.ts'
import { recordResult } from '../../src/payouts/record.ts'
import { testAdminKey } from '../helpers/app.ts'
import { one } from '../helpers/settle.ts'
import { outboundFixture, until } from './fixtures.ts'

// Events are written by the transactions that make the changes: one outbox row per subscribed endpoint, and a
// NOTIFY for the live feed, both on commit only.
const fx = await outboundFixture()
const { store, call, keys } = fx
const notified: DomainEvent[] = []
await store.listen(EVENTS_CHANNEL, (p) => notified.push(JSON.parse(p)))

const create = async (key: string, body: Record<string, unknown>) => {
  const r = await call('POST', '/webhook-endpoints', key, { url: 'https://hooks.example/in', ...body })
  expect(r.status).toBe(201)
  return r.body.id as string
}
const all = ['conversion.created', 'commission.approved', 'commission.reversed', 'payout.paid']
const merchantEp = await create(keys.merchant, { events: ['conversion.created', 'commission.approved'] })
const merchantAllEp = await create(keys.merchant, { events: all })
const payoutsOnly = await create(keys.merchant, { events: ['payout.paid'] })
const disabledEp = await create(keys.merchant, { events: all })
expect(
  (await call('PATCH', `/webhook-endpoints/${disabledEp}`, keys.merchant, { enabled: false })).status,
).toBe(200)
const otherEp = await create(keys.otherMerchant, { events: all })
const avaEp = await create(keys.ava, { events: all })
const benEp = await create(keys.ben, { events: ['conversion.created'] })

interface Row {
  endpoint_id: string
  event_type: string
  payload: { type: string; timestamp: string; data: Record<string, any> }
}
const deliveries = (type: string, where = 'true') =>
  store.query<Row>(
    `select endpoint_id, event_type, payload from webhook_deliveries where event_type = $1 and ${where} order by id`,
    [type],
  )
const byEndpoint = (rows: Row[]) => new Map(rows.map((r) => [r.endpoint_id, r.payload]))

describe('events from settlement', () => {
  test('a new conversion: one delivery per subscribed endpoint; influencers see only their own figures', async () => {
    const conversionId = await fx.sharedSale('evt-1')
    const rows = await deliveries('conversion.created')
    expect(rows.map((r) => r.endpoint_id).sort()).toEqual([merchantEp, merchantAllEp, avaEp, benEp].sort())
    const got = byEndpoint(rows)
    const full = got.get(merchantEp)!
    expect(full.type).toBe('conversion.created')
    expect(full.data).toMatchObject({
      merchantId: fx.merchantId,
      conversionId,
      kind: 'sale',
      orderId: 'evt-1',
      currency: 'USD',
      totalMinor: '10000',
      programId: fx.programId,
    })
    // Linear over two clicks: half of $100.00 each, 20 % → 10.00 gross, 8.00 net after the 20 % fee.
    const figures = (p: Row['payload']) =>
      (p.data.influencers as any[])
        .map((i) => [i.influencerId, i.weight, i.billable, i.commission?.grossMinor, i.commission?.netMinor])
        .sort()
    expect(figures(full)).toEqual(
      [
        [fx.influencerId, '1/2', true, '1000', '800'],
        [fx.benId, '1/2', true, '1000', '800'],
      ].sort(),
    )
    expect(figures(got.get(avaEp)!)).toEqual([[fx.influencerId, '1/2', true, '1000', '800']])
    expect(figures(got.get(benEp)!)).toEqual([[fx.benId, '1/2', true, '1000', '800']])
    // Every copy is the same event: one id, one timestamp.
    const ids = new Set(rows.map((r) => r.payload.data.eventId))
    expect(ids.size).toBe(1)
    expect(new Set(rows.map((r) => r.payload.timestamp)).size).toBe(1)
    // The feed got the DomainEvent itself, once, after commit.
    const [eventId] = [...ids]
    const seen = await until(
      async () => notified.filter((e) => e.id === eventId),
      (l) => l.length > 0,
    )
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      type: 'conversion.created',
      merchantId: fx.merchantId,
      data: { conversionId, totalMinor: '10000' },
    })
    expect([...(seen[0]?.influencerIds ?? [])].sort()).toEqual([fx.influencerId, fx.benId].sort())
  })

  test('a replayed delivery of the same order announces nothing again', async () => {
    const before = (await deliveries('conversion.created')).length
    const r = await fx.post({
      type: 'sale',
      order_id: 'evt-1',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '100.00',
      sub_id: 'ava',
    })
    expect(r.status).toBe(200)
    expect((await deliveries('conversion.created')).length).toBe(before)
  })

  test('an event in a rolled-back transaction leaves no delivery and no notification', async () => {
    const doomed = domainEvent('conversion.created', {
      merchantId: fx.merchantId,
      influencerIds: [fx.influencerId],
      data: { conversionId: 'x', influencers: [] },
    })
    await expect(
      store.db.transaction(async (tx) => {
        expect(await emitEvent(tx, doomed)).toBe(2 + 1) // merchant ×2 + ava; ben is not named
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    // Notifications arrive in commit order: once a later committed event is seen, the doomed one never will be.
    const marker = domainEvent('payout.paid', { merchantId: null, influencerIds: [], data: {} })
    await store.db.transaction((tx) => emitEvent(tx, marker))
    await until(
      async () => notified.some((e) => e.id === marker.id),
      (v) => v,
    )
    expect(notified.some((e) => e.id === doomed.id)).toBe(false)
    expect(await deliveries('conversion.created', `payload->'data'->>'eventId' = '${doomed.id}'`)).toEqual([])
  })

  test('approval: commission.approved to the merchant and to each influencer for their own commission', async () => {
    // ben's by hand (the merchant approves early), ava's by the approver job.
    const bens = await one<{ id: string }>(
      store,
      `select id from commissions where influencer_id = $1 and status = 'pending'`,
      [fx.benId],
    )
    const manual = await fx.rt.app.handle(
      new Request(`http://localhost/api/v1/commissions/${bens.id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${testAdminKey}` },
      }),
    )
    expect(manual.status).toBe(200)
    expect(await approveDue(store.db, new Date())).toBe(1)
    const rows = await deliveries('commission.approved')
    const endpoints = rows.map((r) => r.endpoint_id)
    expect(endpoints.filter((e) => e === merchantEp)).toHaveLength(2)
    expect(endpoints.filter((e) => e === merchantAllEp)).toHaveLength(2)
    // ben subscribed to conversions only; ava gets hers.
    const avas = rows.filter((r) => r.endpoint_id === avaEp)
    expect(avas).toHaveLength(1)
    expect(avas[0]?.payload.data).toMatchObject({
      influencerId: fx.influencerId,
      status: 'approved',
      grossMinor: '1000',
      feeMinor: '200',
      netMinor: '800',
      merchantId: fx.merchantId,
    })
    expect(rows.filter((r) => r.endpoint_id === merchantEp).map((r) => r.payload.data.influencerId)).toEqual([
      fx.benId,
      fx.influencerId,
    ])
    expect(endpoints.some((e) => e === otherEp || e === disabledEp || e === payoutsOnly)).toBe(false)
  })

  test('reversals: a partial refund and then the rest, each announced, `full` on the last', async () => {
    const r = await fx.post({
      type: 'refund',
      order_id: 'evt-1',
      refund_id: 'rf-1',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '25.00',
    })
    expect(r.status).toBe(200)
    const partial = (await deliveries('commission.reversed')).filter((x) => x.endpoint_id === avaEp)
    expect(partial).toHaveLength(1)
    expect(partial[0]?.payload.data).toMatchObject({
      full: false,
      afterPayout: false,
      reversedGrossMinor: '250',
      reversedNetMinor: '200',
      remainingGrossMinor: '750',
      remainingNetMinor: '600',
      status: 'approved',
    })
    const c = await one<{ id: string }>(
      store,
      `select id from commissions where influencer_id = $1 and event_kind = 'sale' and conversion_id =
         (select id from conversions where external_order_id = 'evt-1' and kind = 'sale')`,
      [fx.influencerId],
    )
    await reverseCommission(store.db, c.id, 'fraud review')
    const ava = (await deliveries('commission.reversed')).filter((x) => x.endpoint_id === avaEp)
    expect(
      ava.map((x) => [x.payload.data.full, x.payload.data.status, x.payload.data.remainingGrossMinor]),
    ).toEqual([
      [false, 'approved', '750'],
      [true, 'reversed', '0'],
    ])
    // The merchant endpoint subscribed to everything hears of both influencers' partial reversals and the full one.
    expect((await deliveries('commission.reversed', `endpoint_id = '${merchantAllEp}'`)).length).toBe(3)
    expect((await deliveries('commission.reversed', `endpoint_id = '${merchantEp}'`)).length).toBe(0)
  })

  test('payout.paid goes to the influencer only, once', async () => {
    const [p] = await store.query<{ id: string }>(
      `insert into payouts (influencer_id, period, currency, method, gross_minor, net_minor, idempotency_key)
       values ($1, '2099-01', 'USD', 'manual', 1600, 1600, 'evt-payout') returning id`,
      [fx.influencerId],
    )
    const [payout] = await store.db.query.payouts.findMany({ where: (t, { eq }) => eq(t.id, p!.id) })
    await recordResult(store.db, payout as Payout, { status: 'paid', providerRef: 'bank-1' })
    await recordResult(store.db, payout as Payout, { status: 'paid', providerRef: 'bank-1' })
    const rows = await deliveries('payout.paid')
    expect(rows.map((r) => r.endpoint_id)).toEqual([avaEp])
    expect(rows[0]?.payload.data).toMatchObject({
      payoutId: p!.id,
      influencerId: fx.influencerId,
      netMinor: '1600',
      providerRef: 'bank-1',
      merchantId: null,
    })
  })
})
