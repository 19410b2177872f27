import { afterAll, describe, expect, test } from 'bun:test'
import { verifyLedger } from '../../src/commissions/ledger-verify.ts'
import { DEFAULT_FEES, feeCalculator } from '../../src/payouts/providers/fees.ts'
import { createStripeProvider } from '../../src/payouts/providers/stripe.ts'
import { type PayoutDeps, runPayouts } from '../../src/payouts/service.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { startFakeStripe } from '../helpers/fake-stripe.ts'
import { settleFixture } from '../helpers/settle.ts'

const fx = await settleFixture()
const { store } = fx
const stripe = await startFakeStripe({ accounts: ['acct_ava'] })
afterAll(() => stripe[Symbol.asyncDispose]())
const deps: PayoutDeps = {
  db: store.db,
  log: createLogger('silent'),
  providers: {
    stripe_connect: createStripeProvider({
      apiBase: stripe.url,
      secretKey: stripe.secretKey,
      timeoutMs: 300,
    }),
  },
  fee: feeCalculator(DEFAULT_FEES),
}
await store.query(
  `update influencers set payout_method = 'stripe_connect', payout_account = 'acct_ava' where id = $1`,
  [fx.influencerId],
)
await store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])

const balance = async () =>
  (
    await store.query<{ balance: string; payable: string }>(
      `select balance_minor::text as balance, (balance_minor - pending_minor)::text as payable
         from influencer_balances where influencer_id = $1 and currency = 'USD'`,
      [fx.influencerId],
    )
  )[0]

describe('payout runs against Stripe Connect (a real HTTP server speaking its protocol)', () => {
  test('pays what is owed once: fee 2.9 % + 0.30, commissions paid, a payout ledger entry', async () => {
    await fx.approvedSales(4, 'po')
    const report = await runPayouts(deps, { period: '2026-10', currency: 'usd' })
    expect(report.ran).toBe(true)
    // 64.00 owed: fee 1.856 + 0.30 = 2.156 → 2.16; 61.84 sent.
    expect(report.payouts.map((p) => [p.status, p.netMinor])).toEqual([['paid', '6184']])
    expect(stripe.transfers.map((t) => [t.amount, t.currency, t.destination])).toEqual([
      [6184, 'usd', 'acct_ava'],
    ])
    const [p] = await store.query<Record<string, string>>(
      `select gross_minor::text as gross, platform_fee_minor::text as platform, processing_fee_minor::text as processing,
              net_minor::text as net, status from payouts`,
    )
    expect(p).toEqual({ gross: '8000', platform: '1600', processing: '216', net: '6184', status: 'paid' })
    const [c] = await store.query<{ n: string }>(
      `select count(*)::text as n from commissions where status = 'paid' and payout_id is not null`,
    )
    expect(c?.n).toBe('4')
    expect(await balance()).toEqual({ balance: '0', payable: '0' })
    expect((await verifyLedger(store.db)).ok).toBe(true)
  })

  test('running the period again pays no one twice', async () => {
    const again = await runPayouts(deps, { period: '2026-10', currency: 'USD' })
    expect(again.payouts).toEqual([])
    expect(stripe.counters.creates).toBe(1)
  })

  test('below the $50 minimum the balance rolls over; a clawback is carried into the next payout', async () => {
    const [refunded] = await fx.approvedSales(1, 'po')
    expect((await runPayouts(deps, { period: '2026-11', currency: 'USD' })).rolledOver).toBe(1)
    // A paid commission refunded: a clawback of 16.00 carried (the new sale's 16.00 offsets it).
    const paidOrder = 'po-1'
    await fx.post({
      type: 'refund',
      order_id: paidOrder,
      refund_id: 'r1',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '100.00',
    })
    expect(refunded).toBe('po-5')
    expect(await balance()).toEqual({ balance: '0', payable: '0' })
    await fx.approvedSales(4, 'po')
    const report = await runPayouts(deps, { period: '2026-11b', currency: 'USD' })
    // 5 × 16.00 − 16.00 carried = 64.00 owed → 61.84 sent again.
    expect(report.payouts.map((p) => p.netMinor)).toEqual(['6184'])
    const [statement] = await store.query<{ carried: string; lines: number }>(
      `select statement->>'carriedMinor' as carried, jsonb_array_length(statement->'commissions') as lines
         from payouts where period = '2026-11b'`,
    )
    expect(statement).toEqual({ carried: '-1600', lines: 5 })
    expect((await verifyLedger(store.db)).ok).toBe(true)
  })

  test('a crash between "sent" and "recorded" is reconciled by asking Stripe: still one transfer', async () => {
    await fx.approvedSales(4, 'po')
    stripe.fault({ kind: 'commit-then-fail' }, 1, 'create')
    const first = await runPayouts(deps, { period: '2026-12', currency: 'USD' })
    expect(first.payouts.map((p) => p.status)).toEqual(['initiated'])
    expect(stripe.counters.creates).toBe(3)
    const second = await runPayouts(deps, { period: '2026-12', currency: 'USD' })
    expect(second.payouts.map((p) => p.status)).toEqual(['paid'])
    expect(stripe.counters.creates).toBe(3)
    expect(stripe.transfers).toHaveLength(3)
  })

  test('5xx and timeouts are retried with the same idempotency key until paid, never twice', async () => {
    await fx.approvedSales(4, 'po')
    stripe.fault({ kind: 'error', status: 500 }, 1, 'create')
    const r1 = await runPayouts(deps, { period: '2027-01', currency: 'USD' })
    expect(r1.payouts.map((p) => p.status)).toEqual(['initiated'])
    const id = r1.payouts[0]?.id ?? ''
    // Held past the client's timeout, then carried out by Stripe: the client saw only the timeout.
    stripe.fault({ kind: 'hang', then: 'commit' }, 1, 'create')
    const r2 = await runPayouts(deps, { period: '2027-01', currency: 'USD' })
    expect(r2.payouts.map((p) => p.status)).toEqual(['initiated'])
    stripe.release()
    await stripe.idle()
    const r3 = await runPayouts(deps, { period: '2027-01', currency: 'USD' })
    expect(r3.payouts.map((p) => [p.id, p.status])).toEqual([[id, 'paid']])
    const posts = stripe.seen.filter((s) => s.method === 'POST' && s.form.transfer_group === id)
    expect(posts.length).toBeGreaterThanOrEqual(2)
    expect(new Set(posts.map((s) => s.headers['idempotency-key'])).size).toBe(1)
    expect(stripe.transfers.filter((t) => t.transfer_group === id)).toHaveLength(1)
  })

  test('two runners at once: one runs, the other steps aside; one transfer', async () => {
    await fx.approvedSales(4, 'po')
    const before = stripe.transfers.length
    const [a, b] = await Promise.all([
      runPayouts(deps, { period: '2027-02', currency: 'USD' }),
      runPayouts(deps, { period: '2027-02', currency: 'USD' }),
    ])
    expect([a.ran, b.ran].sort()).toEqual([false, true])
    expect(stripe.transfers.length - before).toBe(1)
    expect((await verifyLedger(store.db)).ok).toBe(true)
  })
})
