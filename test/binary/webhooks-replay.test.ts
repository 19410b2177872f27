import { expect, test } from 'bun:test'
import { testSecretsEnv } from '../helpers/app.ts'
import { isolatedBinary, run } from '../helpers/binary.ts'
import { createTestDb } from '../helpers/databases.ts'

const { bin, dir } = isolatedBinary()
const { store, url } = await createTestDb()
const env = { ...testSecretsEnv, DATABASE_URL: url }

test('webhooks replay in the compiled binary: 0 processed, 0 already processed, 4 unknown, 2 not an id', async () => {
  expect((await run(bin, ['seed'], env, dir)).code).toBe(0)
  const body = JSON.stringify({
    id: 9100,
    created_at: '2026-11-20T10:00:00Z',
    currency: 'USD',
    total_price: '25.00',
    line_items: [{ sku: 'S', price: '25.00', quantity: 1 }],
  })
  const [ev] = await store.query<{ id: string }>(
    `insert into webhook_events (source, external_id, merchant_id, headers, raw_body, signature_valid, status, attempts)
     select 'shopify', 'bin-replay', id, $1, $2, true, 'failed', 1 from merchants where slug = 'glow-labs'
     returning id`,
    [{ 'x-shopify-topic': 'orders/paid', 'x-shopify-webhook-id': 'bin-replay' }, body],
  )
  const id = ev?.id ?? ''
  const first = await run(bin, ['webhooks', 'replay', id], env, dir)
  expect(first.code).toBe(0)
  expect(first.stdout).toContain(`replayed event ${id} (shopify): processed, 1 conversion(s), 1 new`)
  const again = await run(bin, ['webhooks', 'replay', id, '--json'], env, dir)
  expect(again.code).toBe(0)
  expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'already_processed', eventId: id })
  const unknown = await run(bin, ['webhooks', 'replay', Bun.randomUUIDv7()], env, dir)
  expect(unknown.code).toBe(4)
  expect(unknown.stderr).toContain('no webhook event')
  expect((await run(bin, ['webhooks', 'replay', 'latest'], env, dir)).code).toBe(2)
  const [n] = await store.query<{ n: string }>(
    `select count(*)::text as n from conversions where external_order_id = '9100'`,
  )
  expect(n?.n).toBe('1')
})
