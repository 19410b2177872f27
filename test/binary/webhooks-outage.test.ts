import { afterAll, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { verifyLedger } from '../../src/commissions/ledger-verify.ts'
import { loadConfig } from '../../src/config.ts'
import { openPostgres } from '../../src/db/postgres.ts'
import { signClickId } from '../../src/shared/click-id.ts'
import { addSecret } from '../../src/webhooks/secrets.ts'
import { testSecretsEnv } from '../helpers/app.ts'
import { isolatedBinary, run, startServe } from '../helpers/binary.ts'
import { startThrowawayCluster } from '../helpers/postgres-server.ts'

const { bin, dir } = isolatedBinary()
// A private cluster: stopping it disturbs no other test.
const cluster = await startThrowawayCluster()
afterAll(() => cluster.stop())
const SECRET = 'shpss_outage_secret_0123456789'

test('Postgres stopped mid-stream: 503s, the sender retries, every order lands exactly once, nothing half-written', async () => {
  const url = cluster.adminUrl
  const env = { ...testSecretsEnv, DATABASE_URL: url, LOG_LEVEL: 'info', CLICK_JOURNAL_DIR: `${dir}/j-wh` }
  expect((await run(bin, ['migrate'], env, dir)).code).toBe(0)
  expect((await run(bin, ['seed'], env, dir)).code).toBe(0)
  const store = openPostgres({ url, poolSize: 2 })
  const [m] = await store.query<{ id: string }>(`select id from merchants where slug = 'glow-labs'`)
  await addSecret(store, loadConfig(env).secrets.masterKey, {
    merchantId: m?.id ?? '',
    source: 'shopify',
    keyId: 'k1',
    secret: SECRET,
    slot: 1,
  })
  await using server = await startServe(bin, env, dir)

  const N = 300
  // Every order names a stored click, so each delivery writes the whole chain: event, conversion, attribution,
  // commission, ledger entry, rollup delta. Any of them half-written shows in the counts below.
  const clickAt = Date.now() - 120_000
  const clickIds = Array.from({ length: N }, () => Bun.randomUUIDv7('hex', clickAt))
  await store.query(
    `insert into clicks (id, clicked_at, link_id, slug, program_id, influencer_id, campaign_id)
     select u, $2::timestamptz, l.id, l.slug, l.program_id, l.influencer_id, l.campaign_id
       from unnest($1::uuid[]) u, tracking_links l where l.slug = 'glow-serum'`,
    [clickIds, new Date(clickAt).toISOString()],
  )
  const clickKey = loadConfig(env).secrets.clickIdKeys[0]
  if (!clickKey) throw new Error('no click key')
  let unavailable = 0
  const deliver = async (i: number): Promise<number> => {
    const body = JSON.stringify({
      id: 70000 + i,
      created_at: new Date(clickAt + 30_000).toISOString(),
      landing_site: `/p?sk_cid=${signClickId(clickKey, clickIds[i] as string)}`,
      currency: 'USD',
      subtotal_price: '10.00',
      total_price: '10.00',
      line_items: [{ sku: 'S', price: '10.00', quantity: 1 }],
    })
    const headers = {
      'x-shopify-topic': 'orders/paid',
      'x-shopify-webhook-id': `outage-${i}`,
      'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64'),
    }
    // Like Shopify: anything but 2xx (or no answer) is retried.
    for (let attempt = 0; attempt < 200; attempt++) {
      const res = await fetch(`${server.base}/webhooks/shopify/glow-labs`, {
        method: 'POST',
        body,
        headers,
        signal: AbortSignal.timeout(15_000),
      }).catch(() => undefined)
      if (res) await res.arrayBuffer()
      if (res && res.status < 300) return res.status
      if (res?.status === 503) unavailable++
      else if (res) return res.status
      await Bun.sleep(100)
    }
    return -1
  }

  let next = 0
  const statuses: number[] = []
  const workers = Array.from({ length: 8 }, async () => {
    while (next < N) {
      const i = next++
      if (i === 100) {
        cluster.pause()
        setTimeout(() => cluster.start(), 1500)
      }
      statuses[i] = await deliver(i)
    }
  })
  await Promise.all(workers)
  expect(statuses.filter((s) => s !== 200 && s !== 202)).toEqual([])
  expect(unavailable).toBeGreaterThan(0)
  const [c] = await store.query<{ conv: number; events: number; orphans: number }>(
    `select (select count(*)::int from conversions) as conv,
            (select count(*)::int from webhook_events) as events,
            (select count(*)::int from conversions c left join webhook_events e on e.id = c.webhook_event_id
              where e.id is null) as orphans`,
  )
  expect(c).toEqual({ conv: N, events: N, orphans: 0 })
  const [chain] = await store.query<Record<string, number>>(
    `select (select count(*)::int from attributions) as attributions,
            (select count(*)::int from commissions) as commissions,
            -- Two postings per commission: the influencer's earning and the merchant's owing (src/commissions/ledger.ts).
            (select count(*)::int from ledger_entries where entry_type = 'commission_earned') as earned,
            (select count(*)::int from conversions v
              where (select count(*) from attributions a where a.conversion_id = v.id) <> 1
                 or (select count(*) from commissions k where k.conversion_id = v.id) <> 1) as not_exactly_one,
            (select coalesce(sum(commissions), 0)::int from sales_rollup_queue) +
            (select coalesce(sum(commissions), 0)::int from sales_rollups_hourly) as rolled_up`,
  )
  expect(chain).toEqual({ attributions: N, commissions: N, earned: 2 * N, not_exactly_one: 0, rolled_up: N })
  expect((await verifyLedger(store.db)).ok).toBe(true)
  console.log(
    `${N} deliveries, ${unavailable} answered 503 during the outage and were retried; ${c?.conv} conversions`,
  )
  await store.close()
  expect(await server.stop()).toBe(0)
}, 120_000)
