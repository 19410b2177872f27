import { expect, test } from 'bun:test'
import { createLogger } from '../../src/shared/logger.ts'
import { createEventFlusher, type PendingEvent } from '../../src/site/event-flusher.ts'
import { createTestDb } from '../helpers/databases.ts'

const { store } = await createTestDb()
const merchant = Bun.randomUUIDv7()

function event(i: number, over: Partial<Record<keyof PendingEvent, unknown>> = {}): PendingEvent {
  return {
    id: Bun.randomUUIDv7(),
    received_at: new Date().toISOString(),
    kind: 'pageview',
    merchant_id: merchant,
    origin: 'https://shop.example',
    session_id: `flusher-${i % 7}`,
    click_token: null,
    click_id: null,
    clicked_at: null,
    click_status: 'missing',
    url: `https://shop.example/p/${i}`,
    referrer: null,
    user_agent: 'Mozilla/5.0',
    ip_hash: null,
    bot_score: 0,
    order_id: null,
    revenue: null,
    currency: null,
    conversion_id: null,
    ...over,
  } as PendingEvent
}

const count = async (sql: string) => Number((await store.query<{ n: string }>(`select (${sql}) as n`))[0]?.n)

test('stop stores everything accepted, in batches, and the sessions add up', async () => {
  // An interval no test waits for: only the batch size and stop() can move these.
  const f = createEventFlusher({ store, log: createLogger('silent'), intervalMs: 60_000, maxRows: 100 })
  f.worker.start()
  for (let i = 0; i < 1_050; i++) expect(f.push(event(i))).toBe(true)
  await f.worker.stop()
  expect(f.waiting).toBe(0)
  expect(await count(`select count(*) from site_events where merchant_id = '${merchant}'`)).toBe(1_050)
  expect(await count(`select sum(pageviews) from site_sessions where merchant_id = '${merchant}'`)).toBe(
    1_050,
  )
  expect(await count(`select count(*) from site_sessions where merchant_id = '${merchant}'`)).toBe(7)
})

test('a row Postgres refuses is dropped alone; the rest of its batch is stored', async () => {
  const f = createEventFlusher({ store, log: createLogger('silent'), intervalMs: 60_000 })
  const good = [event(1, { session_id: 'poison-a' }), event(2, { session_id: 'poison-a' })]
  f.push(good[0] as PendingEvent)
  f.push(event(3, { session_id: 'poison-b', revenue: 'not a number' }))
  f.push(good[1] as PendingEvent)
  await f.flush()
  expect(f.stats.dropped).toBe(1)
  expect(await count(`select count(*) from site_events where session_id like 'poison-%'`)).toBe(2)
  expect(await count(`select pageviews from site_sessions where session_id = 'poison-a'`)).toBe(2)
})

test('a full buffer refuses instead of growing', () => {
  const f = createEventFlusher({ store, log: createLogger('silent'), capacity: 3 })
  expect([1, 2, 3, 4].map((i) => f.push(event(i)))).toEqual([true, true, true, false])
  expect(f.stats.refused).toBe(1)
})
