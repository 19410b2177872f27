import { and, eq } from 'drizzle-orm'
import { payoutRuns } from '../db/schema/index.ts'
import { intervalWorker, type Worker } from '../lifecycle.ts'
import { type PayoutDeps, runPayouts } from './run.ts'

const HOUR_MS = 3_600_000

/** The month a scheduled run pays on `now`: the previous calendar month (UTC), as "YYYY-MM". */
export function scheduledPeriod(now: Date, day: number): string | null {
  if (now.getUTCDate() < day) return null
  const prev = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
  return `${prev.getUTCFullYear()}-${String(prev.getUTCMonth() + 1).padStart(2, '0')}`
}

/**
 * Monthly payouts from config: every hour, once the month has reached the scheduled day, runs the previous
 * month for each currency unless that run has completed. Every host may run it: the run's advisory lock lets
 * one pay while the others step aside, and a completed run is not started again.
 */
export function payoutScheduleWorker(
  deps: PayoutDeps,
  s: { day: number; currencies: readonly string[] },
): Worker {
  return intervalWorker({
    name: 'payout-schedule',
    intervalMs: HOUR_MS,
    log: deps.log,
    pass: async () => {
      const period = scheduledPeriod(new Date(), s.day)
      if (!period) return
      for (const currency of s.currencies) {
        const [run] = await deps.db
          .select({ status: payoutRuns.status })
          .from(payoutRuns)
          .where(and(eq(payoutRuns.period, period), eq(payoutRuns.currency, currency)))
        if (run?.status === 'completed') continue
        const report = await runPayouts(deps, { period, currency })
        if (report.ran)
          deps.log.info(
            { period, currency, payouts: report.payouts.length, rolledOver: report.rolledOver },
            'scheduled payout run finished',
          )
      }
    },
  })
}
