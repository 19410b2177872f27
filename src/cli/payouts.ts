import type { Config } from '../config.ts'
import { payoutDeps } from '../payouts/deps.ts'
import { runPayouts } from '../payouts/service.ts'
import { createLogger } from '../shared/logger.ts'
import { stderr, stdout, withCurrentSchema, type Write } from './db-command.ts'

/** Exit code of `payouts run` when a payout failed for good (the rest of the run still completed). */
export const EXIT_PAYOUT_FAILED = 3

/** `skinstack payouts run --period P [--currency C] [--json]`. */
export async function runPayoutsCommand(
  config: Config,
  opts: { period: string; currency: string; json: boolean },
  out: Write = stdout,
  err: Write = stderr,
): Promise<number> {
  return withCurrentSchema(config, err, async (store) => {
    const deps = payoutDeps({ config, store, log: createLogger(config.logLevel) })
    const report = await runPayouts(deps, opts)
    if (opts.json) out(`${JSON.stringify(report, null, 2)}\n`)
    else if (!report.ran)
      out(`payout run ${report.period} ${report.currency} is running in another process\n`)
    else {
      out(
        `payout run ${report.period} ${report.currency}: ${report.payouts.length} payout(s), ${report.rolledOver} rolled over\n`,
      )
      for (const p of report.payouts) out(`  ${p.id}  ${p.influencerId}  ${p.status}  net ${p.netMinor}\n`)
    }
    return report.payouts.some((p) => p.status === 'failed') ? EXIT_PAYOUT_FAILED : 0
  })
}
