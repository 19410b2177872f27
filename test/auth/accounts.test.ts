import { describe, expect, test } from 'bun:test'
import { testAdminKey, testRuntime } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { issueKey } from '../helpers/keys.ts'
import { seedLinkFixtures } from '../links/fixtures.ts'

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const rt = testRuntime(store, url)

const call = async (method: string, path: string, auth: string | null, body?: unknown) => {
  const headers: Record<string, string> = {}
  if (auth) headers.authorization = `Bearer ${auth}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await rt.app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  )
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

describe('users and API keys', () => {
  test('a key resolves to its owner; the key is shown once and only its hash is stored', async () => {
    const { key, keyId, userId } = await issueKey(rt.app, { influencerId: fx.influencers.ava.id })
    expect(key).toMatch(/^sk_live_[A-Za-z0-9_-]{43}$/)
    expect(await rt.authenticate(`Bearer ${key}`)).toEqual({
      kind: 'influencer',
      influencerId: fx.influencers.ava.id,
      keyId,
      userId,
    })
    const [row] = await store.query<{ key_hash: string; prefix: string }>(
      'select key_hash, prefix from api_keys where id = $1',
      [keyId],
    )
    expect(row!.key_hash).toBe(new Bun.CryptoHasher('sha256').update(key).digest('hex'))
    expect(key.startsWith(row!.prefix)).toBe(true)
    const m = await issueKey(rt.app, { merchantId: fx.merchants.glow.id })
    expect(await rt.authenticate(`Bearer ${m.key}`)).toMatchObject({
      kind: 'merchant',
      merchantId: fx.merchants.glow.id,
    })
  })

  test('a revoked key is refused at once; unknown and malformed keys are 401', async () => {
    const { key, keyId } = await issueKey(rt.app, { influencerId: fx.influencers.ben.id })
    expect((await rt.authenticate(key)).kind).toBe('influencer')
    expect((await call('DELETE', `/api/v1/api-keys/${keyId}`, testAdminKey)).status).toBe(204)
    await expect(rt.authenticate(`Bearer ${key}`)).rejects.toMatchObject({ status: 401 })
    await expect(rt.authenticate(`Bearer sk_live_${'A'.repeat(43)}`)).rejects.toMatchObject({ status: 401 })
    await expect(rt.authenticate('Basic abc')).rejects.toMatchObject({ status: 401 })
    await expect(rt.authenticate(undefined)).rejects.toMatchObject({ status: 401 })
  })

  test('creating users and keys and revoking keys is audited, without the key, and the trail is append-only', async () => {
    const { key, keyId, userId } = await issueKey(rt.app, { merchantId: fx.merchants.other.id })
    expect((await call('DELETE', `/api/v1/api-keys/${keyId}`, testAdminKey)).status).toBe(204)
    const rows = await store.query<{ action: string; target_id: string; ip: string | null; all: string }>(
      `select action, target_id, ip, row_to_json(a)::text as all from audit_log a
        where target_id in ($1, $2) order by occurred_at, id`,
      [userId, keyId],
    )
    expect(rows.map((r) => [r.action, r.target_id])).toEqual([
      ['user.created', userId],
      ['api_key.created', keyId],
      ['api_key.revoked', keyId],
    ])
    const hash = new Bun.CryptoHasher('sha256').update(key).digest('hex')
    for (const r of rows) {
      expect(r.all).not.toContain(key)
      expect(r.all).not.toContain(hash)
    }
    await expect(
      store.query(`update audit_log set action = 'x' where target_id = $1`, [keyId]),
    ).rejects.toThrow(/append-only/)
    await expect(store.query(`delete from audit_log where target_id = $1`, [keyId])).rejects.toThrow(
      /append-only/,
    )
  })

  test('only an admin may create users and keys', async () => {
    const { key } = await issueKey(rt.app, { influencerId: fx.influencers.cat.id })
    const body = { email: 'sneaky@x.test', role: 'admin', orgId: fx.influencers.cat.orgId }
    const r = await call('POST', '/api/v1/users', key, body)
    expect(r.status).toBe(403)
    expect(r.body.error.code).toBe('forbidden')
    expect((await call('POST', '/api/v1/users', null, body)).status).toBe(401)
  })

  test('bad input is a 4xx naming the problem', async () => {
    const noScope = await call('POST', '/api/v1/users', testAdminKey, {
      email: 'a@b.test',
      role: 'influencer',
    })
    expect(noScope.status).toBe(422)
    expect(noScope.body.error.code).toBe('scope_required')
    const unknown = await call('POST', '/api/v1/users', testAdminKey, {
      email: 'c@d.test',
      role: 'merchant',
      merchantId: '00000000-0000-7000-8000-000000000000',
    })
    expect(unknown.status).toBe(404)
    const email = `dup-${Date.now()}@x.test`
    await issueKey(rt.app, { influencerId: fx.influencers.ava.id }, email)
    const dup = await call('POST', '/api/v1/users', testAdminKey, {
      email: email.toUpperCase(),
      role: 'influencer',
      influencerId: fx.influencers.ava.id,
    })
    expect(dup.status).toBe(409)
    const badEmail = await call('POST', '/api/v1/users', testAdminKey, { email: 'nope', role: 'admin' })
    expect(badEmail.status).toBe(400)
    expect(
      (await call('POST', '/api/v1/users/not-a-uuid/api-keys', testAdminKey, { name: 'x' })).status,
    ).toBe(400)
  })
})
