import { expect, test } from 'bun:test'
import fc from 'fast-check'
import { startTestServer } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { seedLinks } from '../helpers/links.ts'

const { store, url } = await createTestDb()
await seedLinks(store, 5)
const { base } = await startTestServer(store, url)

const destinations = (
  await store.query<{ d: string }>('select destination_url as d from tracking_links')
).map((r) => r.d.split(/[?#]/)[0])

// Path segments a scanner or an attacker might send: any unicode, percent-encoded CR/LF and slashes,
// traversal, look-alikes of real slugs.
const segment = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    'glow-serum',
    'GLOW-SERUM',
    'ld1',
    '..',
    '%2e%2e',
    '%0d%0aSet-Cookie:%20x=1',
    '%2F%2Fevil.com',
    'a'.repeat(65),
  ),
  fc.stringMatching(/^[a-z0-9-]{1,70}$/),
)

test('10,000 fuzzed slugs and /c/ paths: never a 5xx, no header injection, no foreign Location', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(segment, { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      async (parts, creatorRoute) => {
        const path = (creatorRoute ? '/c/' : '/l/') + parts.map((p) => encodeURIComponent(p)).join('/')
        const res = await fetch(base + path, { redirect: 'manual', headers: { accept: 'text/html' } })
        await res.arrayBuffer()
        expect(res.status).toBeLessThan(500)
        expect([...res.headers.keys()]).not.toContain('x')
        for (const [, v] of res.headers) expect(v).not.toMatch(/[\r\n]/)
        const location = res.headers.get('location')
        if (location) expect(destinations.some((d) => d !== undefined && location.startsWith(d))).toBe(true)
      },
    ),
    { numRuns: 10_000, seed: 20261122 },
  )
}, 120_000)
