import { describe, expect, test } from 'bun:test'
import { commissionApprover } from '../../src/commissions/approver.ts'
import { approveDue } from '../../src/commissions/service.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { settleFixture } from '../helpers/settle.ts'

const fx = await settleFixture()
const statusOf = async (order: string) =>
  (
    await fx.store.query<{ status: string; hold: string }>(
      `select c.status, c.hold_until::text as hold from commissions c join conversions v on v.id = c.conversion_id
        where v.external_order_id = $1`,
      [order],
    )
  )[0]?.status
const sale = (order: string, occurredAt: Date) =>
  fx.post({
    type: 'sale',
    order_id: order,
    occurred_at: occurredAt.toISOString(),
    currency: 'USD',
    total: '10.00',
    sub_id: 'ava',
  })

describe('commission approval after the hold', () => {
  test('only commissions whose hold (from the sale date) has passed are approved, once', async () => {
    await fx.store.query(`update programs set hold_days = 1 where id = $1`, [fx.programId])
    await sale('hold-old', new Date(Date.now() - 2 * 86_400_000))
    await sale('hold-new', new Date())
    expect(await approveDue(fx.store.db, new Date())).toBe(1)
    expect([await statusOf('hold-old'), await statusOf('hold-new')]).toEqual(['approved', 'pending'])
    expect(await approveDue(fx.store.db, new Date())).toBe(0)
    expect(await approveDue(fx.store.db, new Date(Date.now() + 2 * 86_400_000))).toBe(1)
  })

  test('the worker approves on start and stops cleanly', async () => {
    await sale('hold-worker', new Date(Date.now() - 3 * 86_400_000))
    const w = commissionApprover({ db: fx.store.db, log: createLogger('silent'), intervalMs: 60_000 })
    w.start()
    await w.stop()
    expect(await statusOf('hold-worker')).toBe('approved')
  })
})
