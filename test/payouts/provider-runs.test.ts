import { afterAll, describe, expect, test } from 'bun:test'
import { verifyLedger } from '../../src/commissions/ledger-verify.ts'
import { runPayouts } from '../../src/payouts/service.ts'
import { testSecretsEnv } from '../helpers/app.ts'
import { paypalPayoutDeps, startFakePaypal } from '../helpers/fake-paypal.ts'
import { startFakeStripe } from '../helpers/fake-stripe.ts'
import { settleFixture } from '../helpers/settle.ts'

const fx = await settleFixture()
const { store } = fx
const paypal = await startFakePaypal()
const stripe = await startFakeStripe({ accounts: ['acct_ava'] })
afterAll(async () => {
  await paypal[Symbol.asyncDispose]()
  await stripe[Symbol.asyncDispose]()
})
await store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])

describe('PayPal payouts in a run', () => {
  test('processing until PayPal settles the batch; then paid, once', async () => {
    await store.query(
      `update influencers set payout_method = 'paypal', payout_account = 'ava@creators.example' where id = $1`,
      [fx.influencerId],
    )
    await fx.approvedSales(4, 'pp')
    const deps = paypalPayoutDeps(store.db, paypal)
    paypal.outcome = { create: 'PENDING', settle: { batch: 'SUCCESS', item: 'SUCCESS' } }
    const first = await runPayouts(deps, { period: 'pp-1', currency: 'USD' })
    // 64.00 owed, PayPal 2 % = 1.28: 62.72 sent.
    expect(first.payouts.map((p) => [p.status, p.netMinor])).toEqual([['processing', '6272']])
    const [c] = await store.query<{ n: string }>(
      `select count(*)::text as n from commissions where status = 'paid'`,
    )
    expect(c?.n).toBe('0')
    const second = await runPayouts(deps, { period: 'pp-1', currency: 'USD' })
    expect(second.payouts.map((p) => p.status)).toEqual(['paid'])
    expect(paypal.batches).toHaveLength(1)
    expect((await verifyLedger(store.db)).ok).toBe(true)
  })
})

describe('a payout process killed between "sent" and "recorded"', () => {
  test('the next run asks Stripe, records the transfer it finds, and sends nothing again', async () => {
    await store.query(
      `update influencers set payout_method = 'stripe_connect', payout_account = 'acct_ava' where id = $1`,
      [fx.influencerId],
    )
    await fx.approvedSales(4, 'pp')
    const env = {
      ...testSecretsEnv,
      DATABASE_URL: fx.url,
      LOG_LEVEL: 'silent',
      STRIPE_API_BASE: stripe.url,
      STRIPE_SECRET_KEY: stripe.secretKey,
      PAYOUT_PROVIDER_TIMEOUT_MS: '30000',
    }
    stripe.fault({ kind: 'hang', then: 'commit' }, 1, 'create')
    const args = [
      process.execPath,
      `${import.meta.dir}/../../src/main.ts`,
      'payouts',
      'run',
      '--period',
      'kill-1',
    ]
    const proc = Bun.spawn(args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    // Wait until the transfer request is at Stripe, then kill the runner before it can record anything.
    while (!stripe.seen.some((s) => s.method === 'POST')) await Bun.sleep(10)
    proc.kill('SIGKILL')
    await proc.exited
    stripe.release()
    await stripe.idle()
    expect(stripe.transfers).toHaveLength(1)
    const [left] = await store.query<{ status: string }>(`select status from payouts where period = 'kill-1'`)
    expect(left?.status).toBe('initiated')
    const again = Bun.spawn(args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    expect(await again.exited).toBe(0)
    const [done] = await store.query<{ status: string }>(`select status from payouts where period = 'kill-1'`)
    expect(done?.status).toBe('paid')
    expect(stripe.transfers).toHaveLength(1)
    expect(stripe.counters.creates).toBe(1)
    expect((await verifyLedger(store.db)).ok).toBe(true)
  })
})
