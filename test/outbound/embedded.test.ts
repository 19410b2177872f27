import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate } from '../../src/db/migrate.ts'
import { openPglite } from '../../src/db/pglite.ts'
import { seedDemo } from '../../src/db/seed-demo.ts'
import { emitEvent } from '../../src/events/emit.ts'
import { domainEvent } from '../../src/events/types.ts'
import { createEndpoint } from '../../src/outbound/service.ts'
import { outboundWorker } from '../../src/outbound/worker.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { startReceiver, until } from './fixtures.ts'

// `npm start` runs on PGlite: the outbox, its claim (FOR UPDATE SKIP LOCKED), the wake-up NOTIFY and the
// driver's types (bytea, timestamps) must work there too.
describe('outbound webhooks on the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbound-pglite-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('an emitted event is delivered, signed', async () => {
    const store = await openPglite({ dataDir: dir })
    const masterKey = new Uint8Array(32).fill(7)
    const worker = outboundWorker({ store, log: createLogger('silent'), masterKey, pollMs: 60_000 })
    try {
      await migrate(store.db)
      await seedDemo(store.db)
      const [m] = await store.query<{ id: string }>(`select id from merchants where slug = 'glow-labs'`)
      const r = startReceiver()
      const ep = await createEndpoint(
        { db: store.db, masterKey, allowHttp: true },
        { kind: 'admin', keyId: null },
        {
          url: r.url,
          events: ['commission.approved'],
          merchantId: m!.id,
        },
      )
      r.secrets.push(ep.secret)
      await worker.start()
      const e = domainEvent('commission.approved', {
        merchantId: m!.id,
        influencerIds: [],
        data: { grossMinor: '1' },
      })
      expect(await store.db.transaction((tx) => emitEvent(tx, e))).toBe(1)
      // The poll is a minute away: only the wake-up NOTIFY can bring it this soon.
      await r.count(1)
      expect(r.received[0]!.valid).toBe(true)
      expect(JSON.parse(r.received[0]!.body)).toEqual({
        type: 'commission.approved',
        timestamp: e.at,
        data: { eventId: e.id, merchantId: m!.id, grossMinor: '1' },
      })
      const [d] = await until(
        () =>
          store.query<{ status: string; attempts: number }>(
            'select status, attempts from webhook_deliveries',
          ),
        (rows) => rows[0]?.status === 'delivered',
      )
      expect(d).toEqual({ status: 'delivered', attempts: 1 })
    } finally {
      await worker.stop()
      await store.close()
    }
  }, 60_000)
})
