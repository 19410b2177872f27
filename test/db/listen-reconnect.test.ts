import { afterAll, expect, test } from 'bun:test'
import { openPostgres } from '../../src/db/postgres.ts'
import { startThrowawayCluster } from '../helpers/postgres-server.ts'

// Our own cluster, so stopping Postgres disturbs no other test.
const cluster = await startThrowawayCluster()
afterAll(() => cluster.stop())

test('LISTEN resumes soon after Postgres comes back, and onReady fires so caches can be cleared', async () => {
  const store = openPostgres({ url: cluster.adminUrl, poolSize: 2 })
  const got: string[] = []
  let readyCount = 0
  const reReady = Promise.withResolvers<void>()
  await store.listen(
    'link_changed',
    (p) => got.push(p),
    () => {
      readyCount++
      if (readyCount > 1) reReady.resolve()
    },
  )
  expect(readyCount).toBe(1)

  cluster.pause()
  // Long enough that postgres.js's default backoff (3^n/100 s, up to 20 s) would leave a gap of seconds.
  await Bun.sleep(5000)
  cluster.start()
  const back = performance.now()
  await reReady.promise
  const resumedMs = performance.now() - back
  console.log(`LISTEN resumed ${resumedMs.toFixed(0)} ms after Postgres accepted connections again`)

  const arrived = Promise.withResolvers<void>()
  const unlisten = await store.listen('after_outage', () => arrived.resolve())
  await store.notify('link_changed', 'after-outage')
  await store.notify('after_outage', 'x')
  await arrived.promise
  await store.query('select 1')
  expect(got).toContain('after-outage')
  // The behaviour under test is the backoff setting: bounded retries, not the default's 5-20 s waits.
  expect(resumedMs).toBeLessThan(3000)
  await unlisten()
  await store.close()
}, 60_000)
