import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate } from '../../src/db/migrate.ts'
import { openPglite } from '../../src/db/pglite.ts'
import { createLinks, getLink, listLinks, setLinkActive, updateLink } from '../../src/links/service.ts'
import { testConfig } from '../helpers/app.ts'
import { seedLinkFixtures } from './fixtures.ts'

// The binary's default engine is the embedded PGlite: its errors name constraints differently
// (`constraint`, not `constraint_name`), so conflicts must still come out as 409s there.
const dir = mkdtempSync(join(tmpdir(), 'links-pglite-'))
const store = await openPglite({ dataDir: dir })
afterAll(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

test('create, page, conflict and deactivate on PGlite', async () => {
  await migrate(store.db)
  const fx = await seedLinkFixtures(store.db)
  const config = testConfig('postgres://unused@localhost/unused')
  // A merchant caller, so the ownership filters run on PGlite too.
  const principal = { kind: 'merchant', merchantId: fx.merchants.glow.id, keyId: 'k' } as const
  const items = Array.from({ length: 30 }, (_, i) => ({
    programId: fx.programs.plain.id,
    influencerId: fx.influencers.ava.id,
    asset: `p${i}`,
    destinationUrl: 'https://glow.example/',
  }))
  const made = await createLinks({ store, config, principal, items, bulk: true })
  expect(made).toHaveLength(30)

  const p1 = await listLinks({ store, config, principal, query: { limit: 20 } })
  const p2 = await listLinks({ store, config, principal, query: { limit: 20, cursor: p1.nextCursor! } })
  expect(p2.nextCursor).toBeNull()
  expect(new Set([...p1.data, ...p2.data].map((l) => l.id)).size).toBe(30)

  const again = { ...items[0]!, asset: 'p1' }
  await expect(createLinks({ store, config, principal, items: [again], bulk: false })).rejects.toMatchObject({
    status: 409,
    code: 'route_taken',
  })
  const slug = { ...items[0]!, asset: 'new', slug: made[0]!.slug }
  await expect(createLinks({ store, config, principal, items: [slug], bulk: false })).rejects.toMatchObject({
    status: 409,
    code: 'slug_taken',
  })
  // The constraint, not a pre-check, catches this one: PGlite's error must map to the same 409.
  await expect(
    updateLink({ store, config, principal, id: made[1]!.id, patch: { asset: 'p0' } }),
  ).rejects.toMatchObject({
    status: 409,
    code: 'route_taken',
  })
  expect((await setLinkActive({ store, config, principal, id: made[0]!.id, active: false })).active).toBe(
    false,
  )
  expect((await getLink({ store, config, principal, id: made[0]!.id })).deactivatedAt).not.toBeNull()
})
