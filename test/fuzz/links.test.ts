// Target 1 of "Faults, load and bad input": link-create bodies. Arbitrary JSON, JSON-ish garbage and bodies with
// the real field names carrying wrong types and values, to POST /api/v1/links and /api/v1/links/bulk as the
// admin. A valid body may 201; anything else is a 4xx with a JSON reason; never a 5xx, a throw or a rejection.
import { afterAll, expect, test } from 'bun:test'
import fc from 'fast-check'
import { testAdminKey, testRuntime } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { seedLinkFixtures } from '../links/fixtures.ts'
import {
  announce,
  type Answer,
  around,
  expectAcceptedOr4xx,
  nastyString,
  nastyValue,
  oddJsonText,
  read,
  RUNS,
  trackUnhandledRejections,
} from './harness.ts'

const rejections = trackUnhandledRejections()
afterAll(() => rejections.stop())

const { store, url } = await createTestDb()
const fx = await seedLinkFixtures(store.db)
const { app } = testRuntime(store, url)

const P = fx.programs
const I = fx.influencers
const uuids = (...ids: string[]) => fc.constantFrom(...ids, ...ids.map((i) => i.toUpperCase()))
const programId = fc.oneof(
  { arbitrary: uuids(P.plain.id), weight: 6 },
  {
    arbitrary: uuids(P.viaImpact.id, P.viaAmazon.id, P.viaShopify.id, P.inactive.id, P.foreign.id),
    weight: 2,
  },
  { arbitrary: fc.uuid(), weight: 1 },
)
const influencerId = fc.oneof(
  { arbitrary: uuids(I.ava.id), weight: 6 },
  { arbitrary: uuids(I.ben.id, I.cat.id, I.dan.id), weight: 1 },
  { arbitrary: fc.uuid(), weight: 1 },
)
const destinationUrl = fc.oneof(
  { arbitrary: fc.constantFrom('https://glow.example/p/serum', 'http://shop.example/?a=1#x'), weight: 4 },
  { arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      'https://user:pw@glow.example/',
      ' https://glow.example/',
      'https://glow.example/%00',
      'https://glow.example/\\evil',
      'ftp://glow.example/',
      'javascript:alert(1)',
      'https://',
      '//glow.example/',
      `https://glow.example/${'a'.repeat(2100)}`,
      `https://glow.example/?q=${'%'.repeat(3000)}`,
      'https://[::1]/',
      'https://xn--80ak6aa92e.com/',
      'https://глоу.example/',
    ),
    weight: 2,
  },
)
const rarely = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: usual, weight: 8 }, { arbitrary: odd, weight: 1 })
const params = (keys: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.constant(null),
    fc.dictionary(keys, rarely(fc.string({ minLength: 1, maxLength: 20 }), nastyString), { maxKeys: 3 }),
  )
const utmKey = rarely(
  fc.constantFrom('utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'),
  nastyString,
)
const networkKey = rarely(fc.constantFrom('tag', 'ref', 'subId1', 'sub_id', 'utm_x'), nastyString)
const future = new Date(Date.now() + 86_400_000 * 30).toISOString()

const linkInput = around(
  {
    programId,
    influencerId,
    campaignId: fc.constantFrom(
      null,
      null,
      fx.campaigns.summer.id,
      fx.campaigns.summer.id,
      fx.campaigns.winter.id,
    ),
    productId: fc.constantFrom(null, null, fx.products.serum.id, fx.products.serum.id, fx.products.alien.id),
    asset: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,12}$/), fc.constant(null)),
    slug: fc.oneof(
      { arbitrary: fc.stringMatching(/^[a-z0-9]{3,20}$/), weight: 8 },
      { arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{1,20}[a-z0-9]$/), weight: 1 },
      fc.constantFrom('api', 'swagger', 'admin', 'l', 'Glow-Serum', 'a--b', 'x'.repeat(65)),
    ),
    destinationUrl,
    utm: params(utmKey),
    networkParams: params(networkKey),
    expiresAt: rarely(
      fc.constantFrom(null, future),
      fc.constantFrom(
        '2001-01-01T00:00:00Z',
        '2030-01-01T00:00:00',
        '2030-02-30T00:00:00Z',
        '+275760-09-13T00:00:00Z',
      ),
    ),
  },
  40,
)

/** A body as sent: JSON of a shaped input, arbitrary JSON, or text that is not JSON at all. */
const body = (shaped: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: shaped.map((v) => JSON.stringify(v)), weight: 12 },
    { arbitrary: fc.json({ maxDepth: 3 }), weight: 2 },
    { arbitrary: fc.anything({ maxDepth: 2 }).map((v) => String(JSON.stringify(v))), weight: 1 },
    { arbitrary: oddJsonText, weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 100 }), weight: 1 },
    { arbitrary: nastyValue.map((v) => String(JSON.stringify(v))), weight: 1 },
  )

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 16 },
  {
    arbitrary: fc.constantFrom(
      null,
      'text/plain',
      'application/json; charset=latin1',
      'application/vnd.api+json',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/json, text/plain',
      '*/*',
    ),
    weight: 1,
  },
)

