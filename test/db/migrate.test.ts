import { describe, expect, test } from 'bun:test'
import { migrate, migrationStatus } from '../../src/db/migrate.ts'
import { embeddedMigrations } from '../../src/db/migrations.gen.ts'
import { createTestDb } from '../helpers/databases.ts'

const journal = (await Bun.file(new URL('../../drizzle/meta/_journal.json', import.meta.url)).json()) as {
  entries: { tag: string }[]
}

describe('embedded migrations', () => {
  test('embed every migration drizzle-kit generated, in order', () => {
    expect(embeddedMigrations.map((m) => m.tag)).toEqual(journal.entries.map((e) => e.tag))
  })

  test('apply to an empty database, then are idempotent', async () => {
    const { store } = await createTestDb({ migrated: false })
    expect((await migrationStatus(store.db)).pending).toEqual(journal.entries.map((e) => e.tag))
    const first = await migrate(store.db)
    expect(first.applied).toHaveLength(embeddedMigrations.length)
    const second = await migrate(store.db)
    expect(second.applied).toEqual([])
    const status = await migrationStatus(store.db)
    expect(status.pending).toEqual([])
    const rows = await store.query<{ n: string }>(
      'select count(*)::text as n from drizzle.__drizzle_migrations',
    )
    expect(rows[0]?.n).toBe(String(embeddedMigrations.length))
    const tables = await store.query<{ t: string }>(
      `select tablename as t from pg_tables where schemaname = 'public' and tablename not like 'clicks\\_%'`,
    )
    expect(tables.map((r) => r.t)).toContain('tracking_links')
    expect(tables.map((r) => r.t)).toContain('clicks')
  })

  test('record the same hashes as drizzle-kit migrate would', async () => {
    const { store } = await createTestDb()
    const rows = await store.query<{ hash: string }>(
      'select hash from drizzle.__drizzle_migrations order by id',
    )
    const expected = await Promise.all(
      journal.entries.map(async (e) => {
        const text = await Bun.file(new URL(`../../drizzle/${e.tag}.sql`, import.meta.url)).text()
        return new Bun.CryptoHasher('sha256').update(text).digest('hex')
      }),
    )
    expect(rows.map((r) => r.hash)).toEqual(expected)
  })

  test('a failing migration leaves nothing behind (one transaction)', async () => {
    const { store } = await createTestDb({ migrated: false })
    const broken = [
      ...embeddedMigrations,
      {
        tag: '9999_broken',
        when: Date.now() + 1e9,
        breakpoints: true,
        sql: 'create table oops (id int);\n--> statement-breakpoint\nselect * from no_such_table;',
      },
    ]
    await expect(migrate(store.db, broken)).rejects.toThrow()
    const status = await migrationStatus(store.db)
    expect(status.applied).toBe(0)
    const oops = await store.query(`select 1 from pg_tables where tablename in ('oops', 'tracking_links')`)
    expect(oops).toEqual([])
  })

  test('concurrent migrators apply each migration once', async () => {
    const { store } = await createTestDb({ migrated: false })
    const results = await Promise.all([migrate(store.db), migrate(store.db), migrate(store.db)])
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, embeddedMigrations.length])
  })
})
