import { describe, expect, test } from 'bun:test'
import { testAdminKey, testRuntime } from '../helpers/app.ts'
import { webhookFixture } from '../helpers/webhooks.ts'
import { createWebhookIntake } from '../../src/webhooks/intake.ts'
import { s2sAdapter } from '../../src/webhooks/networks/s2s.ts'
import { caller } from '../auth/helpers.ts'
import { nowSeconds, postSigned, sale, signature } from './helpers.ts'

// POST /api/v1/events/conversion signed by a registered device (X-SkinStack-Device) instead of the merchant's
// own s2s secret. The merchant-secret path stays as it was (test/webhooks/intake-stripe.test.ts, s2s.test.ts).
const { store, url, app, config, merchantId } = await webhookFixture([])
const call = caller(app)
const [other] = await store.query<{ id: string; slug: string }>(
  `insert into merchants (org_id, name, slug, default_currency)
   select org_id, 'Other', 'other-brand', 'USD' from merchants where id = $1 returning id, slug`,
  [merchantId],
)

async function device(name: string, merchant = merchantId) {
  const r = await call('POST', '/api/v1/devices', {
    auth: testAdminKey,
    body: { name, merchantId: merchant },
  })
  if (r.status !== 201) throw new Error(`register → ${r.status} ${JSON.stringify(r.body)}`)
  return r.body as { id: string; secret: string }
}

const conversions = async (orderId: string) =>
  store.query<{ id: string; merchant_id: string }>(
    'select id, merchant_id from conversions where external_order_id = $1',
    [orderId],
  )

