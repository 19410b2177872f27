import { describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { deriveJwtKey, signAccessToken } from '../../src/auth/jwt.ts'
import { hashIp } from '../../src/shared/ip-hash.ts'
import { startTestServer, testAdminKey, testRuntime, testSecretsEnv } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { issueKey } from '../helpers/keys.ts'
import { seedLinkFixtures } from '../links/fixtures.ts'
import { caller, loginAs, overHttp, userWithPassword } from './helpers.ts'

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const rt = testRuntime(store, url)
const call = caller(rt.app)
const PASSWORD = 'correct horse battery staple'
const jwtKey = deriveJwtKey(Buffer.from(testSecretsEnv.MASTER_KEY, 'hex'))
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString())
const sha256 = (s: string) => new Bun.CryptoHasher('sha256').update(s).digest('hex')

describe('login', () => {
  test('email + password → a 15-minute JWT naming the user, and a refresh token stored only as its SHA-256', async () => {
    const { userId, email } = await userWithPassword(rt.app, { merchantId: fx.merchants.glow.id }, PASSWORD)
    const [stored] = await store.query<{ password_hash: string }>(
      'select password_hash from users where id = $1',
      [userId],
    )
    expect(stored!.password_hash).toStartWith('$argon2id$')
    // Emails are matched case-insensitively.
    const t = await loginAs(rt.app, email.toUpperCase(), PASSWORD)
    expect(t.tokenType).toBe('Bearer')
    expect(t.expiresIn).toBe(900)
    const c = claimsOf(t.accessToken)
    expect(c).toMatchObject({ sub: userId, role: 'merchant', merchantId: fx.merchants.glow.id })
    expect(c.exp - c.iat).toBe(900)
    expect(Math.abs(c.iat - Date.now() / 1000)).toBeLessThan(5)
    // The session token resolves to the same principal shape an API key does, with the user and no key.
    expect(await rt.authenticate(`Bearer ${t.accessToken}`)).toEqual({
      kind: 'merchant',
      merchantId: fx.merchants.glow.id,
      keyId: null,
      userId,
      sessionId: c.sid,
    })
    // …and opens the scoped API like a merchant key.
    expect((await call('GET', '/api/v1/devices', { auth: t.accessToken })).status).toBe(200)
    const [session] = await store.query<{ refresh_hash: string; user_id: string }>(
      'select refresh_hash, user_id from sessions where id = $1',
      [c.sid],
    )
    expect(session).toEqual({ refresh_hash: sha256(t.refreshToken), user_id: userId })
    const [last] = await store.query<{ at: string | null }>(
      'select last_login_at as at from users where id = $1',
      [userId],
    )
    expect(last!.at).not.toBeNull()
  })

  test('a wrong email and a wrong password get the same 401 in similar time', async () => {
    const { email } = await userWithPassword(rt.app, { influencerId: fx.influencers.ava.id }, PASSWORD)
    const attempt = async (e: string, p: string) => {
      const t0 = performance.now()
      const r = await call('POST', '/api/v1/auth/login', { body: { email: e, password: p } })
      return { ...r, ms: performance.now() - t0 }
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const wrongPw: number[] = []
    const noUser: number[] = []
    let bodies = new Set<string>()
    for (let i = 0; i < 3; i++) {
      const a = await attempt(email, 'not the password at all')
      const b = await attempt(`nobody-${i}@login.test`, PASSWORD)
      expect([a.status, b.status]).toEqual([401, 401])
      bodies = bodies.add(JSON.stringify(a.body)).add(JSON.stringify(b.body))
      wrongPw.push(a.ms)
      noUser.push(b.ms)
    }
    expect([...bodies]).toEqual([
      JSON.stringify({ error: { code: 'invalid_credentials', message: 'wrong email or password' } }),
    ])
    // Both run one argon2id verification: an unknown email must not answer in a fraction of the time.
    const ratio = median(noUser) / median(wrongPw)
    expect(ratio).toBeGreaterThan(0.33)
    expect(ratio).toBeLessThan(3)
  })

  test('a user without a password, or a disabled one, cannot log in', async () => {
    const created = await call('POST', '/api/v1/users', {
      auth: testAdminKey,
      body: { email: 'invited@login.test', role: 'influencer', influencerId: fx.influencers.ben.id },
    })
    expect(created.status).toBe(201)
    const r = await call('POST', '/api/v1/auth/login', {
      body: { email: 'invited@login.test', password: 'x' },
    })
    expect(r.status).toBe(401)
    const { userId, email } = await userWithPassword(
      rt.app,
      { influencerId: fx.influencers.ben.id },
      PASSWORD,
    )
    await store.query('update users set disabled_at = now() where id = $1', [userId])
    expect((await call('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } })).status).toBe(
      401,
    )
  })
})

describe('session tokens', () => {
  test('expired, forged and altered tokens are 401', async () => {
    const { userId, email } = await userWithPassword(
      rt.app,
      { admin: true, orgId: fx.merchants.glow.orgId },
      PASSWORD,
    )
    const t = await loginAs(rt.app, email, PASSWORD)
    const { sid } = claimsOf(t.accessToken)
    const claims = { sub: userId, sid, role: 'admin' as const }
    expect((await rt.authenticate(`Bearer ${signAccessToken(jwtKey, claims)}`)).kind).toBe('admin')
    const expired = signAccessToken(jwtKey, claims, Date.now() - 16 * 60_000)
    const otherKey = signAccessToken(deriveJwtKey(new Uint8Array(32).fill(7)), claims)
    const [h, p, s] = t.accessToken.split('.')
    const forgedRole = Buffer.from(
      JSON.stringify({ ...claimsOf(t.accessToken), exp: claimsOf(t.accessToken).exp + 86_400 }),
    )
    const altered = `${h}.${forgedRole.toString('base64url')}.${s}`
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`
    // HS256 with the right key but a header we never issue: refused without looking further.
    const otherHeader = Buffer.from('{"typ":"JWT","alg":"HS256"}').toString('base64url')
    const resigned = `${otherHeader}.${p}.${createHmac('sha256', jwtKey).update(`${otherHeader}.${p}`).digest('base64url')}`
    // The signature's last character carries two unused bits: a variant that decodes to the same MAC is refused too.
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sameBits = `${t.accessToken.slice(0, -1)}${B64URL[B64URL.indexOf(t.accessToken.at(-1)!) ^ 1]}`
    expect(Buffer.from(sameBits.split('.')[2]!, 'base64url')).toEqual(Buffer.from(s!, 'base64url'))
    for (const bad of [expired, otherKey, altered, none, resigned, `${t.accessToken}x`, sameBits]) {
      await expect(rt.authenticate(`Bearer ${bad}`)).rejects.toMatchObject({ status: 401 })
      const r = await call('GET', '/api/v1/devices', { auth: bad })
      expect(r.status).toBe(401)
      expect(r.headers.get('www-authenticate')).toBe('Bearer')
    }
  })

  test('refresh rotates the refresh token; presenting a replaced one ends the whole session', async () => {
    const { email } = await userWithPassword(rt.app, { merchantId: fx.merchants.other.id }, PASSWORD)
    const first = await loginAs(rt.app, email, PASSWORD)
    const r1 = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } })
    expect(r1.status).toBe(200)
    expect(r1.body.refreshToken).not.toBe(first.refreshToken)
    expect(claimsOf(r1.body.accessToken).sid).toBe(claimsOf(first.accessToken).sid)
    const r2 = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken } })
    expect(r2.status).toBe(200)
    // The first token again: a stolen copy. The session ends; even the newest tokens stop working.
    const reused = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } })
    expect(reused.status).toBe(401)
    expect(reused.body.error.code).toBe('refresh_token_reused')
    const after = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: r2.body.refreshToken } })
    expect(after.status).toBe(401)
    await expect(rt.authenticate(`Bearer ${r2.body.accessToken}`)).rejects.toMatchObject({ status: 401 })
    for (const junk of ['', 'skr_nope', `skr_${crypto.randomUUID()}.${'A'.repeat(43)}`])
      expect((await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: junk } })).status).toBe(401)
  })

  test('logout ends the session: its access and refresh tokens are refused at once', async () => {
    const { email } = await userWithPassword(rt.app, { influencerId: fx.influencers.cat.id }, PASSWORD)
    const byRefresh = await loginAs(rt.app, email, PASSWORD)
    const byHeader = await loginAs(rt.app, email, PASSWORD)
    // Both cached as valid first, so the refusals below prove the cache was dropped.
    await rt.authenticate(`Bearer ${byRefresh.accessToken}`)
    await rt.authenticate(`Bearer ${byHeader.accessToken}`)
    expect(
      (await call('POST', '/api/v1/auth/logout', { body: { refreshToken: byRefresh.refreshToken } })).status,
    ).toBe(204)
    expect((await call('POST', '/api/v1/auth/logout', { auth: byHeader.accessToken })).status).toBe(204)
    for (const t of [byRefresh, byHeader]) {
      await expect(rt.authenticate(`Bearer ${t.accessToken}`)).rejects.toMatchObject({ status: 401 })
      expect(
        (await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refreshToken } })).status,
      ).toBe(401)
    }
    expect((await call('POST', '/api/v1/auth/logout', {})).status).toBe(401)
  })
})

describe('passwords', () => {
  test('at least 12 characters; set by an admin, or by the user itself from its session with its current one', async () => {
    const { userId, email } = await userWithPassword(rt.app, { merchantId: fx.merchants.glow.id }, PASSWORD)
    const other = await userWithPassword(rt.app, { merchantId: fx.merchants.glow.id }, PASSWORD)
    const t = await loginAs(rt.app, email, PASSWORD)
    const elsewhere = await loginAs(rt.app, email, PASSWORD)
    const set = (auth: string, id: string, body: object) =>
      call('POST', `/api/v1/users/${id}/password`, { auth, body })

    const short = await set(testAdminKey, userId, { password: 'eleven-char' })
    expect(short.status).toBe(422)
    expect(short.body.error.code).toBe('password_too_short')
    expect((await set(t.accessToken, userId, { password: 'a new long password' })).status).toBe(403)
    expect(
      (
        await set(t.accessToken, userId, {
          password: 'a new long password',
          currentPassword: 'wrong guess!!',
        })
      ).status,
    ).toBe(403)
    // Another user's password: not this merchant user's business (an API key of the user does not count either).
    expect((await set(t.accessToken, other.userId, { password: 'a new long password' })).status).toBe(403)
    expect(
      (await set(t.accessToken, userId, { password: 'a new long password', currentPassword: PASSWORD }))
        .status,
    ).toBe(204)
    // The session that changed it lives on; the user's other sessions end.
    expect((await rt.authenticate(`Bearer ${t.accessToken}`)).userId).toBe(userId)
    await expect(rt.authenticate(`Bearer ${elsewhere.accessToken}`)).rejects.toMatchObject({ status: 401 })
    expect((await call('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } })).status).toBe(
      401,
    )
    await loginAs(rt.app, email, 'a new long password')
    expect((await set(testAdminKey, userId, { password: 'admin chose this one' })).status).toBe(204)
    await loginAs(rt.app, email, 'admin chose this one')
    expect((await set(testAdminKey, crypto.randomUUID(), { password: 'admin chose this one' })).status).toBe(
      404,
    )
    // A key is not a session: the user's own API key may not set its password; an admin key needs accounts:write.
    const own = await issueKey(rt.app, { merchantId: fx.merchants.glow.id })
    expect((await set(own.key, own.userId, { password: 'set by my own key' })).status).toBe(403)
    const admin = await issueKey(rt.app, { admin: true, orgId: fx.merchants.glow.orgId })
    await store.query(`update api_keys set scopes = '{devices:read}' where id = $1`, [admin.keyId])
    rt.authenticate.forget()
    const unscoped = await set(admin.key, userId, { password: 'no scope for this' })
    expect(unscoped.status).toBe(403)
    expect(unscoped.body.error.code).toBe('insufficient_scope')
  })
})

test('login, failures, refresh, logout and password changes are audited with the client IP and no secrets', async () => {
  const { userId, email } = await userWithPassword(rt.app, { influencerId: fx.influencers.dan.id }, PASSWORD)
  const ip = { 'x-forwarded-for': '203.0.113.9' }
  // Behind a trusted proxy the forwarded address is the client's: a host that trusts loopback records it.
  const { base } = await startTestServer(store, url, { TRUSTED_PROXIES: '127.0.0.1/32,::1/128' })
  const pcall = caller(overHttp(base))
  expect(
    (await pcall('POST', '/api/v1/auth/login', { body: { email, password: 'wrong password!' }, headers: ip }))
      .status,
  ).toBe(401)
  const t = (await pcall('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD }, headers: ip }))
    .body
  const r = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refreshToken } })
  expect(
    (await call('POST', '/api/v1/auth/logout', { body: { refreshToken: r.body.refreshToken } })).status,
  ).toBe(204)
  const sid = claimsOf(t.accessToken).sid
  const rows = await store.query<{
    action: string
    ip: string | null
    actor_user_id: string | null
    all: string
  }>(
    `select action, ip, actor_user_id, row_to_json(a)::text as all from audit_log a
      where target_id in ($1, $2) order by occurred_at, id`,
    [userId, sid],
  )
  expect(rows.map((x) => x.action)).toEqual([
    'user.created',
    'user.password_set',
    'auth.login_failed',
    'auth.login_succeeded',
    'auth.session_refreshed',
    'auth.logout',
  ])
  expect(rows.find((x) => x.action === 'auth.login_failed')!.ip).toBe('203.0.113.9')
  expect(rows.find((x) => x.action === 'auth.login_succeeded')).toMatchObject({
    ip: '203.0.113.9',
    actor_user_id: userId,
  })
  // The session keeps the login address's salted hash too, the one clicks carry (the shared_ip fraud rule's).
  const [session] = await store.query<{ ip_hash: string | null }>(
    'select ip_hash from sessions where id = $1',
    [sid],
  )
  expect(session?.ip_hash).toBe(hashIp(rt.config.secrets.ipHashSalt, '203.0.113.9'))
  const all = rows.map((x) => x.all).join('\n')
  for (const secret of [
    PASSWORD,
    'wrong password!',
    t.accessToken,
    t.refreshToken,
    r.body.refreshToken,
    r.body.accessToken,
  ])
    expect(all).not.toContain(secret)
  expect(all).not.toContain(sha256(t.refreshToken))
})
