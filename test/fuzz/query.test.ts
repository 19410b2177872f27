// Target 3 of "Faults, load and bad input": query strings on /l/:slug and /postback/:merchant. Arbitrary keys and
// values, percent-encoding garbage, repeated keys, very long queries.
//
// /l/:slug is served twice per case: through the Elysia route (app.handle) and through the handler Bun's native
// route calls (redirect.bySlug, outside Elysia's error mapping), so a throw in either would show. The query is
// stored with the click (landing_params, see click-encoder.ts): every click that carries a landing key is flushed
// to Postgres at once and read back, so a query the database cannot store fails the case that sent it.
import { afterAll, expect, test } from 'bun:test'
import fc from 'fast-check'
import { signClickId } from '../../src/shared/click-id.ts'
import { addSecret } from '../../src/webhooks/secrets.ts'
import { testRuntime } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { seedLinks } from '../helpers/links.ts'
import {
  announce,
  type Answer,
  expectAcceptedOr4xx,
  expectErrorBody,
  nastyString,
  read,
  RUNS,
  trackUnhandledRejections,
} from './harness.ts'

const rejections = trackUnhandledRejections()
afterAll(() => rejections.stop())

const { store, url } = await createTestDb()
await seedLinks(store, 3)
const rt = testRuntime(store, url, {
  CLICK_JOURNAL_DIR: `/tmp/skinstack-fuzz-journal-${process.pid}-${Math.random().toString(36).slice(2)}`,
})
const TOKEN = 'pb_fuzz_query_token_0123456789'
const [merchant] = await store.query<{ id: string }>(`select id from merchants where slug = 'glow-labs'`)
await addSecret(store, rt.config.secrets.masterKey, {
  merchantId: merchant?.id ?? '',
  source: 'postback',
  keyId: 'k1',
  secret: TOKEN,
  slot: 1,
})

