import { afterAll, describe, expect, test } from 'bun:test'
import { outboundWorker } from '../../src/outbound/worker.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { outboundFixture, startReceiver, until } from './fixtures.ts'

// The worker against a real HTTP receiver that checks signatures on its own. A fast schedule (30 ms steps) and
// a 20 ms poll stand in for the production 5 s … 8 h and 1 s.
const fx = await outboundFixture()
const { store, call, keys } = fx
const worker = outboundWorker({
  store,
  log: createLogger('silent'),
  masterKey: fx.config.secrets.masterKey,
  pollMs: 20,
  scheduleMs: [30, 30, 30, 30],
  disableAfter: 4,
  timeoutMs: 2_000,
})
await worker.start()
afterAll(() => worker.stop())

const subscribe = async (url: string, key = keys.merchant, events = ['conversion.created']) => {
  const r = await call('POST', '/webhook-endpoints', key, { url, events })
  expect(r.status).toBe(201)
  return { id: r.body.id as string, secret: r.body.secret as string }
}
const log = (endpointId: string) =>
  call('GET', `/webhook-endpoints/${endpointId}/deliveries`, keys.merchant).then((r) => r.body.data as any[])
const settled = (endpointId: string) =>
  until(
    () => log(endpointId),
    (d) => d.length > 0 && d.every((x) => x.status !== 'pending'),
  )
const mute = (id: string) => call('PATCH', `/webhook-endpoints/${id}`, keys.merchant, { enabled: false })

