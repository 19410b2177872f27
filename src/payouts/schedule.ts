import { and, eq, inArray } from 'drizzle-orm'
import { payoutRuns, payouts } from '../db/schema/index.ts'
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
 * Monthly payouts from config: every interval (an hour by default), once the month has reached the scheduled
 * day, runs the previous month for each currency until it is done. Every host may run it: the run's advisory
 * lock lets one pay while the others step aside, and when that host dies its lock goes with its session, so
 * the next host to check takes the run over. A completed run is started again only while some of its payouts
 * are unfinished (a provider still processing, a retryable failure), so those reach paid without an operator.
 */
export function payoutScheduleWorker(
  deps: PayoutDeps,
  s: { day: number; currencies: readonly string[]; intervalMs?: number },
): Worker {
  return intervalWorker({
    name: 'payout-schedule',
    intervalMs: s.intervalMs ?? HOUR_MS,
    log: deps.log,
    pass: async () => {
      const period = scheduledPeriod(new Date(), s.day)
      if (!period) return
      for (const currency of s.currencies) {
        const [run] = await deps.db
          .select({ id: payoutRuns.id, status: payoutRuns.status })
          .from(payoutRuns)
          .where(and(eq(payoutRuns.period, period), eq(payoutRuns.currency, currency)))
        if (run?.status === 'completed' && !(await hasUnfinished(deps, run.id))) continue
        const report = await runPayouts(deps, { period, currency })
        if (report.ran)
          deps.log.info(
            { period, currency, payouts: report.payouts.length, rolledOver: report.rolledOver },
            'scheduled payout run finished',
          )
        else deps.log.info({ period, currency }, 'payout run is held by another host; checking again later')
      }
    },
  })
}

async function hasUnfinished(deps: PayoutDeps, runId: string): Promise<boolean> {
  const [p] = await deps.db
    .select({ id: payouts.id })
    .from(payouts)
    .where(and(eq(payouts.runId, runId), inArray(payouts.status, ['initiated', 'processing'])))
    .limit(1)
  return p !== undefined
}
