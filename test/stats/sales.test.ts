import { describe, expect, test } from 'bun:test'
import { divRoundHalfEven } from '../../src/shared/money.ts'
import { one, settleFixture } from '../helpers/settle.ts'
import { salesMismatches, stats } from './helpers.ts'

const fx = await settleFixture()
const admin = { authorization: 'Bearer test-admin-key-0123456789abcdef', 'content-type': 'application/json' }
const api = (path: string, body?: unknown) =>
  fx.app.handle(
    new Request(`http://localhost/api/v1${path}`, {
      method: 'POST',
      headers: admin,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  )

const sale = async (order: string, total = '100.00') => {
  const r = await fx.post({
    type: 'sale',
    order_id: order,
    occurred_at: new Date(Date.now() - 60_000).toISOString(),
    currency: 'USD',
    total,
    sub_id: 'ava',
  })
  if (r.status !== 200) throw new Error(`sale ${order}: ${r.status} ${JSON.stringify(r.body)}`)
  const c = await one<{ id: string }>(
    fx.store,
    `select c.id from commissions c join conversions v on v.id = c.conversion_id where v.external_order_id = $1`,
    [order],
  )
  return c.id
}

/** The rollup's buckets for the demo program: status → [commissions, revenue, net, reversed net]. */
const buckets = async () => {
  await fx.store.query('select sales_rollups_fold(true)')
  const rows = await fx.store.query<{ status: string; n: string; rev: string; net: string; rnet: string }>(
    `select status, sum(commissions)::text as n, sum(revenue_minor)::text as rev, sum(net_minor)::text as net,
            sum(reversed_net_minor)::text as rnet
       from sales_rollups_hourly where program_id = $1 group by status having sum(commissions) <> 0`,
    [fx.programId],
  )
  return Object.fromEntries(rows.map((r) => [r.status, [r.n, r.rev, r.net, r.rnet].map(Number)]))
}

describe('sales rollups follow commission writes', () => {
  test('insert → pending, approve → approved, paid, full reversal → reversed; always equal to the commissions', async () => {
    const a = await sale('s-1')
    const b = await sale('s-2', '50.00')
    const c = await sale('s-3', '19.99')
    // 20 % commission rounded half-to-even (19.99 → 4.00 gross), 20 % fee: nets 1600, 800 and 320.
    expect(await buckets()).toEqual({ pending: [3, 16999, 1600 + 800 + 320, 0] })
    expect(await salesMismatches(fx.store)).toBe(0)

    expect((await api(`/commissions/${a}/approve`)).status).toBe(200)
    expect(await buckets()).toEqual({ pending: [2, 6999, 1120, 0], approved: [1, 10000, 1600, 0] })

    await fx.store.query(`update commissions set status = 'paid', paid_at = now() where id = $1`, [a])
    expect(await buckets()).toEqual({ pending: [2, 6999, 1120, 0], paid: [1, 10000, 1600, 0] })

    expect((await api(`/commissions/${b}/reverse`, { reason: 'fraud review' })).status).toBe(200)
    expect(await buckets()).toEqual({
      pending: [1, 1999, 320, 0],
      paid: [1, 10000, 1600, 0],
      reversed: [1, 5000, 800, 800],
    })
    expect(await salesMismatches(fx.store)).toBe(0)

    // An update that moves nothing (payout bookkeeping) leaves the rollup alone.
    await fx.store.query(`update commissions set updated_at = now() where id = $1`, [c])
    expect(await salesMismatches(fx.store)).toBe(0)
  })

  test('a partial refund keeps the status and records what was taken back', async () => {
    const id = await sale('s-4')
    const before = await buckets()
    const r = await fx.post({
      type: 'refund',
      order_id: 's-4',
      refund_id: 'rf-1',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '25.00',
    })
    expect(r.status).toBe(200)
    const status = await one<{ status: string }>(fx.store, 'select status from commissions where id = $1', [
      id,
    ])
    expect(status.status).toBe('pending')
    const after = await buckets()
    expect(after.pending?.[3]).toBe((before.pending?.[3] ?? 0) + 400)
    expect(await salesMismatches(fx.store)).toBe(0)
  })

  test('the summary reports the same money per status, net of partial reversals', async () => {
    const res = await stats(fx.app, `/summary?programId=${fx.programId}`)
    expect(res.status).toBe(200)
    // The fully reversed 50.00 sale no longer counts; the partly refunded one does, in full.
    expect(res.body.conversions).toBe(3)
    expect(res.body.money.USD).toMatchObject({
      conversions: 3,
      revenue: String(10000 + 1999 + 10000),
      aov: String(divRoundHalfEven(21999n, 3n)),
      commissions: { pending: String(320 + 1600 - 400), approved: '0', paid: '1600', reversed: '1200' },
      earned: String(320 + 1200 + 1600),
    })
    // Without clicks there is no rate and no EPC.
    expect(res.body.conversionRate).toBeNull()
    expect(res.body.money.USD.epc).toBeNull()
  })

  test('a migration-style rebuild from the commissions gives the same rollup', async () => {
    await fx.store.query('select sales_rollups_fold(true)')
    const [{ n: before } = { n: '' }] = await fx.store.query<{ n: string }>(
      `select string_agg(concat_ws(',', hour, status, commissions, revenue_minor, net_minor, reversed_net_minor), ';'
                         order by hour, status) as n from sales_rollups_hourly where commissions <> 0`,
    )
    await fx.store.query('delete from sales_rollups_hourly')
    await fx.store.query(`select sales_rollup_apply('{}'::commissions[], array(select c from commissions c))`)
    await fx.store.query('select sales_rollups_fold(true)')
    const [{ n: after } = { n: '' }] = await fx.store.query<{ n: string }>(
      `select string_agg(concat_ws(',', hour, status, commissions, revenue_minor, net_minor, reversed_net_minor), ';'
                         order by hour, status) as n from sales_rollups_hourly where commissions <> 0`,
    )
    expect(after).toBe(before)
  })
})

describe('clicks and sales together', () => {
  test('conversion rate, EPC, top links and products for a sale attributed by click id', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000)
    for (let i = 0; i < 10; i++) await fx.plantClick(twoHoursAgo, { ipHash: `visitor-${i}` })
    const click = await fx.plantClick(new Date(Date.now() - 3_600_000), { ipHash: 'buyer' })
    const r = await fx.post({
      type: 'sale',
      order_id: 's-click',
      occurred_at: new Date(Date.now() - 60_000).toISOString(),
      currency: 'USD',
      total: '80.00',
      click_id: click.token,
    })
    expect(r.status).toBe(200)
    const link = await stats(fx.app, `/summary?linkId=${fx.linkId}`)
    expect(link.body).toMatchObject({
      clicks: 11,
      humanClicks: 11,
      uniqueClicks: 11,
      conversions: 1,
      conversionRate: '0.090909',
    })
    // 80.00 × 20 % = 16.00 gross, 3.20 fee, 12.80 net; EPC = 1280 / 11 = 116.3636… cents.
    expect(link.body.money.USD).toMatchObject({
      revenue: '8000',
      aov: '8000',
      earned: '1280',
      epc: '116.3636',
      gross: '1600',
      fee: '320',
    })
    const top = await stats(fx.app, `/top-links?programId=${fx.programId}&sort=conversions`)
    expect(top.body.data[0]).toMatchObject({ linkId: fx.linkId, clicks: 11, conversions: 1 })
    expect(top.body.data[0].money.USD.revenue).toBe('8000')
    const [product] = await fx.store.query<{ id: string }>(
      `insert into products (merchant_id, sku, name) values ($1, 'serum', 'Serum') returning id`,
      [fx.merchantId],
    )
    await fx.store.query('update tracking_links set product_id = $1 where id = $2', [product?.id, fx.linkId])
    const products = await stats(fx.app, `/top-products?programId=${fx.programId}`)
    expect(products.body.data[0]).toMatchObject({ productId: product?.id, clicks: 11, conversions: 1 })
    expect(products.body.data[0].money.USD.earned).toBe('1280')
    const csv = await stats(fx.app, `/top-products?programId=${fx.programId}&format=csv`)
    const [head, row] = csv.text.trim().split('\n')
    expect(head).toContain('USD_revenue,USD_aov,USD_earned,USD_epc,USD_pending')
    expect(row).toContain(',8000,8000,1280,116.3636,1280,')
    const day = await stats(fx.app, `/timeseries?linkId=${fx.linkId}&tz=Europe/Paris`)
    const total = day.body.data.reduce((a: number, b: { conversions: number }) => a + b.conversions, 0)
    // The default 30 days: 31 local days (30 when a DST change shifts the start past local midnight).
    expect(day.body.data.length).toBeGreaterThanOrEqual(30)
    expect(total).toBe(1)
    expect(await salesMismatches(fx.store)).toBe(0)
  })
})