describe('delivering the outbox', () => {
  test('a settled sale reaches each subscribed endpoint once, signed, with the stored payload', async () => {
    const merchant = startReceiver()
    const ava = startReceiver()
    const m = await subscribe(merchant.url)
    const a = await subscribe(ava.url, keys.ava)
    merchant.secrets.push(m.secret)
    ava.secrets.push(a.secret)
    const conversionId = await fx.sharedSale('d-1')
    await Promise.all([merchant.count(1), ava.count(1)])
    const [mLog] = await settled(m.id)
    expect(mLog).toMatchObject({ status: 'delivered', attemptCount: 1, lastStatusCode: 200 })
    expect(mLog.attempts.map((x: any) => x.statusCode)).toEqual([200])
    expect(merchant.received).toHaveLength(1)
    const got = merchant.received[0]!
    expect(got.valid).toBe(true)
    expect(got.id).toBe(mLog.id)
    expect(Math.abs(Number(got.timestamp) - Date.now() / 1000)).toBeLessThan(5)
    const body = JSON.parse(got.body)
    expect(body).toEqual(mLog.payload)
    expect(body.type).toBe('conversion.created')
    expect(body.data.conversionId).toBe(conversionId)
    expect(body.data.influencers).toHaveLength(2)
    // ava's copy: her own entry only, signed with her endpoint's secret (not the merchant's).
    const avaBody = JSON.parse(ava.received[0]!.body)
    expect(avaBody.data.influencers.map((i: any) => i.influencerId)).toEqual([fx.influencerId])
    expect(ava.received[0]!.valid).toBe(true)
    merchant.secrets.length = 0
    merchant.secrets.push(a.secret)
    await fx.sharedSale('d-1b')
    await merchant.count(2)
    expect(merchant.received[1]!.valid).toBe(false)
    await Promise.all([mute(m.id), call('DELETE', `/webhook-endpoints/${a.id}`, keys.ava)])
  })

  test('500 then 200: retried with the same webhook-id, every attempt logged with its status code', async () => {
    const r = startReceiver()
    r.reply(500, 503)
    const ep = await subscribe(r.url)
    r.secrets.push(ep.secret)
    await fx.sharedSale('d-2')
    await r.count(3)
    const [d] = await settled(ep.id)
    expect(d.status).toBe('delivered')
    expect(d.attemptCount).toBe(3)
    expect(d.attempts.map((x: any) => [x.statusCode, x.error])).toEqual([
      [500, 'HTTP 500'],
      [503, 'HTTP 503'],
      [200, null],
    ])
    expect(d.attempts[0].responseSnippet).toStartWith('boom 500')
    expect(d.attempts[0].responseSnippet.length).toBe(500)
    expect(new Set(r.received.map((x) => x.id))).toEqual(new Set([d.id]))
    expect(r.received.every((x) => x.valid)).toBe(true)
    const [ep2] = await store.query<{ consecutive_failures: number }>(
      'select consecutive_failures from webhook_endpoints where id = $1',
      [ep.id],
    )
    expect(ep2?.consecutive_failures).toBe(0)
    await mute(ep.id)
  })

  test('a delivery still failing 24 h after it was created is failed, not retried', async () => {
    const r = startReceiver(500)
    const ep = await subscribe(r.url)
    await store.query(
      `insert into webhook_deliveries (id, endpoint_id, event_type, payload, created_at)
       values ($1, $2, 'conversion.created', '{"type":"conversion.created","data":{}}', now() - interval '24 hours 1 second')`,
      [Bun.randomUUIDv7(), ep.id],
    )
    const [d] = await settled(ep.id)
    expect(d).toMatchObject({ status: 'failed', attemptCount: 1, lastStatusCode: 500, nextAttemptAt: null })
    expect(r.received).toHaveLength(1)
    await mute(ep.id)
  })

  test('failed attempts in a row disable the endpoint and fail what it still had waiting', async () => {
    const r = startReceiver(500)
    const ep = await subscribe(r.url)
    // The first attempt is held open until a second delivery is waiting too; four failures across both disable.
    const release = r.hold()
    await fx.sharedSale('d-4a')
    await r.count(1)
    await fx.sharedSale('d-4b')
    release()
    const endpoint = await until(
      async () => (await call('GET', `/webhook-endpoints/${ep.id}`, keys.merchant)).body,
      (e) => e.enabled === false,
    )
    // The other delivery's attempt may be recorded between the 4th failure and the disabling: at most one more.
    const failures = endpoint.consecutiveFailures
    expect(failures === 4 || failures === 5).toBe(true)
    expect(endpoint.disabledReason).toMatch(/^[45] failed attempts in a row \(last: HTTP 500\)$/)
    const logged = await settled(ep.id)
    expect(logged.map((d) => d.status)).toEqual(['failed', 'failed'])
    expect(logged.reduce((n, d) => n + d.attemptCount, 0)).toBe(failures)
    expect(
      logged.every((d) => d.lastError.startsWith('HTTP 500') || d.lastError.startsWith('endpoint disabled')),
    ).toBe(true)
    // Nothing more is sent or enqueued while disabled.
    await fx.sharedSale('d-4c')
    expect(await log(ep.id)).toHaveLength(2)
    const sent = r.received.length
    // Re-enabling starts a fresh count; a redelivery goes out again.
    const on = await call('PATCH', `/webhook-endpoints/${ep.id}`, keys.merchant, { enabled: true })
    expect(on.body).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null })
    r.reply(200)
    const redo = await call('POST', `/webhook-deliveries/${logged[0].id}/redeliver`, keys.merchant)
    expect(redo.status).toBe(202)
    await r.count(sent + 1)
    await mute(ep.id)
  })

  test('redelivery sends a delivered delivery again, now, with the same webhook-id', async () => {
    const r = startReceiver()
    const ep = await subscribe(r.url)
    r.secrets.push(ep.secret)
    await fx.sharedSale('d-5')
    const [first] = await settled(ep.id)
    expect((await call('POST', `/webhook-deliveries/${first.id}/redeliver`, keys.merchant)).status).toBe(202)
    await r.count(2)
    const [again] = await settled(ep.id)
    expect(again).toMatchObject({ id: first.id, status: 'delivered', attemptCount: 2 })
    expect(r.received.map((x) => x.id)).toEqual([first.id, first.id])
    expect(r.received.map((x) => x.body)).toEqual([r.received[0]!.body, r.received[0]!.body])
    expect(r.received.every((x) => x.valid)).toBe(true)
    // Only delivered or failed ones: a pending one is already on its way.
    await store.query(
      `update webhook_deliveries set status = 'pending', next_attempt_at = now() + interval '1 hour' where id = $1`,
      [first.id],
    )
    const busy = await call('POST', `/webhook-deliveries/${first.id}/redeliver`, keys.merchant)
    expect([busy.status, busy.body.error.code]).toEqual([409, 'delivery_pending'])
  })
})
