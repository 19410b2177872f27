import { describe, expect, test } from 'bun:test'
import { testAdminKey } from '../helpers/app.ts'
import { settleFixture } from '../helpers/settle.ts'

const fx = await settleFixture()
const auth = { authorization: `Bearer ${testAdminKey}` }
const call = async (path: string, init: RequestInit = {}) => {
  const res = await fx.app.handle(
    new Request(`http://localhost${path}`, {
      ...init,
      headers: { ...auth, 'content-type': 'application/json', ...init.headers },
    }),
  )
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}
const saleFor = async (order: string, total = '100.00') => {
  const click = await fx.plantClick(new Date(Date.now() - 3_600_000))
  const r = await fx.post({
    type: 'sale',
    order_id: order,
    occurred_at: new Date().toISOString(),
    currency: 'USD',
    total,
    click_id: click.token,
  })
  expect(r.status).toBe(200)
  const list = await call(`/api/v1/commissions?influencerId=${fx.influencerId}&limit=500`)
  const c = list.body.data.find((x: { conversionId: string }) => x.conversionId === r.body.conversionIds?.[0])
  if (!c) throw new Error('commission not listed')
  return c as { id: string; status: string; net: { amount: string } }
}

const auditOf = (commissionId: string) =>
  fx.store.query<{ action: string; before: string; after: string }>(
    `select action, before->>'status' as before, after->>'status' as after from audit_log
      where target_type = 'commission' and target_id = $1 order by occurred_at, id`,
    [commissionId],
  )

describe('/api/v1/commissions', () => {
  test('list, get and explain show exact money and every step', async () => {
    const c = await saleFor('api-1')
    expect(c).toMatchObject({
      status: 'pending',
      gross: { minor: '2000', amount: '20.00' },
      net: { amount: '16.00' },
    })
    expect((await call(`/api/v1/commissions/${c.id}`)).body.id).toBe(c.id)
    const ex = await call(`/api/v1/commissions/${c.id}/explain`)
    expect(ex.status).toBe(200)
    expect(ex.body.attribution).toMatchObject({
      evidence: 'click_id',
      model: 'last_click',
      weight: '1/1',
      billable: true,
    })
    expect(ex.body.calculation).toMatchObject({
      rate: '0.200000',
      gross: '20.00',
      fee: '4.00',
      net: '16.00',
      platformFeeRate: '0.200000',
    })
    expect(ex.body.calculation.base).toMatchObject({ mode: 'subtotal_after_discounts', amount: '100.00' })
    expect(ex.body.ledger.map((e: { type: string; amount: string }) => [e.type, e.amount])).toEqual([
      ['commission_earned', '16.00'],
      ['commission_earned', '16.00'],
      ['platform_fee', '4.00'],
    ])
  })

  test('approve moves pending to approved once; a second approve is 409', async () => {
    const c = await saleFor('api-2')
    const ok = await call(`/api/v1/commissions/${c.id}/approve`, { method: 'POST' })
    expect([ok.status, ok.body.status]).toEqual([200, 'approved'])
    const again = await call(`/api/v1/commissions/${c.id}/approve`, { method: 'POST' })
    expect([again.status, again.body.error.code]).toEqual([409, 'not_pending'])
    // One audit entry: the refused second approve changed nothing, so it records nothing.
    expect(await auditOf(c.id)).toEqual([
      { action: 'commission.approved', before: 'pending', after: 'approved' },
    ])
  })

  test('a manual reversal reverses what is left, once; balances follow the ledger', async () => {
    const before = await call(`/api/v1/balances?influencerId=${fx.influencerId}`)
    const c = await saleFor('api-3')
    const mid = await call(`/api/v1/balances?influencerId=${fx.influencerId}`)
    const pending = (b: typeof before) => Number(b.body.data[0]?.pending.replace('.', '') ?? 0)
    expect(pending(mid) - pending(before)).toBe(1600)
    const rev = await call(`/api/v1/commissions/${c.id}/reverse`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'fraud review' }),
    })
    expect([rev.status, rev.body.status]).toEqual([200, 'reversed'])
    const twice = await call(`/api/v1/commissions/${c.id}/reverse`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'again' }),
    })
    expect([twice.status, twice.body.error.code]).toEqual([409, 'nothing_to_reverse'])
    expect(await auditOf(c.id)).toEqual([
      { action: 'commission.reversed', before: 'pending', after: 'reversed' },
    ])
    expect(pending(await call(`/api/v1/balances?influencerId=${fx.influencerId}`))).toBe(pending(before))
  })

  test('a reversal after payout is a clawback carried as a negative balance', async () => {
    const c = await saleFor('api-4')
    const [payout] = await fx.store.query<{ id: string }>(
      `insert into payouts (influencer_id, period, currency, method, status, gross_minor, net_minor, idempotency_key)
       values ($1, '2026-11', 'USD', 'manual', 'paid', 1600, 1600, 'test-payout-api-4') returning id`,
      [fx.influencerId],
    )
    await fx.store.query(
      `update commissions set status = 'paid', approved_at = now(), paid_at = now(), payout_id = $2 where id = $1`,
      [c.id, payout?.id],
    )
    const rev = await call(`/api/v1/commissions/${c.id}/reverse`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'chargeback' }),
    })
    expect([rev.status, rev.body.status]).toEqual([200, 'paid'])
    const ex = await call(`/api/v1/commissions/${c.id}/explain`)
    expect(
      ex.body.ledger
        .filter((e: { party: string }) => e.party === 'influencer')
        .map((e: { type: string; amount: string }) => [e.type, e.amount]),
    ).toEqual([
      ['commission_earned', '16.00'],
      ['clawback', '-16.00'],
    ])
    const bal = await call(`/api/v1/balances?influencerId=${fx.influencerId}`)
    expect(bal.body.data[0].carried).toBe('-16.00')
  })

  test.each([
    [
      'an unknown id',
      '/api/v1/commissions/00000000-0000-7000-8000-000000000000',
      404,
      'commission_not_found',
    ],
    ['a malformed id', '/api/v1/commissions/nope', 404, 'commission_not_found'],
    ['a malformed filter', '/api/v1/commissions?influencerId=x', 400, 'invalid_query'],
    ['a bad status filter', '/api/v1/commissions?status=owed', 400, undefined],
  ] as const)('%s → %d', async (_n, path, status, code) => {
    const r = await call(path)
    expect(r.status).toBe(status)
    if (code) expect(r.body.error.code).toBe(code)
    else expect(r.body.error).toBeDefined()
  })

  test('without the admin key → 401', async () => {
    const res = await fx.app.handle(new Request('http://localhost/api/v1/commissions'))
    expect(res.status).toBe(401)
  })
})
