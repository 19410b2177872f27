// Where a delivery's server time goes: N signed Shopify orders (each naming a stored click) through the
// in-process app, against a scratch database. Run under `bun --cpu-prof-md` to see the split.
// Usage: bun [--cpu-prof-md --cpu-prof-dir=/tmp/prof] bench/settle-profile.ts [N] [concurrency]
import { createHmac } from 'node:crypto'
import { signClickId, uuidV7Time } from '../src/shared/click-id.ts'
import { addSecret } from '../src/webhooks/secrets.ts'
import { withScratchRuntime } from './lib/scratch-runtime.ts'

const N = Number(Bun.argv[2] ?? 2000)
const CONC = Number(Bun.argv[3] ?? 16)
const SECRET = 'shpss_profile_secret'

await withScratchRuntime('settle', {}, async ({ store, rt }) => {
  const config = rt.config
  // SETTLE_DROP_HOT_FKS=1 (an experiment): without the foreign keys from the per-sale tables to the few hot
  // parent rows (merchant, program, influencer, link), to measure what their KEY SHARE locks cost.
  if (process.env.SETTLE_DROP_HOT_FKS)
    await store.query(`do $$ declare r record; begin
      for r in select conrelid::regclass as t, conname from pg_constraint
        where contype = 'f' and conrelid::regclass::text in ('conversions','attributions','commissions','ledger_entries','webhook_events')
          and confrelid::regclass::text in ('merchants','programs','influencers','tracking_links')
      loop execute format('alter table %s drop constraint %I', r.t, r.conname); end loop; end $$`)
  if (process.env.SETTLE_NO_SALES_ROLLUP)
    await store.query(`alter table commissions disable trigger commissions_sales_rollup_ins`)
  const [m] = await store.query<{ id: string }>(`select id from merchants where slug = 'glow-labs'`)
  await addSecret(store, config.secrets.masterKey, {
    merchantId: m?.id ?? '',
    source: 'shopify',
    keyId: 'p',
    secret: SECRET,
    slot: 1,
  })
  const key = config.secrets.clickIdKeys[0]!
  const at = Date.now() - 60_000
  const ids = Array.from({ length: N }, () => Bun.randomUUIDv7('hex', at))
  // Bun moves a v7 id's time a millisecond on when its counter for `at` runs out; a click's time is its id's.
  await store.query(
    `insert into clicks (id, clicked_at, link_id, slug, program_id, influencer_id, campaign_id)
   select u, t, l.id, l.slug, l.program_id, l.influencer_id, l.campaign_id
     from unnest($1::uuid[], $2::timestamptz[]) as x(u, t), tracking_links l where l.slug = 'glow-serum'`,
    [ids, ids.map((id) => new Date(uuidV7Time(id)).toISOString())],
  )
  const app = rt.app
  const deliver = async (i: number) => {
    const body = JSON.stringify({
      id: 9_000_000 + i,
      created_at: new Date(at + 30_000).toISOString(),
      currency: 'USD',
      subtotal_price: '100.00',
      total_price: '108.50',
      total_tax: '8.50',
      landing_site: `/p?sk_cid=${signClickId(key, ids[i]!)}`,
      line_items: [{ id: 1, sku: 'SERUM-30', price: '50.00', quantity: 2 }],
    })
    const res = await app.handle(
      new Request('http://localhost/webhooks/shopify/glow-labs', {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-shopify-topic': 'orders/paid',
          'x-shopify-webhook-id': `p-${i}`,
          'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64'),
        },
      }),
    )
    if (res.status !== 200) throw new Error(`delivery ${i}: ${res.status} ${await res.text()}`)
  }
  const t0 = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next < N) await deliver(next++)
    }),
  )
  const ms = performance.now() - t0
  const [c] = await store.query<{ n: string }>(`select count(*)::text as n from commissions`)
  console.log(
    `${N} deliveries in ${ms.toFixed(0)} ms = ${((N / ms) * 1000).toFixed(0)}/s; commissions ${c?.n}`,
  )
  if (c?.n !== String(N)) throw new Error(`expected ${N} commissions, found ${c?.n}`)
})