describe('revenue rounding in SQL is shared/money.ts half-to-even', () => {
  test.each([
    [5n, 2n],
    [7n, 2n],
    [-5n, 2n],
    [1n, 3n],
    [2n, 3n],
    [10000n, 3n],
    [20000n, 3n],
    [12345n, 10n],
    [12355n, 10n],
    [0n, 7n],
  ])('%p / %p', async (n, d) => {
    const r = await one<{ q: string }>(
      fx.store,
      'select stats_div_half_even($1::numeric, $2::numeric)::text as q',
      [n.toString(), d.toString()],
    )
    expect(BigInt(r.q)).toBe(divRoundHalfEven(n, d))
  })

  test('a fractional total (4 decimals) × weight rounds once', async () => {
    // 19.9950 USD × 1/3 = 666.5 cents → 666 (half to even); 19.9950 × 2/3 = 1333 cents exactly.
    const r = await one<{ a: string; b: string }>(
      fx.store,
      `select stats_div_half_even(19.9950 * stats_minor_factor('USD') * 1, 3)::text as a,
              stats_div_half_even(19.9950 * stats_minor_factor('usd') * 2, 3)::text as b`,
    )
    expect([r.a, r.b]).toEqual(['666', '1333'])
    const jpy = await one<{ f: string }>(fx.store, `select stats_minor_factor('JPY')::text as f`)
    expect(jpy.f).toBe('1')
  })
})
