import { describe, expect, test } from 'bun:test'
import { recomputeAttribution } from '../../src/attribution/recompute.ts'
import { accrueClicks } from '../../src/attribution/service.ts'
import { verifyLedger } from '../../src/commissions/ledger-verify.ts'
import { settleFixture } from '../helpers/settle.ts'

const fx = await settleFixture()
const { store } = fx
const HOUR = 3_600_000
// The middle of the hour before last: closed, inside the lookback.
const hourStart = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR
const inHour = (minute: number) => new Date(hourStart + minute * 60_000)
await store.query(
  `insert into commission_rules (program_id, event_kind, commission_type, fixed_minor, currency)
   values ($1, 'click', 'fixed', 5, 'USD')`,
  [fx.programId],
)
const clickCommissions = () =>
  store.query<{ clicks: number; gross: string; fee: string; net: string }>(
    `select (v.line_items->0->>'quantity')::int as clicks, c.gross_minor::text as gross, c.fee_minor::text as fee,
            c.net_minor::text as net
       from commissions c join conversions v on v.id = c.conversion_id
      where c.event_kind = 'click' order by v.created_at, v.id`,
  )

describe('pay per click', () => {
  test('billable clicks of a closed hour are paid once: bots, HEADs, prefetches and the open hour are not', async () => {
    for (const m of [5, 10, 15]) await fx.plantClick(inHour(m))
    await fx.plantClick(inHour(20), { isBot: true, botScore: 95 })
    await fx.plantClick(inHour(21), { botScore: 85 })
    await fx.plantClick(inHour(22), { isHead: true })
    await fx.plantClick(inHour(23), { isPrefetch: true })
    await fx.plantClick(new Date()) // the current hour is still open
    expect(await accrueClicks(store.db, new Date())).toBe(1)
    // 3 clicks × $0.05 = 15 cents; fee 20 % = 3 cents; net 12.
    expect(await clickCommissions()).toEqual([{ clicks: 3, gross: '15', fee: '3', net: '12' }])
    expect(await accrueClicks(store.db, new Date())).toBe(0)
  })

  test('clicks that arrive late for an accrued hour are paid as the difference, once, whichever host counts', async () => {
    await fx.plantClick(inHour(40))
    await fx.plantClick(inHour(41))
    const [a, b] = await Promise.all([accrueClicks(store.db, new Date()), accrueClicks(store.db, new Date())])
    expect((a ?? 0) + (b ?? 0)).toBe(1)
    expect((await clickCommissions()).map((r) => [r.clicks, r.gross])).toEqual([
      [3, '15'],
      [2, '10'],
    ])
  })

  test('the ledger verifies and a recompute of the window finds the same', async () => {
    expect((await verifyLedger(store.db)).ok).toBe(true)
    const report = await recomputeAttribution(store.db, {
      from: new Date(Date.now() - 6 * HOUR),
      to: new Date(Date.now() + HOUR),
    })
    expect(report.differences).toEqual([])
  })
})
