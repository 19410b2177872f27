import { afterAll, expect, test } from 'bun:test'
import { verifyLedger } from '../../src/commissions/ledger-verify.ts'
import { influencers, programMemberships } from '../../src/db/schema/index.ts'
import { testSecretsEnv } from '../helpers/app.ts'
import { isolatedBinary, startServe } from '../helpers/binary.ts'
import { startFakeStripe } from '../helpers/fake-stripe.ts'
import { settleFixture } from '../helpers/settle.ts'

const { bin, dir } = isolatedBinary()
const fx = await settleFixture()
const { store } = fx
const handles = ['ava', 'zoe', 'mia'] as const
const stripe = await startFakeStripe({ accounts: handles.map((h) => `acct_${h}`) })
afterAll(() => stripe[Symbol.asyncDispose]())

await store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])
const [{ org_id: orgId } = { org_id: '' }] = await store.query<{ org_id: string }>(
  'select org_id from influencers where id = $1',
  [fx.influencerId],
)
for (const handle of handles.slice(1)) {
  const [inf] = await store.db
    .insert(influencers)
    .values({ orgId, handle, displayName: handle, currency: 'USD' })
    .returning()
  await store.db.insert(programMemberships).values({ programId: fx.programId, influencerId: inf!.id })
}
await store.query(
  `update influencers set payout_method = 'stripe_connect', payout_account = 'acct_' || handle
    where handle = any($1)`,
  [handles],
)
for (const h of handles) await fx.approvedSales(4, `two-${h}`, h)

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000) {
  const end = performance.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(20)
  }
}

const payoutRows = () =>
  store.query<{ handle: string; status: string; attempts: number; net: string }>(
    `select i.handle, p.status, p.attempts, p.net_minor::text as net
       from payouts p join influencers i on i.id = p.influencer_id order by i.handle`,
  )

test('two hosts run the schedule; the one paying is killed while Stripe holds its answer; the other finishes the run and nobody is paid twice', async () => {
  const env = {
    ...testSecretsEnv,
    DATABASE_URL: fx.url,
    LOG_LEVEL: 'info',
    STRIPE_API_BASE: stripe.url,
    STRIPE_SECRET_KEY: stripe.secretKey,
    PAYOUT_PROVIDER_TIMEOUT_MS: '30000',
    PAYOUT_SCHEDULE_DAY: '1',
    PAYOUT_SCHEDULE_INTERVAL_MS: '200',
  }
  // The first transfer is made at Stripe, but its answer never reaches host A.
  stripe.fault({ kind: 'commit-then-hang' }, 1, 'create')
  await using a = await startServe(bin, { ...env, CLICK_JOURNAL_DIR: `${dir}/j-a` }, dir)
  await until('the first transfer at Stripe', () => (stripe.transfers.length === 1 ? true : undefined))
  await using b = await startServe(bin, { ...env, CLICK_JOURNAL_DIR: `${dir}/j-b` }, dir)
  // B checks while A holds the run, and steps aside.
  await until('host B to find the run held', () =>
    b.logs.some((l) => l.includes('payout run is held by another host')) ? true : undefined,
  )
  expect((await payoutRows()).map((p) => [p.status, p.attempts])).toEqual([['initiated', 1]])

  a.proc.kill('SIGKILL')
  await a.proc.exited
  const [run] = await until('the run completed by host B', async () => {
    const rows = await store.query<{ status: string; period: string }>(
      `select status, period from payout_runs`,
    )
    return rows[0]?.status === 'completed' ? rows : undefined
  })
  stripe.release()
  await stripe.idle()

  // 64.00 owed each, 2.9 % + 0.30 Stripe fee = 2.16: 61.84 sent, once per influencer.
  expect(await payoutRows()).toEqual(
    [...handles].sort().map((handle) => ({ handle, status: 'paid', attempts: 1, net: '6184' })),
  )
  expect(stripe.transfers.map((t) => t.destination).sort()).toEqual(handles.map((h) => `acct_${h}`).sort())
  expect(stripe.transfers.every((t) => t.amount === 6184)).toBe(true)
  // Host B asked about A's transfer (found it) instead of sending it again.
  expect(stripe.counters.creates).toBe(3)
  expect(b.logs.some((l) => l.includes('scheduled payout run finished'))).toBe(true)
  const [paid] = await store.query<{ n: number }>(
    `select count(*)::int as n from commissions where status = 'paid'`,
  )
  expect(paid?.n).toBe(12)
  expect((await verifyLedger(store.db)).ok).toBe(true)

  // Later checks find the run done and send nothing more.
  await Bun.sleep(600)
  expect(stripe.counters.creates).toBe(3)
  expect((await store.query(`select 1 from payouts`)).length).toBe(3)
  expect(run?.period).toMatch(/^\d{4}-\d{2}$/)
  expect(await b.stop()).toBe(0)
}, 60_000)
