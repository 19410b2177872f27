import { describe, expect, test } from 'bun:test'
import { verifyLedger } from '../../src/commissions/ledger-verify.ts'
import { hashIp } from '../../src/shared/ip-hash.ts'
import { one, settleFixture } from '../helpers/settle.ts'

// The whole path a sale takes: S2S delivery (signed here) → conversion → attribution → commission → ledger.
const fx = await settleFixture()
const { store, post, plantClick } = fx
const HOUR = 3_600_000
const hoursAgo = (h: number) => new Date(Date.now() - h * HOUR)
let order = 0
const sale = (over: Record<string, unknown> = {}) => ({
  type: 'sale',
  order_id: `ord-${++order}`,
  occurred_at: new Date().toISOString(),
  currency: 'USD',
  total: '108.50',
  subtotal: '100.00',
  tax: '8.50',
  ...over,
})

interface Row {
  gross: string
  fee: string
  net: string
  status: string
  evidence: string
  billable: boolean
  reason: string | null
  weight: string
}
const commissionsOf = (conversionId: string) =>
  store.query<Row>(
    `select c.gross_minor::text as gross, c.fee_minor::text as fee, c.net_minor::text as net, c.status,
            a.evidence, a.billable, a.reason, a.weight_num || '/' || a.weight_den as weight
       from attributions a left join commissions c on c.attribution_id = a.id
      where a.conversion_id = $1 order by a.id`,
    [conversionId],
  )
const stored = async (body: Record<string, unknown>) => {
  const r = await post(body)
  expect(r.status).toBe(200)
  return r.body.conversionIds?.[0] ?? ''
}
const program = (set: string) => store.query(`update programs set ${set} where id = $1`, [fx.programId])

