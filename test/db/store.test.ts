import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeCopyRows } from '../../src/db/copy-format.ts'
import { DataDirLockedError } from '../../src/db/data-dir-lock.ts'
import { openPglite } from '../../src/db/pglite.ts'
import { openPostgres } from '../../src/db/postgres.ts'
import type { Store } from '../../src/db/store.ts'
import { createTestDb } from '../helpers/databases.ts'

const pg = await createTestDb({ migrated: false })
const pgliteDir = mkdtempSync(join(tmpdir(), 'store-pglite-'))
const engines: [string, Store][] = [
  ['postgres', pg.store],
  ['pglite', await openPglite({ dataDir: pgliteDir })],
]
afterAll(async () => {
  await engines[1]?.[1].close()
})

// Values that break naive COPY encoders: separators, escapes, COPY's own markers, big integers, JSON.
const awkward = (i: number) => [
  i,
  `tab\there\nnewline\r\\back\\slash ${i}`,
  i % 3 === 0 ? null : i % 3 === 1 ? '' : '\\N',
  9007199254740993n + BigInt(i),
  { nested: { quote: `"q" ${i}`, emoji: '💄', list: [1, 'two', null] } },
  new Date(Date.UTC(2026, 10, 22, 0, 0, 0, i % 1000)),
  i % 2 === 0,
  new Uint8Array([0, 92, 9, 10, 255, i % 256]),
]

describe.each(engines)('%s store', (_name, store) => {
  test('bulkInsert round-trips awkward values exactly', async () => {
    await store.query(
      `create table awkward (id int primary key, t text, n text, big bigint, j jsonb, at timestamptz, b bool, raw bytea)`,
    )
    const rows = Array.from({ length: 3000 }, (_, i) => awkward(i))
    expect(await store.bulkInsert('awkward', ['id', 't', 'n', 'big', 'j', 'at', 'b', 'raw'], rows)).toBe(3000)
    const back = await store.query<Record<string, unknown>>(
      'select id, t, n, big::text as big, j, at, b, raw from awkward order by id',
    )
    expect(back).toHaveLength(3000)
    for (const [i, r] of back.entries()) {
      const want = awkward(i)
      expect([r.id, r.t, r.n, r.big, r.j, (r.at as Date).toISOString(), r.b]).toEqual([
        want[0],
        want[1],
        want[2],
        String(want[3]),
        want[4],
        (want[5] as Date).toISOString(),
        want[6],
      ])
      expect([...(r.raw as Uint8Array)]).toEqual([...(want[7] as Uint8Array)])
    }
  })

  test('a rejected batch inserts nothing and the store stays usable', async () => {
    await store.query('create table uniq (id int primary key)')
    await store.bulkInsert('uniq', ['id'], [[1]])
    await expect(store.bulkInsert('uniq', ['id'], [[2], [3], [1]])).rejects.toThrow(/duplicate key/)
    expect(await store.query('select id from uniq order by id')).toEqual([{ id: 1 }])
    await expect(store.bulkInsert('no_such_table', ['id'], [[1]])).rejects.toThrow(/no_such_table/)
    expect(await store.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }])
  })

  test('copyIn with ignoreDuplicates lands a replayed batch exactly once', async () => {
    await store.query('create table replay (id int, day date, note text, primary key (id, day))')
    const text = encodeCopyRows([
      [1, '2026-11-01', 'a\tb'],
      [2, '2026-11-01', null],
    ])
    expect(await store.copyIn('replay', ['id', 'day', 'note'], text)).toBe(2)
    const again = encodeCopyRows([
      [2, '2026-11-01', 'dup'],
      [3, '2026-11-02', 'new'],
    ])
    expect(await store.copyIn('replay', ['id', 'day', 'note'], again, { ignoreDuplicates: true })).toBe(1)
    expect(await store.copyIn('replay', ['id', 'day', 'note'], again, { ignoreDuplicates: true })).toBe(0)
    await expect(store.copyIn('replay', ['id', 'day', 'note'], again)).rejects.toThrow(/duplicate key/)
    const rows = await store.query<{ id: number; note: string | null }>(
      'select id, note from replay order by id',
    )
    expect(rows).toEqual([
      { id: 1, note: 'a\tb' },
      { id: 2, note: null },
      { id: 3, note: 'new' },
    ])
  })

  test('listen receives notifications until unlistened, and reports ready', async () => {
    const got: string[] = []
    let ready = 0
    const { promise: arrived, resolve } = Promise.withResolvers<void>()
    const unlisten = await store.listen(
      'link_changed',
      (p) => {
        got.push(p)
        if (got.length === 2) resolve()
      },
      () => ready++,
    )
    expect(ready).toBe(1)
    await store.notify('link_changed', 'a')
    await store.notify('link_changed', 'b "quoted" \\ payload')
    await arrived
    expect(got).toEqual(['a', 'b "quoted" \\ payload'])
    await unlisten()
    await store.notify('link_changed', 'after')
    await store.query('select 1')
    expect(got).toHaveLength(2)
  })
})

test('a second process cannot open the same embedded data directory', async () => {
  const child = Bun.spawn(
    [
      process.execPath,
      '-e',
      `import { openPglite } from ${JSON.stringify(join(import.meta.dir, '../../src/db/pglite.ts'))}
       try { await openPglite({ dataDir: ${JSON.stringify(pgliteDir)} }); console.log('opened') }
       catch (e) { console.log(e.name + ': ' + e.message) }`,
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  const out = await new Response(child.stdout).text()
  await child.exited
  expect(out).toContain(DataDirLockedError.name)
  expect(out).toContain(`in use by another skinstack process (pid ${process.pid})`)
})

test('a COPY keeps its connection to itself while other queries share the pool', async () => {
  // Two connections, so a query is all but certain to be offered the COPY's connection if it were released.
  const small = openPostgres({ url: pg.url, poolSize: 2 })
  try {
    await small.query('create table busy (id int, note text)')
    const text = encodeCopyRows(Array.from({ length: 5000 }, (_, i) => [i, `row ${i} ${'x'.repeat(40)}`]))
    let copying = true
    const copies = (async () => {
      for (let k = 0; k < 20; k++) await small.copyIn('busy', ['id', 'note'], text)
      copying = false
    })()
    let answered = 0
    while (copying) {
      const rows = await Promise.all(
        Array.from({ length: 20 }, (_, i) => small.query<{ n: number }>('select $1::int as n', [i])),
      )
      answered += rows.length
    }
    await copies
    expect(answered).toBeGreaterThan(0)
    expect(await small.query('select count(*)::int as n from busy')).toEqual([{ n: 100_000 }])
  } finally {
    await small.close()
  }
})
