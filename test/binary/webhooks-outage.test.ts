import { afterAll, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { loadConfig } from '../../src/config.ts'
import { openPostgres } from '../../src/db/postgres.ts'
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
  let unavailable = 0
  const deliver = async (i: number): Promise<number> => {
    const body = JSON.stringify({
      id: 70000 + i,
      created_at: '2026-11-21T10:00:00Z',
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
  console.log(
    `${N} deliveries, ${unavailable} answered 503 during the outage and were retried; ${c?.conv} conversions`,
  )
  await store.close()
  expect(await server.stop()).toBe(0)
}, 120_000)
