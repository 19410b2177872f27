import { describe, expect, test } from 'bun:test'
import { SCOPES } from '../../src/auth/principal.ts'
import { testAdminKey } from '../helpers/app.ts'
import { type As, ROUTES, type Route } from './routes.ts'
import { fingerprint, type Ids, missing, twoTenants } from './tenants.ts'

// The IDOR suite: every /api route, called by tenant B's merchant and influencer keys at tenant A's resources,
// answers exactly what it answers for ids that do not exist (404 mostly; 422 where the ids are references in a
// create body; 403 where the route is admin-only whatever the id) and changes nothing. A's own keys then reach the
// same resources, so the 404s are not just broken routes.

const t = await twoTenants()
const appRoutes = t.app.routes.filter((r) => r.path.startsWith('/api/')).map((r) => `${r.method} ${r.path}`)
const entries = Object.entries(ROUTES)

/** The reply with the ids it was aimed at replaced by their names, so replies for different ids compare. */
const masked = (text: string, ids: Ids) =>
  Object.entries(ids)
    .sort(([, a], [, b]) => b.length - a.length)
    .reduce((s, [name, id]) => s.replaceAll(id, `<${name}>`), text)

const keyOf = (as: As) => t.keys.a[as].key

test('every /api route of the app has a row in the table, and every row a route', () => {
  expect(appRoutes.filter((r) => !(r in ROUTES))).toEqual([])
  expect(Object.keys(ROUTES).filter((r) => !appRoutes.includes(r))).toEqual([])
})

describe("B's keys at A's resources: the answer a missing id gets, and nothing changes", () => {
  test.each(entries)('%s', async (_name, r: Route) => {
    for (const who of ['merchant', 'influencer'] as const) {
      const key = t.keys.b[who].key
      // A refused login is audited: that is the only write a public route may make here.
      const except = r.public ? ['public.audit_log'] : []
      const before = await fingerprint(t.store, except)
      const got = await t.call(key, r.call(t.ids))
      expect(await fingerprint(t.store, except)).toBe(before)
      const want = typeof r.foreign === 'number' ? r.foreign : r.foreign[who]
      expect(`${who} ${got.status}`, got.text).toBe(`${who} ${want}`)
      if (r.public) continue
      const none = missing()
      const baseline = await t.call(key, r.call(none))
      expect(masked(got.text, t.ids)).toBe(masked(baseline.text, none))
      expect(await fingerprint(t.store)).toBe(before)
    }
  })
})

describe("a key without the route's scope: 403 insufficient_scope, nothing changes", async () => {
  // A's user of the kind the route serves gets a key with every scope but the route's own.
  const limited = new Map<string, string>()
  const keyWithout = async (as: As, scope: string) => {
    const k = `${as} ${scope}`
    if (!limited.has(k)) {
      const r = await t.call(testAdminKey, {
        method: 'POST',
        path: `/api/v1/users/${t.keys.a[as].userId}/api-keys`,
        // A write scope may imply its read (devices do): a read route is tried without both.
        body: {
          name: `without ${scope}`,
          scopes: SCOPES.filter((s) => s !== scope && s !== scope.replace(':read', ':write')),
        },
      })
      expect(r.status).toBe(201)
      limited.set(k, JSON.parse(r.text).key)
    }
    return limited.get(k)!
  }
  for (const [name, r] of entries) {
    const as = r.own.find((o) => o.status < 300)?.as
    if (!r.scope || !as) continue
    test(`${name} (${r.scope})`, async () => {
      const key = await keyWithout(as, r.scope!)
      const before = await fingerprint(t.store)
      const got = await t.call(key, r.call(t.ids))
      expect(got.status, got.text).toBe(403)
      expect(JSON.parse(got.text).error.code).toBe('insufficient_scope')
      expect(await fingerprint(t.store)).toBe(before)
    })
  }
})

describe("A's own keys reach A's resources (in table order: writes last where they destroy)", () => {
  const own = entries.flatMap(([name, r]) =>
    r.own.map((o) => [`${name} as ${o.as} → ${o.status}`, r, o] as const),
  )
  test.each(own)('%s', async (_label, r, o) => {
    const got = await t.call(keyOf(o.as), r.call(t.ids))
    expect(got.status, got.text).toBe(o.status)
    if (o.sees) expect(got.text).toContain(t.ids[o.sees])
    if (o.status === 403) expect(JSON.parse(got.text).error.code).toBe('forbidden')
  })
})
