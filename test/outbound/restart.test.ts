import { describe, expect, test } from 'bun:test'
import { Lifecycle } from '../../src/lifecycle.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { testRuntime } from '../helpers/app.ts'
import { outboundFixture, startReceiver, until } from './fixtures.ts'

// The outbox is the queue: what was enqueued while no worker ran is sent by the next host to start, and a host
// stopping mid-attempt records the attempt before it lets go.
const fx = await outboundFixture()
const { store, call, keys } = fx
const receiver = startReceiver()
const { body: ep } = await call('POST', '/webhook-endpoints', keys.merchant, {
  url: receiver.url,
  events: ['conversion.created'],
})
receiver.secrets.push(ep.secret)

const statusOf = async (order: string) =>
  (
    await store.query<{ status: string; attempts: number }>(
      `select d.status, d.attempts from webhook_deliveries d
        where d.payload->'data'->>'orderId' = $1`,
      [order],
    )
  )[0]

/** A host as `serve` builds it (the runtime's workers: flusher, feed, outbound), on the test database. */
function host() {
  const rt = testRuntime(store, fx.url, {
    CLICK_JOURNAL_DIR: `/tmp/skinstack-test-journal-${process.pid}-${Math.random().toString(36).slice(2)}`,
  })
  return { rt, lifecycle: new Lifecycle(createLogger('silent')) }
}

describe('a restart loses no delivery', () => {
  test('enqueued while no worker runs, delivered once a fresh runtime starts', async () => {
    // No worker anywhere: the sale commits its delivery and it waits in Postgres.
    await fx.sharedSale('r-1')
    expect(await statusOf('r-1')).toEqual({ status: 'pending', attempts: 0 })
    expect(receiver.received).toHaveLength(0)
    const { rt, lifecycle } = host()
    await lifecycle.start(rt.workers)
    try {
      await receiver.count(1)
      expect(
        await until(
          () => statusOf('r-1'),
          (s) => s?.status !== 'pending',
        ),
      ).toEqual({
        status: 'delivered',
        attempts: 1,
      })
      expect(receiver.received[0]).toMatchObject({ valid: true })
      expect(JSON.parse(receiver.received[0]!.body).data.orderId).toBe('r-1')
    } finally {
      await lifecycle.stop()
    }
  })

  test('stop() waits for an attempt in flight and records it before returning', async () => {
    const { rt, lifecycle } = host()
    await lifecycle.start(rt.workers)
    const release = receiver.hold()
    await fx.sharedSale('r-2')
    await receiver.count(2)
    let stopped = false
    const stopping = lifecycle.stop().then(() => (stopped = true))
    // The receiver has the request and has not answered: stop must still be waiting.
    await Bun.sleep(50)
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(await statusOf('r-2')).toEqual({ status: 'delivered', attempts: 1 })
  })
})
