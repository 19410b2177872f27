import { createRuntime } from '../app.ts'
import { type Config, describeConfig } from '../config.ts'
import { clickAccrualWorker } from '../attribution/service.ts'
import { commissionApprover } from '../commissions/approver.ts'
import { payoutDeps } from '../payouts/deps.ts'
import { payoutScheduleWorker } from '../payouts/schedule.ts'
import { clickPartitionWorker } from '../db/click-partitions.ts'
import { openStore } from '../db/client.ts'
import { migrate, migrationStatus } from '../db/migrate.ts'
import { seedDemo } from '../db/seed-demo.ts'
import { Lifecycle } from '../lifecycle.ts'
import { createLogger } from '../shared/logger.ts'
import { VERSION } from '../version.ts'

export async function runServe(config: Config, opts: { migrate: boolean }): Promise<number> {
  const log = createLogger(config.logLevel)
  log.info({ version: VERSION, config: describeConfig(config) }, 'starting')
  const store = await openStore(config)
  if (opts.migrate) {
    const { applied } = await migrate(store.db)
    if (applied.length) log.info({ applied }, 'migrations applied')
  } else {
    const { pending } = await migrationStatus(store.db)
    if (pending.length)
      log.warn({ pending }, 'pending migrations not applied (--no-migrate); /readyz reports 503')
  }
  // A newcomer on the embedded database gets links to click straight away.
  if (store.kind === 'pglite') {
    const demo = await seedDemo(store.db)
    if (demo.created) log.info({ slugs: demo.slugs }, 'demo data seeded')
    log.info(
      { tryIt: demo.slugs.map((s) => `curl -i ${config.publicBaseUrl}/l/${s}`) },
      'embedded database with demo links',
    )
  }

  // A stray rejection is a bug to log, not a reason to drop buffered work by crashing.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'))
  const fatal = Promise.withResolvers<string>()
  process.on('uncaughtException', (err) => {
    if (isDriverWriteAfterClose(err)) {
      log.warn({ err }, 'database driver wrote to a connection that had just closed; ignored')
      return
    }
    // Anything else: stop taking traffic and drain what was accepted, rather than die with clicks in memory.
    log.fatal({ err }, 'uncaught exception: draining, then exiting 1')
    fatal.resolve('uncaughtException')
  })

  // Taken before anything starts: with the handlers added only after 'listening', a SIGTERM sent as soon as that
  // line appeared killed the process (exit 143) undrained (test/binary/sigkill.test.ts, after a WAL recovery).
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGINT', () => resolve('SIGINT'))
  })
  const lifecycle = new Lifecycle(log)
  const runtime = createRuntime({ config, store, log })
  // Started in order, stopped in reverse: the flusher drains last, after the listener has stopped.
  await lifecycle.start([
    clickPartitionWorker({ store, log, retentionDays: config.clicks.retentionDays }),
    commissionApprover({ db: store.db, log, intervalMs: config.commissions.approvalIntervalMs }),
    clickAccrualWorker({ db: store.db, log, intervalMs: config.commissions.clickAccrualIntervalMs }),
    ...(config.payoutSchedule.day === null
      ? []
      : [
          payoutScheduleWorker(payoutDeps({ config, store, log }), {
            day: config.payoutSchedule.day,
            currencies: config.payoutSchedule.currencies,
            intervalMs: config.payoutSchedule.intervalMs,
          }),
        ]),
    ...runtime.workers,
  ])
  const app = runtime.app.listen({ port: config.port, hostname: config.host })
  const server = app.server
  if (!server) throw new Error('server did not start')
  log.info({ url: `http://${server.hostname}:${server.port}` }, 'listening')

  const signal = await Promise.race([stopSignal, fatal.promise])
  log.info({ signal }, 'shutting down: no new connections, draining')
  // Live-feed sockets are told 1001 first: the server's stop would otherwise wait for them to hang up.
  runtime.realtime.hub.stop()
  // Stop accepting first and let in-flight requests finish; then workers flush what those requests buffered.
  await server.stop(false)
  await lifecycle.stop()
  await store.close()
  log.info('stopped')
  return signal === 'uncaughtException' ? 1 : 0
}

/**
 * postgres.js 3.4.9 defers socket writes to setImmediate; when Postgres drops the connection in between
 * (a restart), that deferred write throws outside any promise. The connection is already gone and the query
 * fails through its own path, so the throw itself carries nothing to act on.
 */
function isDriverWriteAfterClose(err: unknown): boolean {
  const e = err as Error
  return (
    e instanceof TypeError &&
    /postgres\/src\/connection\.js/.test(e.stack ?? '') &&
    /\.write|write'/.test(e.message)
  )
}
