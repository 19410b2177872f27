import { describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { testAdminKey, testRuntime } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { seedLinks } from '../helpers/links.ts'

const { store, url } = await createTestDb()
await seedLinks(store)
const app = testRuntime(store, url).app
const base = 'http://localhost/api/v1/merchants/glow-labs/webhook-secrets'
const auth = { authorization: `Bearer ${testAdminKey}`, 'content-type': 'application/json' }
const api = (path: string, init: RequestInit = {}) =>
  app.handle(new Request(base + path, { ...init, headers: { ...auth, ...(init.headers ?? {}) } }))

function s2sDelivery(secret: string, id: string) {
  const body = JSON.stringify({
    type: 'lead',
    order_id: `lead-${id}`,
    occurred_at: '2026-11-21T12:00:00Z',
    currency: 'USD',
    total: '0.00',
  })
  const ts = String(Math.floor(Date.now() / 1000))
  const sig = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
    .update(`${id}.${ts}.${body}`)
    .digest('base64')
  return app.handle(
    new Request('http://localhost/webhooks/s2s/glow-labs', {
      method: 'POST',
      body,
      headers: { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` },
    }),
  )
}

describe('webhook secrets API and rotation', () => {
  test('generate, use, rotate, retire; never listed; 409 beyond two active', async () => {
    const first = await api('/', { method: 'POST', body: JSON.stringify({ source: 's2s' }) })
    expect(first.status).toBe(201)
    const a = (await first.json()) as { keyId: string; secret: string; slot: number }
    expect(a.secret).toStartWith('whsec_')
    expect(a.slot).toBe(1)
    expect((await s2sDelivery(a.secret, 'm1')).status).toBe(200)

    const second = (await (
      await api('/', { method: 'POST', body: JSON.stringify({ source: 's2s' }) })
    ).json()) as {
      keyId: string
      secret: string
      slot: number
    }
    expect(second.slot).toBe(2)
    // During rotation both verify.
    expect((await s2sDelivery(a.secret, 'm2')).status).toBe(200)
    expect((await s2sDelivery(second.secret, 'm3')).status).toBe(200)
    const third = await api('/', { method: 'POST', body: JSON.stringify({ source: 's2s' }) })
    expect(third.status).toBe(409)
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('two_active_secrets')

    expect((await api(`/${a.keyId}/deactivate`, { method: 'POST' })).status).toBe(200)
    const refused = await s2sDelivery(a.secret, 'm4')
    expect(refused.status).toBe(401)
    expect((await s2sDelivery(second.secret, 'm5')).status).toBe(200)

    const list = await (await api('/')).text()
    expect(list).not.toContain(a.secret)
    expect(list).not.toContain(second.secret)
    expect(JSON.parse(list)).toHaveLength(2)

    const metrics = await (await app.handle(new Request('http://localhost/metrics'))).text()
    expect(metrics).toMatch(/webhook_deliveries_total\{source="s2s",outcome="refused"\} 1/)
    expect(metrics).toMatch(/webhook_deliveries_total\{source="s2s",outcome="processed"\} 4/)
  })

  test.each([
    ['no key', {}, 401],
    ['unknown source', { source: 'paypal' }, 400],
    ['secret too short', { source: 'shopify', secret: 'short' }, 400],
  ])('%s → %d', async (_l, body, status) => {
    const headers: Record<string, string> = _l === 'no key' ? { authorization: '' } : {}
    const res = await api('/', { method: 'POST', body: JSON.stringify(body), headers })
    expect(res.status).toBe(status)
  })

  test('unknown merchant → 404', async () => {
    const res = await app.handle(
      new Request('http://localhost/api/v1/merchants/nobody/webhook-secrets', { headers: auth }),
    )
    expect(res.status).toBe(404)
  })
})
