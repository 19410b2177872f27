import { describe, expect, test } from 'bun:test'
import { recomputeAttribution } from '../../src/attribution/recompute.ts'
import { testSecretsEnv } from '../helpers/app.ts'
import { runSource } from '../helpers/binary.ts'
import { settleFixture } from '../helpers/settle.ts'

const fx = await settleFixture()
const { store } = fx
const HOUR = 3_600_000
const window = () => ({ from: new Date(Date.now() - 24 * HOUR), to: new Date(Date.now() + HOUR) })
const snapshot = () =>
  store.query(
    `select c.id, c.gross_minor::text, c.net_minor::text, c.status, (select count(*) from ledger_entries) as entries
       from commissions c order by c.id`,
  )

describe('attribution recompute', () => {
  test('an unchanged ledger recomputes with no differences, and nothing live is written', async () => {
    for (const [i, total] of ['100.00', '59.99', '12.34'].entries()) {
      const click = await fx.plantClick(new Date(Date.now() - (i + 1) * HOUR))
      expect(
        (
          await fx.post({
            type: 'sale',
            order_id: `rc-${i}`,
            occurred_at: new Date().toISOString(),
            currency: 'USD',
            total,
            click_id: click.token,
          })
        ).status,
      ).toBe(200)
    }
    await fx.post({
      type: 'refund',
      order_id: 'rc-1',
      refund_id: 'rc-1-r',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '20.00',
    })
    await fx.post({
      type: 'sale',
      order_id: 'rc-sub',
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '40.00',
      sub_id: 'ava',
    })
    const before = await snapshot()
    const report = await recomputeAttribution(store.db, window())
    expect(report.conversions).toBe(5)
    expect(report.differences).toEqual([])
    expect(await snapshot()).toEqual(before)
    const schemas = await store.query(`select nspname from pg_namespace where nspname like 'recompute_%'`)
    expect(schemas).toEqual([])
  })

  test('a changed program rate shows up as differences, live rows untouched', async () => {
    const before = await snapshot()
    await store.query(`update programs set commission_rate = '0.25' where id = $1`, [fx.programId])
    try {
      const report = await recomputeAttribution(store.db, window())
      const commissions = report.differences.filter((d) => d.what.startsWith('commission'))
      expect(commissions.map((d) => d.orderId).sort()).toEqual(['rc-0', 'rc-1', 'rc-2', 'rc-sub'])
      const rc0 = commissions.find((d) => d.orderId === 'rc-0')
      // 100.00 at 25 % instead of 20 %: gross 25.00, fee 5.00, net 20.00.
      expect([rc0?.live, rc0?.recomputed]).toEqual(['sale 10000 2000 400 1600', 'sale 10000 2500 500 2000'])
      expect(report.differences.some((d) => d.what.startsWith('reversed') && d.orderId === 'rc-1')).toBe(true)
    } finally {
      await store.query(`update programs set commission_rate = '0.200000' where id = $1`, [fx.programId])
    }
    expect(await snapshot()).toEqual(before)
  })

  test('--keep-schema leaves the scratch tables for inspection', async () => {
    const report = await recomputeAttribution(store.db, { ...window(), keepSchema: true })
    expect(report.schema).toMatch(/^recompute_/)
    const [n] = await store.query<{ n: string }>(
      `select count(*)::text as n from "${report.schema}".commissions`,
    )
    expect(Number(n?.n)).toBeGreaterThanOrEqual(4)
    await store.query(`drop schema "${report.schema}" cascade`)
  })

  test('the command: 0 when identical, 3 with the differences listed, --json for scripts', async () => {
    const env = { ...testSecretsEnv, DATABASE_URL: fx.url, LOG_LEVEL: 'silent' }
    const w = window()
    const args = ['attribution', 'recompute', '--from', w.from.toISOString(), '--to', w.to.toISOString()]
    const same = await runSource(args, env)
    expect([same.code, same.stderr]).toEqual([0, ''])
    expect(same.stdout).toContain('identical to the live ledger')
    await store.query(`update programs set platform_fee_rate = '0.1' where id = $1`, [fx.programId])
    try {
      const differ = await runSource(args, env)
      expect(differ.code).toBe(3)
      expect(differ.stdout).toContain('order rc-0')
      const json = await runSource([...args, '--json'], env)
      expect(json.code).toBe(3)
      expect((JSON.parse(json.stdout) as { differences: unknown[] }).differences.length).toBeGreaterThan(0)
    } finally {
      await store.query(`update programs set platform_fee_rate = '0.200000' where id = $1`, [fx.programId])
    }
  })

  test('a window with from after to is refused', async () => {
    await expect(
      recomputeAttribution(store.db, { from: new Date(), to: new Date(Date.now() - HOUR) }),
    ).rejects.toThrow('--from must be before --to')
  })
})
