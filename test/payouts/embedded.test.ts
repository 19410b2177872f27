import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate } from '../../src/db/migrate.ts'
import { openPglite } from '../../src/db/pglite.ts'
import { seedDemo } from '../../src/db/seed-demo.ts'
import { runPayouts } from '../../src/payouts/service.ts'
import { payoutDeps } from '../../src/payouts/deps.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { testConfig } from '../helpers/app.ts'

// `npm start` runs on PGlite: one session, where a lock transaction held during the run would deadlock.
describe('payout runs on the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'payouts-pglite-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('a run completes (no lock transaction to wait on)', async () => {
    const store = await openPglite({ dataDir: dir })
    try {
      await migrate(store.db)
      await seedDemo(store.db)
      const deps = payoutDeps({
        config: testConfig('postgres://unused@localhost/x'),
        store,
        log: createLogger('silent'),
      })
      const report = await runPayouts(deps, { period: '2026-11', currency: 'USD' })
      expect(report).toMatchObject({ ran: true, payouts: [], rolledOver: 0 })
    } finally {
      await store.close()
    }
  }, 60_000)
})
