import { describe, expect, test } from 'bun:test'
import { testAdminKey, testRuntime } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { issueKey } from '../helpers/keys.ts'
import { seedLinkFixtures } from '../links/fixtures.ts'

// Who may create which links, and keys limited by scopes. Fixtures: merchant glow (programs plain, impact, …),
// merchant other (program foreign); ava approved in all of them, ben pending in plain, cat in none.

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const { app } = testRuntime(store, url)

const call = async (key: string, method: string, path: string, body?: unknown) => {
  const res = await app.handle(
    new Request(`http://localhost/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  )
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}
const keyFor = async (owner: Parameters<typeof issueKey>[1]) => (await issueKey(app, owner)).key
const glow = await keyFor({ merchantId: fx.merchants.glow.id })
const other = await keyFor({ merchantId: fx.merchants.other.id })
const ava = await keyFor({ influencerId: fx.influencers.ava.id })
const ben = await keyFor({ influencerId: fx.influencers.ben.id })
const cat = await keyFor({ influencerId: fx.influencers.cat.id })

let n = 0
const link = (programId: string, influencerId: string, extra: Record<string, unknown> = {}) => ({
  programId,
  influencerId,
  destinationUrl: 'https://glow.example/',
  asset: `r${++n}`,
  ...extra,
})
const { plain, foreign } = fx.programs
const { ava: avaI, ben: benI, cat: catI } = fx.influencers
const nobody = '00000000-0000-7000-8000-000000000000'

describe('creating links', () => {
  test.each([
    ['merchant, own program, member', () => glow, () => link(plain.id, avaI.id), 201, undefined],
    [
      "merchant, another merchant's program",
      () => other,
      () => link(plain.id, avaI.id),
      422,
      'unknown_program',
    ],
    [
      'merchant, influencer in none of its programs',
      () => glow,
      () => link(plain.id, catI.id),
      422,
      'unknown_influencer',
    ],
    ['influencer, itself, approved', () => ava, () => link(plain.id, avaI.id), 201, undefined],
    ['influencer, for someone else', () => ava, () => link(plain.id, benI.id), 422, 'unknown_influencer'],
    [
      'influencer, itself, pending',
      () => ben,
      () => link(plain.id, benI.id),
      422,
      'influencer_not_in_program',
    ],
    [
      'influencer, a program it never joined',
      () => cat,
      () => link(plain.id, catI.id),
      422,
      'unknown_program',
    ],
    [
      'merchant, product of another merchant',
      () => glow,
      () => link(plain.id, avaI.id, { productId: fx.products.alien.id }),
      422,
      'unknown_product',
    ],
  ])('%s → %d %s', async (_label, key, body, status, code) => {
    const r = await call(key(), 'POST', '/links/', body())
    expect(r.status, JSON.stringify(r.body)).toBe(status)
    if (code) expect(r.body.error.code).toBe(code)
  })

  test('a hidden program or influencer reads exactly like one that does not exist', async () => {
    const hidden = await call(other, 'POST', '/links/', { ...link(plain.id, avaI.id), asset: 'same' })
    const absent = await call(other, 'POST', '/links/', { ...link(nobody, avaI.id), asset: 'same' })
    expect(JSON.stringify(hidden.body).replaceAll(plain.id, 'X')).toBe(
      JSON.stringify(absent.body).replaceAll(nobody, 'X'),
    )
    const person = await call(glow, 'POST', '/links/', link(plain.id, catI.id))
    const ghost = await call(glow, 'POST', '/links/', link(plain.id, nobody))
    expect(JSON.stringify(person.body).replaceAll(catI.id, 'X')).toBe(
      JSON.stringify(ghost.body).replaceAll(nobody, 'X'),
    )
  })

  test('the operator is still told a product belongs to another merchant', async () => {
    const r = await call(
      testAdminKey,
      'POST',
      '/links/',
      link(plain.id, avaI.id, { productId: fx.products.alien.id }),
    )
    expect(r.body.error.code).toBe('product_not_in_program')
  })

  test("lists hold only the caller's links, whatever the filters", async () => {
    await call(testAdminKey, 'POST', '/links/', link(foreign.id, avaI.id))
    const mine = (await call(glow, 'GET', '/links/?limit=200')).body.data as { programId: string }[]
    expect(mine.length).toBeGreaterThan(0)
    expect(mine.every((l) => l.programId !== foreign.id)).toBe(true)
    expect((await call(glow, 'GET', `/links/?programId=${foreign.id}`)).body.data).toEqual([])
    const avas = (await call(ava, 'GET', '/links/?limit=200')).body.data as { influencerId: string }[]
    expect(avas.every((l) => l.influencerId === avaI.id)).toBe(true)
    expect((await call(ben, 'GET', `/links/?influencerId=${avaI.id}`)).body.data).toEqual([])
  })
})

describe('scoped keys', () => {
  const user = async () =>
    (
      await call(testAdminKey, 'POST', '/users', {
        email: `s${++n}@keys.test`,
        role: 'merchant',
        merchantId: fx.merchants.glow.id,
      })
    ).body.id
  const mint = (userId: string, scopes?: unknown) =>
    call(testAdminKey, 'POST', `/users/${userId}/api-keys`, {
      name: 'scoped',
      ...(scopes === undefined ? {} : { scopes }),
    })

  test('a key limited to links:read reads links and nothing else: 403 insufficient_scope', async () => {
    const created = await mint(await user(), ['links:read'])
    expect(created.status).toBe(201)
    expect(created.body.scopes).toEqual(['links:read'])
    const [row] = await store.query<{ scopes: string[] }>('select scopes from api_keys where id = $1', [
      created.body.id,
    ])
    expect(row!.scopes).toEqual(['links:read'])
    const key = created.body.key
    expect((await call(key, 'GET', '/links/')).status).toBe(200)
    for (const [method, path, body] of [
      ['POST', '/links/', link(plain.id, avaI.id)],
      ['GET', '/commissions', undefined],
      ['GET', `/merchants/${fx.merchants.glow.slug}/webhook-secrets/`, undefined],
    ] as const) {
      const r = await call(key, method, path, body)
      expect([r.status, r.body.error.code]).toEqual([403, 'insufficient_scope'])
    }
  })

  test('without scopes a key may do whatever its user may (scopes: [])', async () => {
    const created = await mint(await user())
    expect(created.body.scopes).toEqual([])
    expect((await call(created.body.key, 'POST', '/links/', link(plain.id, avaI.id))).status).toBe(201)
  })

  test.each([
    ['an unknown scope', ['links:read', 'links:everything']],
    ['an empty list (it would mean no limit)', []],
    ['a repeated scope', ['links:read', 'links:read']],
    ['not a list', 'links:read'],
  ])('%s → 400, no key made', async (_label, scopes) => {
    const id = await user()
    expect((await mint(id, scopes)).status).toBe(400)
    expect(await store.query('select 1 from api_keys where user_id = $1', [id])).toHaveLength(0)
  })
})

describe('balances and payout requests name the influencer only when the caller must', () => {
  test('an influencer reads its own balances by default; an admin must name one; a merchant sees none', async () => {
    expect((await call(ava, 'GET', '/balances')).status).toBe(200)
    expect((await call(testAdminKey, 'GET', '/balances')).status).toBe(400)
    expect((await call(glow, 'GET', `/balances?influencerId=${avaI.id}`)).status).toBe(404)
    expect((await call(testAdminKey, 'GET', `/balances?influencerId=${nobody}`)).status).toBe(404)
  })

  test('an influencer asks for its own payout without naming itself', async () => {
    const r = await call(ava, 'POST', '/payouts/requests', { currency: 'USD' })
    expect([r.status, r.body.error.code]).toEqual([422, 'nothing_to_pay'])
    expect(
      (await call(glow, 'POST', '/payouts/requests', { influencerId: avaI.id, currency: 'USD' })).status,
    ).toBe(404)
  })
})