async function post(path: string, text: string, type: string | null): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${testAdminKey}` }
  if (type !== null) headers['content-type'] = type
  return read(
    await app.handle(new Request(`http://localhost${path}`, { method: 'POST', headers, body: text })),
  )
}

const tally = new Map<number, number>()
const codes = new Map<string, number>()
const count = (status: number, code?: string) => {
  tally.set(status, (tally.get(status) ?? 0) + 1)
  if (code) codes.set(code, (codes.get(code) ?? 0) + 1)
}

const SEED_SINGLE = 20_261_201
test(`POST /api/v1/links: ${RUNS} fuzzed bodies, a 201 or a 4xx with a JSON reason, never a 5xx`, async () => {
  announce('links single', SEED_SINGLE)
  tally.clear()
  codes.clear()
  await fc.assert(
    fc.asyncProperty(body(linkInput), contentType, async (text, type) => {
      const a = await post('/api/v1/links', text, type)
      const code = expectAcceptedOr4xx(a, [201])
      count(a.status, code ?? undefined)
      if (code !== null) return
      // Created: the link the body described, in its stored form.
      const sent = JSON.parse(text) as { programId: string; influencerId: string }
      const link = JSON.parse(a.text) as { id: string; slug: string; programId: string; influencerId: string }
      expect(link.programId).toBe(sent.programId.toLowerCase())
      expect(link.influencerId).toBe(sent.influencerId.toLowerCase())
      expect(link.slug).toMatch(/^[a-z0-9_-]{3,64}$/)
    }),
    { seed: SEED_SINGLE, numRuns: RUNS },
  )
  console.log('[fuzz] links single statuses', Object.fromEntries(tally), Object.fromEntries(codes))
  // The generator must reach both sides: some creations and the validation behind the schema.
  expect(tally.get(201) ?? 0).toBeGreaterThan(100)
  expect(tally.get(400) ?? 0).toBeGreaterThan(100)
  expect(tally.get(422) ?? 0).toBeGreaterThan(10)
  expect(rejections.list).toEqual([])
}, 300_000)

// At and over the 1,000-item cap: one over (400), and a full batch whose items all claim one slug (409).
const item = (i: number, extra: Record<string, unknown> = {}) => ({
  programId: P.plain.id,
  influencerId: I.ava.id,
  destinationUrl: 'https://glow.example/p',
  asset: `bulk-${i}`,
  ...extra,
})
const bigBulk = fc.constantFrom(
  { items: Array.from({ length: 1_001 }, (_, i) => item(i)) },
  { items: Array.from({ length: 1_000 }, (_, i) => item(i, { slug: 'one-slug-for-all' })) },
)
const bulkInput = fc.oneof(
  { arbitrary: around({ items: [linkInput] }, 40), weight: 80 },
  { arbitrary: fc.record({ items: fc.array(linkInput, { minLength: 0, maxLength: 3 }) }), weight: 80 },
  { arbitrary: fc.record({ items: nastyValue }), weight: 10 },
  { arbitrary: fc.array(linkInput, { maxLength: 2 }), weight: 10 },
  { arbitrary: bigBulk, weight: 1 },
)

const SEED_BULK = 20_261_202
test(`POST /api/v1/links/bulk: ${RUNS} fuzzed bodies, a 201 or a 4xx with a JSON reason, never a 5xx`, async () => {
  announce('links bulk', SEED_BULK)
  tally.clear()
  codes.clear()
  await fc.assert(
    fc.asyncProperty(body(bulkInput), contentType, async (text, type) => {
      const a = await post('/api/v1/links/bulk', text, type)
      const code = expectAcceptedOr4xx(a, [201])
      count(a.status, code ?? undefined)
      if (code !== null) return
      const sent = JSON.parse(text) as { items: unknown[] }
      const created = JSON.parse(a.text) as { data: { id: string }[] }
      expect(created.data).toHaveLength(sent.items.length)
    }),
    { seed: SEED_BULK, numRuns: RUNS },
  )
  console.log('[fuzz] links bulk statuses', Object.fromEntries(tally), Object.fromEntries(codes))
  expect(tally.get(201) ?? 0).toBeGreaterThan(50)
  expect(tally.get(400) ?? 0).toBeGreaterThan(100)
  expect(rejections.list).toEqual([])
}, 300_000)

test('no unhandled rejection anywhere in this file', () => expect(rejections.list).toEqual([]), 5_000)
