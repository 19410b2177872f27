import { describe, expect, test } from 'bun:test'
import { openSecret } from '../../src/shared/secret-box.ts'
import { testAdminKey } from '../helpers/app.ts'
import { outboundFixture } from './fixtures.ts'

const fx = await outboundFixture()
const { store, call, keys } = fx

const create = async (key: string, body: Record<string, unknown>) =>
  call('POST', '/webhook-endpoints', key, {
    url: 'https://hooks.example/in',
    events: ['payout.paid'],
    ...body,
  })

/** The same request against the default runtime (OUTBOUND_WEBHOOKS_ALLOW_HTTP unset). */
const strict = async (key: string, body: unknown) => {
  const res = await fx.app.handle(
    new Request('http://localhost/api/v1/webhook-endpoints', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  )
  return { status: res.status, body: (await res.json()) as any }
}

describe('webhook endpoints API', () => {
  test('create: the secret is shown once and stored sealed to the endpoint', async () => {
    const r = await create(keys.merchant, {
      events: ['conversion.created', 'payout.paid'],
      description: 'crm',
    })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({
      merchantId: fx.merchantId,
      influencerId: null,
      url: 'https://hooks.example/in',
      events: ['conversion.created', 'payout.paid'],
      description: 'crm',
      enabled: true,
      consecutiveFailures: 0,
    })
    expect(r.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(r.body.secret.slice(6), 'base64')).toHaveLength(32)
    const [row] = await store.query<{ secret_ciphertext: Uint8Array }>(
      'select secret_ciphertext from webhook_endpoints where id = $1',
      [r.body.id],
    )
    const sealed = row!.secret_ciphertext
    expect(Buffer.from(sealed).includes(Buffer.from(r.body.secret))).toBe(false)
    const key = fx.config.secrets.masterKey
    expect(openSecret(key, sealed, `webhook_endpoint:${r.body.id}`)).toBe(r.body.secret)
    expect(() => openSecret(key, sealed, `webhook_endpoint:${fx.otherMerchantId}`)).toThrow()
    const got = await call('GET', `/webhook-endpoints/${r.body.id}`, keys.merchant)
    expect(got.status).toBe(200)
    expect(got.body.secret).toBeUndefined()
  })

  test('plain http:// is refused unless OUTBOUND_WEBHOOKS_ALLOW_HTTP is set', async () => {
    const body = { url: 'http://127.0.0.1:9/hook', events: ['payout.paid'] }
    const refused = await strict(keys.merchant, body)
    expect([refused.status, refused.body.error.code]).toEqual([400, 'https_required'])
    expect((await strict(keys.merchant, { ...body, url: 'https://127.0.0.1:9/hook' })).status).toBe(201)
    expect((await create(keys.merchant, body)).status).toBe(201)
  })

  test.each([
    ['credentials in the URL', { url: 'https://user:pw@hooks.example/in' }, 'invalid_url'],
    ['not a URL', { url: 'hooks.example/in' }, 'invalid_url'],
    ['another scheme', { url: 'ftp://hooks.example/in' }, 'invalid_url'],
    ['a URL over 2,048 characters', { url: `https://hooks.example/${'a'.repeat(2030)}` }, 'invalid_request'],
    ['an unknown event type', { events: ['conversion.deleted'] }, 'invalid_request'],
    ['no event type', { events: [] }, 'invalid_request'],
    ['an event type twice', { events: ['payout.paid', 'payout.paid'] }, 'invalid_request'],
  ])('refuses %s (400)', async (_, body, code) => {
    const r = await create(keys.merchant, body)
    expect([r.status, r.body.error.code]).toEqual([400, code])
  })

  test('an admin names exactly one owner; a scoped key cannot name someone else', async () => {
    expect((await create(testAdminKey, {})).body.error.code).toBe('owner_required')
    const both = await create(testAdminKey, { merchantId: fx.merchantId, influencerId: fx.benId })
    expect([both.status, both.body.error.code]).toEqual([400, 'owner_required'])
    const forBen = await create(testAdminKey, { influencerId: fx.benId })
    expect([forBen.status, forBen.body.influencerId, forBen.body.merchantId]).toEqual([201, fx.benId, null])
    const unknown = await create(testAdminKey, { merchantId: crypto.randomUUID() })
    expect(unknown.status).toBe(422)
    expect((await create(keys.merchant, { merchantId: fx.otherMerchantId })).status).toBe(404)
    expect((await create(keys.ava, { influencerId: fx.benId })).status).toBe(404)
    expect((await create(keys.merchant, { influencerId: fx.influencerId })).status).toBe(404)
    const own = await create(keys.ava, { influencerId: fx.influencerId })
    expect([own.status, own.body.influencerId]).toEqual([201, fx.influencerId])
  })

  test('patch, rotate, delete', async () => {
    const { body: ep } = await create(keys.ava, {})
    const p = await call('PATCH', `/webhook-endpoints/${ep.id}`, keys.ava, {
      url: 'https://ava.example/hook',
      events: ['commission.approved'],
      description: null,
    })
    expect(p.body).toMatchObject({ url: 'https://ava.example/hook', events: ['commission.approved'] })
    const bad = await call('PATCH', `/webhook-endpoints/${ep.id}`, keys.ava, {
      url: 'https://a:b@ava.example/',
    })
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_url'])
    expect((await call('PATCH', `/webhook-endpoints/${ep.id}`, keys.ava, {})).status).toBe(400)
    const rotated = await call('POST', `/webhook-endpoints/${ep.id}/rotate-secret`, keys.ava)
    expect(rotated.body.secret).toMatch(/^whsec_/)
    expect(rotated.body.secret).not.toBe(ep.secret)
    expect((await call('DELETE', `/webhook-endpoints/${ep.id}`, keys.ava)).status).toBe(204)
    expect((await call('GET', `/webhook-endpoints/${ep.id}`, keys.ava)).status).toBe(404)
  })

  test("another tenant's endpoint and deliveries are a 404 on every route; the list leaves them out", async () => {
    const { body: ep } = await create(keys.merchant, {})
    const { body: avas } = await create(keys.ava, {})
    const deliveryId = Bun.randomUUIDv7()
    await store.query(
      `insert into webhook_deliveries (id, endpoint_id, event_type, payload, status) values ($1, $2, 'payout.paid', '{}', 'failed')`,
      [deliveryId, ep.id],
    )
    const routes = (id: string, delivery: string): [string, string, unknown?][] => [
      ['GET', `/webhook-endpoints/${id}`],
      ['PATCH', `/webhook-endpoints/${id}`, { description: 'mine now' }],
      ['DELETE', `/webhook-endpoints/${id}`],
      ['POST', `/webhook-endpoints/${id}/rotate-secret`],
      ['GET', `/webhook-endpoints/${id}/deliveries`],
      ['POST', `/webhook-deliveries/${delivery}/redeliver`],
    ]
    for (const key of [keys.otherMerchant, keys.ava, keys.ben])
      for (const [method, path, body] of routes(ep.id, deliveryId))
        expect([method, path, (await call(method, path, key, body)).status]).toEqual([method, path, 404])
    for (const key of [keys.merchant, keys.ben])
      for (const [method, path, body] of routes(avas.id, deliveryId).slice(0, 5))
        expect([method, path, (await call(method, path, key, body)).status]).toEqual([method, path, 404])
    for (const [method, path, body] of routes('not-a-uuid', 'nope'))
      expect((await call(method, path, keys.merchant, body)).status).toBe(404)
    const listed = async (key: string) =>
      (await call('GET', '/webhook-endpoints', key)).body.data.map((e: { id: string }) => e.id)
    expect(await listed(keys.otherMerchant)).not.toContain(ep.id)
    expect(await listed(keys.ben)).not.toContain(avas.id)
    expect(await listed(keys.merchant)).toContain(ep.id)
    expect(await listed(keys.merchant)).not.toContain(avas.id)
    expect(await listed(testAdminKey)).toEqual(expect.arrayContaining([ep.id, avas.id]))
    // Untouched by all of the above; the owner still reaches both.
    expect((await call('GET', `/webhook-endpoints/${ep.id}`, keys.merchant)).body.description).toBeNull()
    const log = await call('GET', `/webhook-endpoints/${ep.id}/deliveries`, keys.merchant)
    expect(log.body.data.map((d: { id: string }) => d.id)).toEqual([deliveryId])
    expect((await call('POST', `/webhook-deliveries/${deliveryId}/redeliver`, keys.merchant)).status).toBe(
      202,
    )
  })

  test('401 without a key, or with a wrong one, on every route', async () => {
    const id = crypto.randomUUID()
    const routes: [string, string][] = [
      ['POST', '/webhook-endpoints'],
      ['GET', '/webhook-endpoints'],
      ['GET', `/webhook-endpoints/${id}`],
      ['PATCH', `/webhook-endpoints/${id}`],
      ['DELETE', `/webhook-endpoints/${id}`],
      ['POST', `/webhook-endpoints/${id}/rotate-secret`],
      ['GET', `/webhook-endpoints/${id}/deliveries`],
      ['POST', `/webhook-deliveries/${id}/redeliver`],
    ]
    for (const [method, path] of routes)
      for (const key of [null, `sk_live_${'x'.repeat(43)}`]) {
        const r = await call(method, path, key, method === 'GET' || method === 'DELETE' ? undefined : {})
        expect([method, path, r.status, r.body?.error?.code]).toEqual([method, path, 401, 'unauthorized'])
      }
  })

  test('the delivery log and the endpoint list page newest first', async () => {
    const { body: ep } = await create(keys.merchant, {})
    const ids = [0, 1, 2].map(() => Bun.randomUUIDv7())
    for (const id of ids)
      await store.query(
        `insert into webhook_deliveries (id, endpoint_id, event_type, payload, status) values ($1, $2, 'payout.paid', '{}', 'delivered')`,
        [id, ep.id],
      )
    const page1 = await call('GET', `/webhook-endpoints/${ep.id}/deliveries?limit=2`, keys.merchant)
    expect(page1.body.data.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]])
    const page2 = await call(
      'GET',
      `/webhook-endpoints/${ep.id}/deliveries?limit=2&cursor=${page1.body.nextCursor}`,
      keys.merchant,
    )
    expect([page2.body.data.map((d: { id: string }) => d.id), page2.body.nextCursor]).toEqual([
      [ids[0]],
      null,
    ])
    // Endpoints page the same way: the newest one first.
    const first = await call('GET', '/webhook-endpoints?limit=1', keys.merchant)
    expect(first.body.data.map((e: { id: string }) => e.id)).toEqual([ep.id])
    const rest = await call(
      'GET',
      `/webhook-endpoints?limit=200&cursor=${first.body.nextCursor}`,
      keys.merchant,
    )
    expect(rest.body.data.length).toBeGreaterThan(1)
    expect(rest.body.data.map((e: { id: string }) => e.id)).not.toContain(ep.id)
    expect(rest.body.nextCursor).toBeNull()
  })
})