describe('attribution and commissions from a delivery', () => {
  test('the seed example: a $100.00 sale at 20 % → gross 20.00, fee 4.00, net 16.00, three ledger entries', async () => {
    const click = await plantClick(hoursAgo(2))
    const id = await stored(sale({ click_id: click.token }))
    expect(await commissionsOf(id)).toEqual([
      {
        gross: '2000',
        fee: '400',
        net: '1600',
        status: 'pending',
        evidence: 'click_id',
        billable: true,
        reason: null,
        weight: '1/1',
      },
    ])
    const entries = await store.query<{ entry_type: string; amount: string; party: string }>(
      `select entry_type, amount_minor::text as amount, case when le.influencer_id is null then 'merchant' else 'influencer' end as party
         from ledger_entries le join commissions c on c.id = le.commission_id where c.conversion_id = $1 order by idempotency_key`,
      [id],
    )
    expect(entries).toEqual([
      { entry_type: 'commission_earned', amount: '1600', party: 'influencer' },
      { entry_type: 'commission_earned', amount: '1600', party: 'merchant' },
      { entry_type: 'platform_fee', amount: '400', party: 'merchant' },
    ])
  })

  test('a repeated delivery and a second report of the same order earn nothing more', async () => {
    const click = await plantClick(hoursAgo(1))
    const body = sale({ click_id: click.token })
    const first = await post(body, 'msg_dup_1')
    const again = await post(body, 'msg_dup_1')
    const otherTopic = await post(body, 'msg_dup_2')
    expect([first.status, again.status, otherTopic.status]).toEqual([200, 202, 200])
    const conv = first.body.conversionIds?.[0]
    expect(again.body.conversionIds?.[0]).toBe(conv)
    expect(otherTopic.body.conversionIds?.[0]).toBe(conv)
    const n = await one<{ n: string }>(
      store,
      `select count(*)::text as n from commissions where conversion_id = $1`,
      [conv],
    )
    expect(n.n).toBe('1')
  })

  test('partial then full refund: the commission shrinks, then is reversed, and the pending balance returns to 0', async () => {
    const click = await plantClick(hoursAgo(3))
    const s = sale({ click_id: click.token })
    const id = await stored(s)
    await stored({
      type: 'refund',
      order_id: s.order_id,
      refund_id: 'r1',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '27.125',
    })
    const rev1 = await store.query<{ gross: string; fee: string; net: string }>(
      `select r.gross_minor::text as gross, r.fee_minor::text as fee, r.net_minor::text as net
         from reversals r join commissions c on c.id = r.commission_id where c.conversion_id = $1`,
      [id],
    )
    // 27.125 of 108.50 is exactly a quarter: a quarter of 20.00 gross is 5.00, fee 1.00, net 4.00.
    expect(rev1).toEqual([{ gross: '500', fee: '100', net: '400' }])
    expect((await commissionsOf(id))[0]?.status).toBe('pending')
    await stored({
      type: 'refund',
      order_id: s.order_id,
      refund_id: 'r2',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '81.375',
    })
    const after = await one<{ status: string; reversed: string }>(
      store,
      `select c.status, (select sum(net_minor) from reversals where commission_id = c.id)::text as reversed
         from commissions c where c.conversion_id = $1`,
      [id],
    )
    expect(after).toEqual({ status: 'reversed', reversed: '1600' })
  })

  test('a refund that arrives before its sale is applied when the sale arrives', async () => {
    const click = await plantClick(hoursAgo(1))
    const s = sale({ click_id: click.token, total: '100.00', tax: '0' })
    await stored({
      type: 'refund',
      order_id: s.order_id,
      refund_id: 'early',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '50.00',
    })
    const id = await stored(s)
    const r = await one<{ gross: string; net: string; left: string }>(
      store,
      `select r.gross_minor::text as gross, r.net_minor::text as net, (c.net_minor - r.net_minor)::text as left
         from reversals r join commissions c on c.id = r.commission_id where c.conversion_id = $1`,
      [id],
    )
    expect(r).toEqual({ gross: '1000', net: '800', left: '800' })
  })

  test('a forged click id is recorded and never billed; a valid sub-id still attributes', async () => {
    const click = await plantClick(hoursAgo(1))
    const forged = `${click.token.slice(0, -2)}AA`
    const id = await stored(sale({ click_id: forged }))
    const conv = await one<{ click_id: string | null; click_id_problem: string }>(
      store,
      `select click_id, click_id_problem from conversions where id = $1`,
      [id],
    )
    expect(conv).toEqual({ click_id: null, click_id_problem: 'bad_signature' })
    expect(await commissionsOf(id)).toEqual([])
    const bySub = await stored(sale({ click_id: forged, sub_id: 'AVA' }))
    expect((await commissionsOf(bySub)).map((r) => [r.evidence, r.gross])).toEqual([['sub_id', '2000']])
  })

  test('a coupon mapped to the influencer attributes the order', async () => {
    await store.query(
      `insert into coupon_codes (merchant_id, program_id, influencer_id, code) values ($1, $2, $3, 'AVA10')`,
      [fx.merchantId, fx.programId, fx.influencerId],
    )
    const id = await stored(sale({ coupon: 'ava10' }))
    expect((await commissionsOf(id)).map((r) => [r.evidence, r.net])).toEqual([['coupon', '1600']])
  })

  test.each([
    ['a test event', { test: true }, 0, 'test_event'],
    ['a click older than the window', {}, 8 * 24, 'click_expired'],
    ['a bot click', {}, 1, 'bot_click'],
    [
      'a click two hours after the sale',
      { occurred_at: hoursAgo(3).toISOString() },
      1,
      'click_after_conversion',
    ],
  ] as const)('%s is attributed but not billable', async (_name, extra, ageH, reason) => {
    const click = await plantClick(
      hoursAgo(ageH || 1),
      reason === 'bot_click' ? { isBot: true, botScore: 95 } : {},
    )
    const id = await stored(sale({ click_id: click.token, ...extra }))
    expect(await commissionsOf(id)).toEqual([
      expect.objectContaining({ billable: false, reason, gross: null }),
    ] as unknown as Row[])
  })

  test('excluded SKUs are removed at line level', async () => {
    await program(`excluded_skus = '{GIFT-CARD}'`)
    const click = await plantClick(hoursAgo(1))
    const id = await stored(
      sale({
        click_id: click.token,
        items: [
          { sku: 'SERUM-30', quantity: 2, unit_price: '30.00' },
          { sku: 'GIFT-CARD', quantity: 1, unit_price: '40.00' },
        ],
      }),
    )
    await program(`excluded_skus = '{}'`)
    // 60 of 100 of the lines are eligible: base 60.00 → gross 12.00.
    expect((await commissionsOf(id))[0]?.gross).toBe('1200')
  })

  test('a campaign boost applies inside its dates; a negotiated rate replaces the program rate', async () => {
    await store.query(
      `update campaigns set boost_rate = '0.05', starts_at = now() - interval '1 day', ends_at = now() + interval '1 day' where id = $1`,
      [fx.campaignId],
    )
    const boosted = await stored(sale({ click_id: (await plantClick(hoursAgo(1))).token }))
    await store.query(`update campaigns set boost_rate = null where id = $1`, [fx.campaignId])
    expect((await commissionsOf(boosted))[0]?.gross).toBe('2500')
    await store.query(`update program_memberships set rate_override = '0.1' where program_id = $1`, [
      fx.programId,
    ])
    const negotiated = await stored(sale({ click_id: (await plantClick(hoursAgo(1))).token }))
    await store.query(`update program_memberships set rate_override = null where program_id = $1`, [
      fx.programId,
    ])
    expect((await commissionsOf(negotiated))[0]?.gross).toBe('1000')
  })

  test('a lead earns only under a lead rule, as a fixed amount', async () => {
    const lead = (o: string) => ({
      type: 'lead',
      order_id: o,
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '0',
      sub_id: 'ava',
    })
    const without = await stored(lead('lead-1'))
    expect((await commissionsOf(without))[0]?.gross).toBeNull()
    await store.query(
      `insert into commission_rules (program_id, event_kind, commission_type, fixed_minor, currency) values ($1, 'lead', 'fixed', 500, 'USD')`,
      [fx.programId],
    )
    const withRule = await stored(lead('lead-2'))
    expect((await commissionsOf(withRule)).map((r) => [r.gross, r.fee, r.net])).toEqual([
      ['500', '100', '400'],
    ])
  })

  test('linear attribution over three clicks from one device splits the base exactly', async () => {
    await program(`attribution_model = 'linear'`)
    const device = { ipHash: 'dev-linear', userAgent: 'Mozilla/5.0 test' }
    await plantClick(hoursAgo(30), device)
    await plantClick(hoursAgo(20), device)
    const last = await plantClick(hoursAgo(10), device)
    const id = await stored(sale({ click_id: last.token, total: '100.00', subtotal: '100.00', tax: '0' }))
    await program(`attribution_model = 'last_click'`)
    // One influencer: three thirds sum to one attribution of weight 1.
    expect((await commissionsOf(id)).map((r) => [r.weight, r.gross])).toEqual([['1/1', '2000']])
    const details = await one<{ touches: number }>(
      store,
      `select jsonb_array_length(details->'touches') as touches from attributions where conversion_id = $1`,
      [id],
    )
    expect(details.touches).toBe(3)
  })

  test("device signals: the last human click from the shopper's address, matched by its salted hash", async () => {
    const ip = '198.51.100.7'
    const salt = fx.config.secrets.ipHashSalt
    await plantClick(hoursAgo(5), { ipHash: hashIp(salt, ip) })
    await plantClick(hoursAgo(2), { ipHash: hashIp(salt, ip), isBot: true, botScore: 99 })
    const id = await stored(sale({ customer_ip: `::ffff:${ip}` }))
    const [row] = await commissionsOf(id)
    expect([row?.evidence, row?.billable, row?.gross]).toEqual(['device', true, '2000'])
    const other = await stored(sale({ customer_ip: '198.51.100.8' }))
    expect(await commissionsOf(other)).toEqual([])
    expect((await post(sale({ customer_ip: 'not-an-ip' }))).status).toBe(422)
  })

  test('volume tiers: the rate rises once earlier sales this month reach the threshold', async () => {
    // Sales in the month so far for this influencer come from the tests above; the tier needs one more.
    const [{ n } = { n: '0' }] = await store.query<{ n: string }>(
      `select count(*)::text as n from commissions where program_id = $1 and event_kind = 'sale' and status <> 'reversed'`,
      [fx.programId],
    )
    await program(`tiers = '[{"minConversions": ${Number(n) + 1}, "rate": "0.300000"}]'::jsonb`)
    const below = await stored(sale({ sub_id: 'ava' }))
    const above = await stored(sale({ sub_id: 'ava' }))
    await program(`tiers = null`)
    expect([(await commissionsOf(below))[0]?.gross, (await commissionsOf(above))[0]?.gross]).toEqual([
      '2000',
      '3000',
    ])
  })

  test('renewals earn for whoever brought the subscriber, for the recurring months only', async () => {
    await program(`recurring_months = 2`)
    const first = sale({
      sub_id: 'ava',
      occurred_at: new Date(Date.now() - 70 * 86_400_000).toISOString(),
      total: '10.00',
      subtotal: '10.00',
      tax: '0',
    })
    await stored(first)
    const renewal = (invoice: string, daysAgo: number) =>
      stored({
        type: 'subscription_renewal',
        order_id: first.order_id,
        invoice_id: invoice,
        occurred_at: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
        currency: 'USD',
        total: '10.00',
      })
    const inside = await renewal('in_1', 40)
    const after = await renewal('in_2', 5)
    await program(`recurring_months = null`)
    expect((await commissionsOf(inside)).map((r) => [r.billable, r.gross])).toEqual([[true, '200']])
    expect((await commissionsOf(after)).map((r) => [r.billable, r.reason, r.gross])).toEqual([
      [false, 'recurring_period_over', null],
    ])
  })

  test('time decay halves a touch per half-life; first click credits the oldest', async () => {
    const device = { ipHash: 'dev-decay', userAgent: 'Mozilla/5.0 decay' }
    await plantClick(hoursAgo(48), device)
    const last = await plantClick(hoursAgo(24), device)
    await program(`attribution_model = 'time_decay', time_decay_half_life_hours = 24`)
    const decayed = await stored(
      sale({ click_id: last.token, total: '100.00', subtotal: '100.00', tax: '0' }),
    )
    await program(`attribution_model = 'first_click'`)
    const firstClick = await stored(
      sale({ click_id: last.token, total: '100.00', subtotal: '100.00', tax: '0' }),
    )
    await program(`attribution_model = 'last_click', time_decay_half_life_hours = null`)
    const touches = async (id: string) =>
      (
        await one<{ t: { weight: string }[] }>(
          store,
          `select details->'touches' as t from attributions where conversion_id = $1`,
          [id],
        )
      ).t.map((x) => x.weight)
    // Ages 48 h and 24 h before the sale: 1/4 : 1/2 of the curve → 1/3 and 2/3.
    expect(await touches(decayed)).toEqual(['1/3', '2/3'])
    expect(await touches(firstClick)).toEqual(['1', '0'])
  })

  test('the ledger verifies after all of the above', async () => {
    const report = await verifyLedger(store.db)
    expect(report.checks.filter((c) => c.violations > 0)).toEqual([])
    expect(report.ok).toBe(true)
  })
})
