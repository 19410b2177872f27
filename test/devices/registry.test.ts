import { describe, expect, test } from 'bun:test'
import { openSecret } from '../../src/shared/secret-box.ts'
import { testAdminKey, testRuntime, testSecretsEnv } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { issueKey } from '../helpers/keys.ts'
import { seedLinkFixtures } from '../links/fixtures.ts'
import { caller } from '../auth/helpers.ts'

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const rt = testRuntime(store, url)
const call = caller(rt.app)
const masterKey = Buffer.from(testSecretsEnv.MASTER_KEY, 'hex')
const glow = await issueKey(rt.app, { merchantId: fx.merchants.glow.id })
const other = await issueKey(rt.app, { merchantId: fx.merchants.other.id })
const WHSEC = /^whsec_[A-Za-z0-9+/]{43}=$/

const register = (auth: string, body: object) => call('POST', '/api/v1/devices', { auth, body })

describe('device registry', () => {
  test('register → the secret once (sealed at rest); the list never shows it', async () => {
    const r = await register(glow.key, { name: 'checkout-server-1' })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({
      name: 'checkout-server-1',
      merchantId: fx.merchants.glow.id,
      lastSeenAt: null,
      revokedAt: null,
      previousSecretExpiresAt: null,
    })
    expect(r.body.secret).toMatch(WHSEC)
    expect(Buffer.from(r.body.secret.slice(6), 'base64')).toHaveLength(32)
    const [row] = await store.query<{ secret_ciphertext: Uint8Array; org_id: string }>(
      'select secret_ciphertext, org_id from devices where id = $1',
      [r.body.id],
    )
    expect(row!.org_id).toBe(fx.merchants.glow.orgId)
    expect(Buffer.from(row!.secret_ciphertext).toString('latin1')).not.toContain(r.body.secret.slice(6, 20))
    expect(openSecret(masterKey, row!.secret_ciphertext, `device_secret:${r.body.id}`)).toBe(r.body.secret)
    // Bound to its device: the same bytes will not open as another's.
    expect(() =>
      openSecret(masterKey, row!.secret_ciphertext, `device_secret:${crypto.randomUUID()}`),
    ).toThrow()
    const list = await call('GET', '/api/v1/devices', { auth: glow.key })
    expect(list.status).toBe(200)
    expect(list.body.map((d: { id: string }) => d.id)).toContain(r.body.id)
    expect(JSON.stringify(list.body)).not.toContain(r.body.secret)
    for (const d of list.body) expect(Object.keys(d).sort()).not.toContain('secret')
  })

  test('names are unique per organisation (409), across its merchants and on rename', async () => {
    expect((await register(glow.key, { name: 'pos-gateway' })).status).toBe(201)
    const clash = await register(other.key, { name: 'pos-gateway' })
    expect(clash.status).toBe(409)
    expect(clash.body.error.code).toBe('name_taken')
    const mine = await register(other.key, { name: 'pos-gateway-2' })
    const rename = await call('PATCH', `/api/v1/devices/${mine.body.id}`, {
      auth: other.key,
      body: { name: 'pos-gateway' },
    })
    expect(rename.status).toBe(409)
    const ok = await call('PATCH', `/api/v1/devices/${mine.body.id}`, {
      auth: other.key,
      body: { name: 'pos-east' },
    })
    expect(ok.status).toBe(200)
    expect(ok.body.name).toBe('pos-east')
    expect((await register(glow.key, { name: '   ' })).status).toBe(400)
  })

  test("a merchant sees and manages only its own devices: another's ids are 404, like unknown ones", async () => {
    const theirs = (await register(other.key, { name: 'their-server' })).body
    const list = await call('GET', '/api/v1/devices', { auth: glow.key })
    expect(list.body.every((d: { merchantId: string }) => d.merchantId === fx.merchants.glow.id)).toBe(true)
    expect(
      (await call('GET', `/api/v1/devices?merchantId=${fx.merchants.other.id}`, { auth: glow.key })).body,
    ).toEqual([])
    for (const [method, path, body] of [
      ['PATCH', `/api/v1/devices/${theirs.id}`, { name: 'mine-now' }],
      ['POST', `/api/v1/devices/${theirs.id}/revoke`, undefined],
      ['POST', `/api/v1/devices/${theirs.id}/rotate`, undefined],
      ['POST', `/api/v1/devices/${crypto.randomUUID()}/rotate`, undefined],
    ] as const) {
      const r = await call(method, path, { auth: glow.key, body })
      expect({ path, status: r.status, code: r.body.error.code }).toEqual({
        path,
        status: 404,
        code: 'not_found',
      })
    }
    // A merchant cannot register a device for another merchant either.
    expect((await register(glow.key, { name: 'sneaky', merchantId: fx.merchants.other.id })).status).toBe(404)
    expect((await call('POST', '/api/v1/devices/not-a-uuid/revoke', { auth: glow.key })).status).toBe(400)
    const [row] = await store.query<{ name: string; revoked_at: string | null }>(
      'select name, revoked_at from devices where id = $1',
      [theirs.id],
    )
    expect(row).toEqual({ name: 'their-server', revoked_at: null })
  })

  test('an admin names the merchant; influencers and keys without the scope are refused', async () => {
    const missing = await register(testAdminKey, { name: 'admin-made' })
    expect(missing.status).toBe(422)
    expect(missing.body.error.code).toBe('merchant_required')
    const made = await register(testAdminKey, { name: 'admin-made', merchantId: fx.merchants.other.id })
    expect(made.status).toBe(201)
    expect(made.body.merchantId).toBe(fx.merchants.other.id)
    expect((await register(testAdminKey, { name: 'x', merchantId: crypto.randomUUID() })).status).toBe(404)
    const all = await call('GET', '/api/v1/devices', { auth: testAdminKey })
    expect(new Set(all.body.map((d: { merchantId: string }) => d.merchantId))).toEqual(
      new Set([fx.merchants.glow.id, fx.merchants.other.id]),
    )
    const influencer = await issueKey(rt.app, { influencerId: fx.influencers.ava.id })
    expect((await register(influencer.key, { name: 'nope' })).status).toBe(403)
    expect((await call('GET', '/api/v1/devices', { auth: influencer.key })).status).toBe(403)
    expect((await call('GET', '/api/v1/devices', {})).status).toBe(401)
    const readOnly = await issueKey(rt.app, { merchantId: fx.merchants.glow.id })
    await store.query(`update api_keys set scopes = '{devices:read}' where id = $1`, [readOnly.keyId])
    rt.authenticate.forget()
    expect((await call('GET', '/api/v1/devices', { auth: readOnly.key })).status).toBe(200)
    const refused = await register(readOnly.key, { name: 'read-only-tries' })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('insufficient_scope')
  })

  test('rotate → a new secret once, the old one kept 24 h; revoke ends it; every action audited without secrets', async () => {
    const d = (await register(glow.key, { name: 'rotating' })).body
    const rotated = await call('POST', `/api/v1/devices/${d.id}/rotate`, { auth: glow.key })
    expect(rotated.status).toBe(200)
    expect(rotated.body.secret).toMatch(WHSEC)
    expect(rotated.body.secret).not.toBe(d.secret)
    const overlapMs = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()
    expect(overlapMs).toBeGreaterThan(24 * 3600_000 - 60_000)
    expect(overlapMs).toBeLessThan(24 * 3600_000 + 60_000)
    const [row] = await store.query<{
      secret_ciphertext: Uint8Array
      previous_secret_ciphertext: Uint8Array
    }>('select secret_ciphertext, previous_secret_ciphertext from devices where id = $1', [d.id])
    const ctx = `device_secret:${d.id}`
    expect(openSecret(masterKey, row!.secret_ciphertext, ctx)).toBe(rotated.body.secret)
    expect(openSecret(masterKey, row!.previous_secret_ciphertext, ctx)).toBe(d.secret)

    const revoked = await call('POST', `/api/v1/devices/${d.id}/revoke`, { auth: glow.key })
    expect(revoked.status).toBe(200)
    expect(revoked.body.revokedAt).not.toBeNull()
    expect(revoked.body.previousSecretExpiresAt).toBeNull()
    expect((await call('POST', `/api/v1/devices/${d.id}/revoke`, { auth: glow.key })).status).toBe(200)
    const again = await call('POST', `/api/v1/devices/${d.id}/rotate`, { auth: glow.key })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('device_revoked')

    const renamed = await call('PATCH', `/api/v1/devices/${d.id}`, {
      auth: glow.key,
      body: { name: 'retired' },
    })
    expect(renamed.status).toBe(200)
    const audit = await store.query<{ action: string; actor_api_key_id: string; all: string }>(
      `select action, actor_api_key_id, row_to_json(a)::text as all from audit_log a
        where target_id = $1 order by occurred_at, id`,
      [d.id],
    )
    expect(audit.map((a) => a.action)).toEqual([
      'device.registered',
      'device.rotated',
      'device.revoked',
      'device.renamed',
    ])
    expect(audit.every((a) => a.actor_api_key_id === glow.keyId)).toBe(true)
    const trail = audit.map((a) => a.all).join('\n')
    for (const s of [d.secret, rotated.body.secret]) {
      expect(trail).not.toContain(s)
      expect(trail).not.toContain(s.slice(6))
    }
    expect(trail).not.toContain('ciphertext')
  })
})
