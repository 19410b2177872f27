import { afterAll, describe, expect, test } from 'bun:test'
import { testAdminKey, testSecretsEnv } from '../helpers/app.ts'
import { runSource } from '../helpers/binary.ts'
import { startFakeStripe } from '../helpers/fake-stripe.ts'
import { settleFixture } from '../helpers/settle.ts'

const fx = await settleFixture()
const { store, app } = fx
const stripe = await startFakeStripe({ accounts: ['acct_ava'] })
afterAll(() => stripe[Symbol.asyncDispose]())
await store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])
const auth = { authorization: `Bearer ${testAdminKey}`, 'content-type': 'application/json' }
const call = async (method: string, path: string, body?: unknown) => {
  const res = await app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: auth,
      body: body ? JSON.stringify(body) : undefined,
    }),
  )
  const text = await res.text()
  return { status: res.status, type: res.headers.get('content-type'), text, json: () => JSON.parse(text) }
}

describe('/api/v1/payouts (manual method)', () => {
  test('a request below the minimum is refused; a run pays by hand and the statement adds up', async () => {
    await store.query(
      `update influencers set payout_method = 'manual', payout_account = 'IBAN DE00 0000' where id = $1`,
      [fx.influencerId],
    )
    await fx.approvedSales(1, 'api-po')
    const below = await call('POST', '/api/v1/payouts/requests', {
      influencerId: fx.influencerId,
      currency: 'USD',
    })
    expect([below.status, below.json().error.code]).toEqual([422, 'below_minimum'])
    await fx.approvedSales(3, 'api-po')
    const run = await call('POST', '/api/v1/payouts/runs', { period: '2026-11', currency: 'USD' })
    expect(run.status).toBe(200)
    const [p] = run.json().payouts as { id: string; status: string; netMinor: string }[]
    // Manual costs nothing: 4 × 16.00 owed, all of it to send; processing until marked paid.
    expect([p?.status, p?.netMinor]).toEqual(['processing', '6400'])
    const csv = await call('GET', `/api/v1/payouts/${p?.id}/statement?format=csv`)
    expect(csv.type).toContain('text/csv')
    const lines = csv.text.trim().split('\r\n')
    expect(lines[0]).toBe('payout_id,influencer,commission_id,conversion,kind,currency,gross,fee,net,date')
    expect(lines).toHaveLength(5)
    const json = (await call('GET', `/api/v1/payouts/${p?.id}/statement`)).json()
    expect(json.statement.payableMinor).toBe('6400')
    const paid = await call('POST', `/api/v1/payouts/${p?.id}/mark-paid`, { reference: 'SEPA-2026-11-0001' })
    expect([paid.status, paid.json().status, paid.json().net]).toEqual([200, 'paid', '64.00'])
    const [c] = await store.query<{ n: string }>(
      `select count(*)::text as n from commissions where status = 'paid'`,
    )
    expect(c?.n).toBe('4')
    // The run and the hand confirmation are in the audit trail, with who did them.
    const trail = await store.query<{
      action: string
      target: string
      actor: string | null
      period: string | null
    }>(
      `select action, target_id as target, actor_user_id::text as actor, details->>'period' as period
         from audit_log where (action = 'payout_run.started' and details->>'by' = 'api') or action = 'payout.marked_paid'
        order by occurred_at, id`,
    )
    expect(trail.map((t) => [t.action, t.period])).toEqual([
      ['payout_run.started', '2026-11'],
      ['payout.marked_paid', null],
    ])
    expect(trail[0]?.target).toBe(run.json().runId)
    expect(trail[1]?.target).toBe(p?.id)
  })

  test('bad input is a clear 4xx', async () => {
    expect((await call('POST', '/api/v1/payouts/runs', { period: '', currency: 'USD' })).status).toBe(400)
    expect((await call('POST', '/api/v1/payouts/runs', { period: '2026-11', currency: 'US' })).status).toBe(
      400,
    )
    const missing = await call('GET', '/api/v1/payouts/00000000-0000-7000-8000-000000000000')
    expect([missing.status, missing.json().error.code]).toEqual([404, 'payout_not_found'])
  })
})

describe('skinstack payouts run: two processes at once pay once', () => {
  test('Stripe Connect from the CLI, started twice concurrently', async () => {
    await store.query(
      `update influencers set payout_method = 'stripe_connect', payout_account = 'acct_ava' where id = $1`,
      [fx.influencerId],
    )
    await fx.approvedSales(4, 'api-po')
    const env = {
      ...testSecretsEnv,
      DATABASE_URL: fx.url,
      LOG_LEVEL: 'silent',
      STRIPE_API_BASE: stripe.url,
      STRIPE_SECRET_KEY: stripe.secretKey,
    }
    const args = ['payouts', 'run', '--period', '2026-12', '--currency', 'usd', '--json']
    const [a, b] = await Promise.all([runSource(args, env), runSource(args, env)])
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', ''])
    const reports = [JSON.parse(a.stdout), JSON.parse(b.stdout)] as {
      ran: boolean
      payouts: { status: string }[]
    }[]
    const paid = reports.flatMap((r) => r.payouts).filter((p) => p.status === 'paid')
    expect(paid).toHaveLength(1)
    expect(stripe.transfers).toHaveLength(1)
    const again = await runSource(args, env)
    expect(JSON.parse(again.stdout).payouts).toEqual([])
    expect(stripe.transfers).toHaveLength(1)
  })
})
