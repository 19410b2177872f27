import { describe, expect, test } from 'bun:test'
import {
  clickPartitionWorker,
  dropExpiredClickPartitions,
  ensureClickPartitions,
  pruneClickVisitors,
} from '../../src/db/click-partitions.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { createTestDb } from '../helpers/databases.ts'

const { store } = await createTestDb()

const partitions = async () =>
  (
    await store.query<{ name: string }>(
      `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'clicks'::regclass and c.relname <> 'clicks_default' order by 1`,
    )
  ).map((r) => r.name)

const day = (d: Date) => `clicks_${d.toISOString().slice(0, 10).replaceAll('-', '')}`

describe('click partitions', () => {
  test('extend ahead of the clock and move stray rows out of the default partition', async () => {
    const future = new Date(Date.now() + 40 * 86_400_000)
    await store.query(
      `insert into clicks (id, clicked_at, link_id, slug, program_id, influencer_id)
       values (gen_random_uuid(), $1, gen_random_uuid(), 's', gen_random_uuid(), gen_random_uuid())`,
      [future.toISOString()],
    )
    const inDefault = await store.query('select 1 from clicks_default')
    expect(inDefault).toHaveLength(1)
    expect(await partitions()).not.toContain(day(future))

    const created = await ensureClickPartitions(store, 7, new Date(future.getTime() - 86_400_000))
    expect(created).toBeGreaterThan(0)
    expect(await partitions()).toContain(day(future))
    expect(await store.query('select 1 from clicks_default')).toHaveLength(0)
    expect(await store.query(`select 1 from ${day(future)}`)).toHaveLength(1)
    expect(await ensureClickPartitions(store, 7, new Date(future.getTime() - 86_400_000))).toBe(0)
  })

  test('the worker covers today through a week ahead on start and stops cleanly', async () => {
    const worker = clickPartitionWorker({
      store,
      log: createLogger('silent'),
      retentionDays: 0,
      intervalMs: 60_000,
    })
    await worker.start()
    await worker.stop()
    const names = await partitions()
    for (let i = 0; i <= 7; i++) expect(names).toContain(day(new Date(Date.now() + i * 86_400_000)))
  })
})

test('partitions past retention are dropped, recent ones kept', async () => {
  const old = new Date(Date.now() - 30 * 86_400_000)
  await ensureClickPartitions(store, 0, new Date(old.getTime() + 86_400_000))
  expect(await partitions()).toContain(day(old))
  const dropped = await dropExpiredClickPartitions(store, 20)
  expect(dropped).toContain(day(old))
  expect(await partitions()).not.toContain(day(old))
  expect(await partitions()).toContain(day(new Date()))
  expect(await dropExpiredClickPartitions(store, 0)).toEqual([])
})

test('click visitors older than 2 UTC days are deleted, by the worker too', async () => {
  const days = (offsets: number[], now = Date.now()) =>
    offsets.map((d) => new Date(now - d * 86_400_000).toISOString().slice(0, 10))
  const plant = (list: string[]) =>
    store.query(
      `insert into click_visitors (day, link_id, ip_hash)
       select d::date, gen_random_uuid(), 'v' from unnest($1::text[]) d`,
      [list],
    )
  const left = async () =>
    (await store.query<{ day: string }>('select day::text as day from click_visitors order by 1')).map(
      (r) => r.day,
    )
  await plant(days([5, 3, 2, 1, 0]))
  expect(await pruneClickVisitors(store)).toBe(2)
  expect(await left()).toEqual(days([2, 1, 0]))
  expect(await pruneClickVisitors(store)).toBe(0)

  await plant(days([4]))
  const worker = clickPartitionWorker({
    store,
    log: createLogger('silent'),
    retentionDays: 0,
    intervalMs: 60_000,
  })
  await worker.start()
  await worker.stop()
  expect(await left()).toEqual(days([2, 1, 0]))
})
