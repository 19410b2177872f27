import { describe, expect, test } from 'bun:test'
import { verifyLedger } from '../../src/commissions/ledger-verify.ts'
import { settleFixture } from '../helpers/settle.ts'

const fx = await settleFixture()
const { store } = fx
let n = 0
const sale = async (over: Record<string, unknown> = {}) => {
  const order = `b-${++n}`
  const r = await fx.post({
    type: 'sale',
    order_id: order,
    occurred_at: new Date().toISOString(),
    currency: 'USD',
    total: '50.00',
    sub_id: 'ava',
    ...over,
  })
  expect(r.status).toBe(200)
  return order
}
const bounty = async (name: string, goal: object, amount: number, dates = `null, null`) => {
  const [b] = await store.query<{ id: string }>(
    `insert into bounties (program_id, name, goal, amount_minor, currency, starts_at, ends_at)
     values ($1, $2, $3::jsonb, $4, 'USD', ${dates}) returning id`,
    [fx.programId, name, JSON.stringify(goal), amount],
  )
  return b?.id ?? ''
}
const awards = (bountyId: string) =>
  store.query<{ order: string; gross: string; fee: string; net: string; status: string }>(
    `select v.external_order_id as order, c.gross_minor::text as gross, c.fee_minor::text as fee,
            c.net_minor::text as net, c.status
       from commissions c join conversions v on v.id = c.conversion_id
      where c.bounty_id = $1 order by c.id`,
    [bountyId],
  )
const deactivate = (id: string) => store.query(`update bounties set active = false where id = $1`, [id])

describe('bounties', () => {
  test('first sale: awarded once, on the sale that reached it, with the platform fee', async () => {
    const b = await bounty('first sale', { kind: 'first_sale' }, 1000)
    const first = await sale()
    await sale()
    expect(await awards(b)).toEqual([
      { order: first, gross: '1000', fee: '200', net: '800', status: 'pending' },
    ])
    await deactivate(b)
  })

  test('sales count within days: the third sale earns it, a refund of it does not take it back', async () => {
    const b = await bounty('three in 30 days', { kind: 'sales_count', value: 3, withinDays: 30 }, 2500)
    // ava already has two sales from the test above: the next one is the third.
    const third = await sale()
    await sale()
    expect((await awards(b)).map((a) => [a.order, a.gross])).toEqual([[third, '2500']])
    await fx.post({
      type: 'refund',
      order_id: third,
      refund_id: 'r',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '50.00',
    })
    expect((await awards(b))[0]?.status).toBe('pending')
    const [saleCommission] = await store.query<{ status: string }>(
      `select c.status from commissions c join conversions v on v.id = c.conversion_id
        where v.external_order_id = $1 and c.event_kind = 'sale'`,
      [third],
    )
    expect(saleCommission?.status).toBe('reversed')
    await deactivate(b)
  })

  test('revenue goal in minor units; outside its dates nothing is awarded', async () => {
    const ended = await bounty(
      'last month',
      { kind: 'first_sale' },
      500,
      `now() - interval '60 days', now() - interval '30 days'`,
    )
    const revenue = await bounty('200 revenue', { kind: 'revenue_minor', value: '20000' }, 700)
    await sale()
    expect(await awards(ended)).toEqual([])
    // Base so far: three unreversed earlier sales of 50.00 (one was refunded) + this one = 200.00.
    expect((await awards(revenue)).map((a) => a.gross)).toEqual(['700'])
  })

  test('the ledger verifies with bounty awards in it', async () => {
    const report = await verifyLedger(store.db)
    expect(report.checks.filter((c) => c.violations > 0)).toEqual([])
  })
})
