import { expect, test } from 'bun:test'
import { vacuumRollupQueues } from '../../src/db/rollups.ts'
import { createTestDb } from '../helpers/databases.ts'

const { store } = await createTestDb()

const size = async () =>
  Number((await store.query<{ n: string }>(`select pg_relation_size('click_rollup_queue')::text as n`))[0]?.n)

test('the rollup queues are vacuumed: the dead rows a fold leaves are reclaimed, and the emptied pages returned', async () => {
  // What the COPY trigger adds and a fold then deletes, 20,000 clicks' worth.
  await store.query(`
    insert into click_rollup_queue (id, clicked_at, link_id, influencer_id, program_id, human)
    select gen_random_uuid(), now(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), true
      from generate_series(1, 20000)`)
  await store.query(`delete from click_rollup_queue`)
  const before = await size()
  // The deleted rows still occupy the table: every later fold's DELETE would read them.
  expect(before).toBeGreaterThan(1_000_000)
  const vacuums = async () =>
    Number(
      (
        await store.query<{ n: string }>(
          `select vacuum_count::text as n from pg_stat_user_tables where relname = 'click_rollup_queue'`,
        )
      )[0]?.n ?? 0,
    )
  const count = await vacuums()
  await vacuumRollupQueues(store)
  expect(await size()).toBe(0)
  expect(await vacuums()).toBe(count + 1)
  // Another host vacuuming at the same time is skipped, not waited for and not an error.
  await Promise.all([vacuumRollupQueues(store), vacuumRollupQueues(store)])
})