describe('conversions signed by a device', () => {
  test("a good signature is processed as the device's merchant; a retry gets the same answer and changes nothing", async () => {
    const d = await device('shop-backend')
    const p = {
      device: d.id,
      secrets: [d.secret],
      id: 'msg_dev_1',
      body: sale('dev-1'),
      merchantSlug: 'glow-labs',
    }
    const first = await postSigned(app, p)
    expect(first).toMatchObject({ status: 200, body: { status: 'processed' } })
    const rows = await conversions('dev-1')
    expect(rows).toEqual([{ id: first.body.conversionIds[0], merchant_id: merchantId }])
    const retry = await postSigned(app, p)
    expect(retry).toEqual({ status: 202, body: { ...first.body, status: 'duplicate' } })
    // The same id and bytes signed again later (a sender's retry with a fresh timestamp): still one conversion.
    const replay = await postSigned(app, { ...p, timestamp: String(Number(nowSeconds()) - 120) })
    expect(replay.status).toBe(202)
    expect(await conversions('dev-1')).toHaveLength(1)
    const [event] = await store.query<{ external_id: string }>(
      'select external_id from webhook_events where id = $1',
      [first.body.eventId],
    )
    expect(event!.external_id).toBe(`device:${d.id}:msg_dev_1`)
  })

  test('the same webhook-id with another body is refused: 409 replayed_id, even on a host that never saw it', async () => {
    const d = await device('replay-target')
    const p = {
      device: d.id,
      secrets: [d.secret],
      id: 'msg_dev_2',
      body: sale('dev-2'),
      merchantSlug: 'glow-labs',
    }
    expect((await postSigned(app, p)).status).toBe(200)
    const tampered = await postSigned(app, { ...p, body: sale('dev-2', '9999.00') })
    expect(tampered.status).toBe(409)
    expect(tampered.body.error.code).toBe('replayed_id')
    const fresh = testRuntime(store, url).app
    expect((await postSigned(fresh, { ...p, body: sale('dev-2b') })).status).toBe(409)
    expect((await postSigned(fresh, p)).status).toBe(202)
    expect(await conversions('dev-2b')).toHaveLength(0)
    // Ids are per device: another device may use the same one.
    const d2 = await device('replay-neighbour')
    expect(
      (await postSigned(app, { ...p, device: d2.id, secrets: [d2.secret], body: sale('dev-2c') })).status,
    ).toBe(200)
  })

  test('timestamps more than 5 minutes off either way are 401 with the reason', async () => {
    const d = await device('clock-skewed')
    for (const offset of [-301, 301]) {
      const r = await postSigned(app, {
        device: d.id,
        secrets: [d.secret],
        id: `msg_skew_${offset}`,
        body: sale(`skew${offset}`),
        timestamp: String(Number(nowSeconds()) + offset),
        merchantSlug: 'glow-labs',
      })
      expect(r.status).toBe(401)
      expect(r.body.error).toEqual({
        code: 'stale_timestamp',
        message: 'webhook-timestamp is more than 300 s from now',
      })
    }
    const edge = await postSigned(app, {
      device: d.id,
      secrets: [d.secret],
      id: 'msg_skew_ok',
      body: sale('skew-ok'),
      timestamp: String(Number(nowSeconds()) - 290),
      merchantSlug: 'glow-labs',
    })
    expect(edge.status).toBe(200)
  })

  test('bad, foreign and extra signatures; unknown and revoked devices; another merchant named', async () => {
    const d = await device('sig-checks')
    const elsewhere = await device('other-brand-server', other!.id)
    const base = { device: d.id, secrets: [d.secret], merchantSlug: 'glow-labs' }
    const code = async (over: Partial<Parameters<typeof postSigned>[1]>, id: string) => {
      const r = await postSigned(app, { ...base, id, body: sale(id), ...over })
      return r.status === 200 ? 200 : `${r.status} ${r.body.error.code}`
    }
    expect(await code({ secrets: [elsewhere.secret] }, 'sig1')).toBe('401 bad_signature')
    expect(await code({ signatureHeader: 'v1,' }, 'sig2')).toBe('401 missing_signature')
    // Several signatures, space-separated: any valid v1 passes.
    const ts = nowSeconds()
    const both = `${signature(elsewhere.secret, 'sig3', ts, sale('sig3'))} ${signature(d.secret, 'sig3', ts, sale('sig3'))}`
    expect(await code({ signatureHeader: both, timestamp: ts }, 'sig3')).toBe(200)
    expect(await code({ device: crypto.randomUUID() }, 'sig4')).toBe('401 unknown_device')
    expect(await code({ device: 'not-a-uuid' }, 'sig5')).toBe('401 unknown_device')
    expect(await code({ merchantSlug: 'other-brand' }, 'sig6')).toBe('401 device_merchant_mismatch')
    expect((await call('POST', `/api/v1/devices/${d.id}/revoke`, { auth: testAdminKey })).status).toBe(200)
    expect(await code({}, 'sig7')).toBe('401 device_revoked')
    expect(await conversions('sig7')).toHaveLength(0)
  })

  test('after a rotation both secrets work until the previous one expires', async () => {
    const d = await device('rotator')
    const rotated = await call('POST', `/api/v1/devices/${d.id}/rotate`, { auth: testAdminKey })
    const next = rotated.body.secret as string
    const send = (secret: string, id: string) =>
      postSigned(app, {
        device: d.id,
        secrets: [secret],
        id,
        body: sale(id),
        merchantSlug: 'glow-labs',
      }).then((r) => r.status)
    expect(await send(d.secret, 'rot1')).toBe(200)
    expect(await send(next, 'rot2')).toBe(200)
    await store.query(`update devices set previous_expires_at = now() - interval '1 second' where id = $1`, [
      d.id,
    ])
    expect(await send(d.secret, 'rot3')).toBe(401)
    expect(await send(next, 'rot4')).toBe(200)
  })

  test('last_seen_at is set by a verified request only', async () => {
    const d = await device('seen')
    await postSigned(app, {
      device: d.id,
      secrets: ['whsec_' + Buffer.alloc(32).toString('base64')],
      id: 'seen0',
      body: sale('seen0'),
      merchantSlug: 'glow-labs',
    })
    const seen = async () =>
      (
        await store.query<{ at: string | null }>('select last_seen_at as at from devices where id = $1', [
          d.id,
        ])
      )[0]!.at
    expect(await seen()).toBeNull()
    expect(
      (
        await postSigned(app, {
          device: d.id,
          secrets: [d.secret],
          id: 'seen1',
          body: sale('seen1'),
          merchantSlug: 'glow-labs',
        })
      ).status,
    ).toBe(200)
    const t0 = performance.now()
    while ((await seen()) === null) {
      if (performance.now() - t0 > 5_000) throw new Error('last_seen_at never written')
      await Bun.sleep(10)
    }
    const list = await call('GET', `/api/v1/devices?merchantId=${merchantId}`, { auth: testAdminKey })
    expect(list.body.find((x: { id: string }) => x.id === d.id).lastSeenAt).not.toBeNull()
  })

  test('the intake takes the merchant from the device when no slug is given', async () => {
    const d = await device('slugless')
    const intake = createWebhookIntake({ store, config })
    const id = 'msg_slugless'
    const ts = nowSeconds()
    const body = sale('slugless-1')
    const headers = new Headers({
      'x-skinstack-device': d.id,
      'webhook-id': id,
      'webhook-timestamp': ts,
      'webhook-signature': signature(d.secret, id, ts, body),
    })
    const r = await intake.receive({ adapter: s2sAdapter, merchantSlug: null, rawBody: body, headers })
    expect(r.duplicate).toBe(false)
    expect(await conversions('slugless-1')).toEqual([{ id: r.conversionIds[0]!, merchant_id: merchantId }])
    // Without a device there is no merchant to assume.
    headers.delete('x-skinstack-device')
    await expect(
      intake.receive({ adapter: s2sAdapter, merchantSlug: null, rawBody: body, headers }),
    ).rejects.toMatchObject({
      status: 400,
    })
  })
})
