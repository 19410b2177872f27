import { describe, expect, test } from 'bun:test'
import { payoutDeps } from '../../src/payouts/deps.ts'
import { payoutScheduleWorker, scheduledPeriod } from '../../src/payouts/schedule.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { paypalPayoutDeps, startFakePaypal } from '../helpers/fake-paypal.ts'
import { settleFixture } from '../helpers/settle.ts'

describe('monthly payout schedule', () => {
  test.each([
    ['2026-11-01T00:00:00Z', 1, '2026-10'],
    ['2026-11-30T23:59:59Z', 1, '2026-10'],
    ['2026-01-15T08:00:00Z', 5, '2025-12'],
    ['2026-11-04T12:00:00Z', 5, null],
    ['2026-03-28T00:00:00Z', 28, '2026-02'],
  ] as const)('%s, day %d → %p', (now, day, period) => {
    expect(scheduledPeriod(new Date(now), day)).toBe(period)
  })
})

describe('the schedule worker', () => {
  test('runs the previous month once the day has come, and not again once completed', async () => {
    const fx = await settleFixture()
    await fx.store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])
    await fx.store.query(
      `update influencers set payout_method = 'manual', payout_account = 'bank' where id = $1`,
      [fx.influencerId],
    )
    await fx.approvedSales(4, 's')
    const deps = payoutDeps({ config: fx.config, store: fx.store, log: createLogger('silent') })
    const worker = () => payoutScheduleWorker(deps, { day: 1, currencies: ['USD'] })
    const w = worker()
    await w.start()
    await w.stop()
    const period = scheduledPeriod(new Date(), 1)
    const runs = await fx.store.query<{ period: string; status: string }>(
      `select period, status from payout_runs`,
    )
    expect(runs).toEqual([{ period: period ?? '', status: 'completed' }])
    const w2 = worker()
    await w2.start()
    await w2.stop()
    const payouts = await fx.store.query<{ status: string; net: string }>(
      `select status, net_minor::text as net from payouts`,
    )
    expect(payouts).toEqual([{ status: 'processing', net: '6400' }])
  })
})

describe('the schedule worker and unfinished payouts', () => {
  test('a completed run whose PayPal batch was still processing is checked again until it is paid', async () => {
    const fx = await settleFixture()
    const paypal = await startFakePaypal()
    try {
      await fx.store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])
      await fx.store.query(
        `update influencers set payout_method = 'paypal', payout_account = 'ava@creators.example' where id = $1`,
        [fx.influencerId],
      )
      await fx.approvedSales(4, 'pp')
      const deps = paypalPayoutDeps(fx.store.db, paypal)
      paypal.outcome = { create: 'PENDING', settle: { batch: 'SUCCESS', item: 'SUCCESS' } }
      const pass = async () => {
        const w = payoutScheduleWorker(deps, { day: 1, currencies: ['USD'] })
        await w.start()
        await w.stop()
        return fx.store.query<{ status: string }>(`select status from payouts`)
      }
      expect(await pass()).toEqual([{ status: 'processing' }])
      expect(await pass()).toEqual([{ status: 'paid' }])
      expect(paypal.batches).toHaveLength(1)
      // Done now: a later pass asks nobody.
      const asked = paypal.counters.requests
      expect(await pass()).toEqual([{ status: 'paid' }])
      expect(paypal.counters.requests).toBe(asked)
    } finally {
      await paypal[Symbol.asyncDispose]()
    }
  })
})