const links = await store.query<{ slug: string; d: string }>(
  'select slug, destination_url as d from tracking_links',
)
const destinationOf = new Map(links.map((l) => [l.slug, l.d.split(/[?#]/)[0]!]))

// What the click keeps of the query (click-encoder.ts): these keys, values of at most 256 characters, the last
// occurrence winning; a value Postgres cannot hold in jsonb (a NUL) is left out.
const LANDING_KEYS = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'gclid',
  'fbclid',
  'ttclid',
  'msclkid',
  'twclid',
  'li_fat_id',
]
function expectedLanding(query: string): Record<string, string> | null {
  let out: Record<string, string> | null = null
  for (const [k, v] of new URLSearchParams(query))
    if (LANDING_KEYS.includes(k) && v.length <= 256 && !v.includes('\u0000')) (out ??= {})[k] = v
  return out
}

const enc = (s: string) => encodeURIComponent(s.toWellFormed())
const percentJunk = fc.constantFrom(
  '%',
  '%%',
  '%zz',
  '%0',
  '%00',
  '%0d%0a',
  '%E0%A4',
  '%ED%A0%80',
  '%C0%AF',
  '%FF%FE',
  '%2525',
  '%u0041',
  '+',
  '%2B',
  '&',
  '=',
  '#',
  '?',
  ';',
)
const queryKey = fc.oneof(
  { arbitrary: fc.constantFrom(...LANDING_KEYS), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      'click_id',
      'order_id',
      'amount',
      'currency',
      'token',
      'sk_cid',
      'sub_id',
      'test',
    ),
    weight: 2,
  },
  { arbitrary: nastyString, weight: 2 },
  { arbitrary: percentJunk, weight: 1 },
)
const queryValue = fc.oneof(
  { arbitrary: fc.string({ maxLength: 20 }), weight: 3 },
  { arbitrary: nastyString, weight: 3 },
  { arbitrary: fc.array(percentJunk, { minLength: 1, maxLength: 4 }).map((p) => p.join('')), weight: 2 },
  { arbitrary: fc.constantFrom('a'.repeat(256), 'b'.repeat(257), '%41'.repeat(300)), weight: 1 },
)
/** One `k=v`: percent-encoded properly, raw (the URL parser encodes what it must), or mixed. */
const pair = fc
  .tuple(queryKey, fc.option(queryValue, { freq: 8 }), fc.constantFrom('encoded', 'raw', 'raw-key'))
  .map(([k, v, how]) => {
    const key = how === 'encoded' ? enc(k) : k
    if (v === null) return key
    return `${key}=${how === 'raw' ? v : enc(v)}`
  })
const query = fc
  .tuple(
    fc.array(pair, { maxLength: 8 }),
    fc.constantFrom('&', '&&', ';', '&amp;'),
    fc.oneof(
      { arbitrary: fc.constant(1), weight: 12 },
      { arbitrary: fc.constantFrom(50, 500, 4_000), weight: 1 },
    ),
  )
  .map(([pairs, sep, repeat]) => {
    // Repeated keys come from the small key sets; `repeat` makes very long queries (up to 64 KiB, cut anywhere,
    // even inside an escape) of the same pairs.
    const q = pairs.join(sep)
    const times = Math.min(repeat, Math.ceil((64 * 1024) / (q.length + 1)))
    return times === 1
      ? q
      : Array.from({ length: times }, () => q)
          .join('&')
          .slice(0, 64 * 1024)
  })

const slug = fc.oneof(
  { arbitrary: fc.constantFrom(...destinationOf.keys()), weight: 10 },
  {
    arbitrary: fc.constantFrom('GLOW-SERUM', 'nope-nope', 'x'.repeat(64), 'x'.repeat(65), 'a.b', '%2e%2e'),
    weight: 1,
  },
)
const accept = fc.constantFrom('application/json', 'text/html,application/xhtml+xml', '*/*', null)

const peer = (address: string) => ({ requestIP: () => ({ address }) })
const uuidOf = (token: string) =>
  Buffer.from(token.split('.')[0]!, 'base64url')
    .toString('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')

interface Click {
  /** The request as the server saw it. */
  readonly url: string
  readonly id: string
  readonly landing: Record<string, string> | null
}
/** Clicks answered since the last flush: if the flush breaks, one of these broke it. */
let pending: Click[] = []
const FLUSH_EVERY = 25

/** 302 to the link's own destination with our click id, or a 404 answer (HTML for browsers, JSON otherwise). */
function expectRedirectAnswer(a: Answer, slugSent: string, wantsHtml: boolean): string | null {
  for (const [, v] of a.headers) expect(v).not.toMatch(/[\r\n]/)
  if (a.status === 302) {
    const location = a.headers.get('location') ?? ''
    const destination = destinationOf.get(slugSent.toLowerCase())
    expect(destination).toBeDefined()
    expect(location.startsWith(destination!)).toBe(true)
    const token = /[?&]sk_cid=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)(#[^#]*)?$/.exec(location)?.[1]
    expect(token).toBeDefined()
    return token!
  }
  expect(a.status).toBe(404)
  if (a.contentType.includes('text/html')) expect(wantsHtml).toBe(true)
  // Elysia's router answers a path it normalises away (/l/%2e%2e) itself, in the API's shape.
  else
    expect(wantsHtml ? ['route_not_found'] : ['link_not_found', 'route_not_found']).toContain(
      expectErrorBody(a).code,
    )
  return null
}

/** Flushes the buffered clicks, then reads every one of them back: stored, with exactly its landing params. */
async function flushAndCheck() {
  const before = { ...rt.redirect.flusher.stats }
  await rt.redirect.flusher.flushNow()
  const after = rt.redirect.flusher.stats
  const broken = after.failures !== before.failures || after.journaled !== 0 || !after.healthy
  if (broken || after.flushed - before.flushed !== pending.length)
    throw new Error(
      `clicks not stored (${JSON.stringify(after)}); one of these requests broke the flush:\n` +
        pending.map((c) => c.url.slice(0, 2_000)).join('\n'),
    )
  const rows = await store.query<{ id: string; p: Record<string, string> | null }>(
    'select id, landing_params as p from clicks where id = any($1::uuid[])',
    [pending.map((c) => c.id)],
  )
  const stored = new Map(rows.map((r) => [r.id, r.p]))
  for (const c of pending)
    expect({ url: c.url, landing: stored.get(c.id) }).toEqual({ url: c.url, landing: c.landing })
  const checked = pending.length
  pending = []
  return checked
}

const SEED_L = 20_261_221
test(`/l/:slug: ${RUNS} fuzzed query strings, never a 5xx; each click and its landing params are stored`, async () => {
  announce('/l/:slug query', SEED_L)
  await flushAndCheck()
  const clicksBefore = Number((await store.query<{ n: string }>('select count(*) as n from clicks'))[0]?.n)
  const tally = { redirected: 0, notFound: 0, checkedRows: 0, withLandingParams: 0 }
  await fc.assert(
    fc.asyncProperty(
      slug,
      query,
      accept,
      fc.boolean(),
      fc.ipV4(),
      async (s, q, acceptHeader, viaBunRoute, ip) => {
        const req = new Request(`http://localhost/l/${s}?${q}`, {
          headers: acceptHeader === null ? {} : { accept: acceptHeader },
        })
        // The Bun route is handed the decoded segment; Elysia decodes its own.
        const res = viaBunRoute
          ? await rt.redirect.bySlug(req, peer(ip), decodeURIComponent(s))
          : await rt.app.handle(req)
        const a = await read(res)
        if (a.status >= 500) expectAcceptedOr4xx(a, [])
        const token = expectRedirectAnswer(a, s, acceptHeader?.includes('text/html') ?? false)
        if (token === null) return void tally.notFound++
        tally.redirected++
        // The query the click stored is the one the request carried (req.url: what the server saw).
        const landing = expectedLanding(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '')
        if (landing) tally.withLandingParams++
        pending.push({ url: req.url, id: uuidOf(token), landing })
        if (pending.length >= FLUSH_EVERY) tally.checkedRows += await flushAndCheck()
      },
    ),
    // The flusher is shared state: report the case that broke it, not a shrunk one that only met it broken.
    { seed: SEED_L, numRuns: RUNS, endOnFailure: true },
  )
  tally.checkedRows += await flushAndCheck()
  const clicksAfter = Number((await store.query<{ n: string }>('select count(*) as n from clicks'))[0]?.n)
  console.log('[fuzz] /l/:slug', tally)
  expect(clicksAfter - clicksBefore).toBe(tally.redirected)
  expect(tally.checkedRows).toBe(tally.redirected)
  expect(tally.redirected).toBeGreaterThan(5_000)
  expect(tally.withLandingParams).toBeGreaterThan(1_000)
  expect(rejections.list).toEqual([])
}, 300_000)

// Regression (found by the fuzz above): one click with a NUL in a landing parameter made the whole COPY batch fail,
// the batch went to the journal, and the journal's replay failed on the same row forever: from then on every
// click of every link was journaled and never reached Postgres.
test('a NUL in a landing parameter is dropped, and the flusher stays healthy', async () => {
  await flushAndCheck()
  const send = async (q: string, landing: Record<string, string> | null) => {
    const req = new Request(`http://localhost/l/glow-serum?${q}`)
    const res = await rt.app.handle(req)
    expect(res.status).toBe(302)
    const token = /sk_cid=([^&#]+)/.exec(res.headers.get('location') ?? '')?.[1] ?? ''
    pending.push({ url: req.url, id: uuidOf(token), landing })
  }
  await send('utm_source=%00&gclid=ok', { gclid: 'ok' })
  await send('fbclid=%u0041%0%00+', null)
  await send('utm_source=ig', { utm_source: 'ig' })
  expect(await flushAndCheck()).toBe(3)
}, 30_000)

const key = rt.config.secrets.clickIdKeys[0] ?? { kid: '', secret: new Uint8Array() }
const goodClick = signClickId(key, Bun.randomUUIDv7())
// A base the fuzz appends to or replaces: a valid postback, so some cases get as far as storage.
const postbackBase = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      `click_id=${goodClick}&amount=1.00&currency=USD&token=${TOKEN}`,
      `token=${TOKEN}&click_id=${goodClick}&amount=19.99&currency=eur`,
    ),
    weight: 1,
  },
  { arbitrary: fc.constantFrom(`token=${TOKEN}`, ''), weight: 3 },
)

const SEED_PB = 20_261_222
test(`/postback/:merchant: ${RUNS} fuzzed query strings, 200/202 or a 4xx with a JSON reason`, async () => {
  announce('/postback query', SEED_PB)
  const statuses = new Map<string, number>()
  await fc.assert(
    fc.asyncProperty(
      postbackBase,
      query,
      fc.nat(),
      fc.constantFrom('GET', 'POST'),
      async (base, q, n, method) => {
        const order = `order_id=fz-${n % 2_000}`
        const qs = [base, q, order].filter((p) => p !== '').join('&')
        const a =
          method === 'GET'
            ? await read(await rt.app.handle(new Request(`http://localhost/postback/glow-labs?${qs}`)))
            : await read(
                await rt.app.handle(
                  new Request('http://localhost/postback/glow-labs', {
                    method: 'POST',
                    body: qs,
                    headers: { 'content-type': 'application/x-www-form-urlencoded' },
                  }),
                ),
              )
        const code = expectAcceptedOr4xx(a, [200, 202])
        const k = `${a.status} ${code ?? ''}`
        statuses.set(k, (statuses.get(k) ?? 0) + 1)
      },
    ),
    { seed: SEED_PB, numRuns: RUNS },
  )
  console.log('[fuzz] /postback', Object.fromEntries(statuses))
  const accepted = (statuses.get('200 ') ?? 0) + (statuses.get('202 ') ?? 0)
  expect(accepted).toBeGreaterThan(200)
  expect(rejections.list).toEqual([])
}, 300_000)

test('no unhandled rejection anywhere in this file', () => expect(rejections.list).toEqual([]), 5_000)
