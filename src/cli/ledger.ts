import { type LedgerCheck, verifyLedger } from '../commissions/ledger-verify.ts'
import type { Config } from '../config.ts'
import { stderr, stdout, withCurrentSchema, type Write } from './db-command.ts'

/** Exit code of `ledger verify` when any invariant is violated (1 stays "could not check"). */
export const EXIT_VIOLATIONS = 3

/**
 * `skinstack ledger verify [--json]`: 0 when every invariant holds, 3 when any is violated, 1 when the
 * database cannot be checked (unreachable: openStore throws DatabaseUnavailableError, which main maps to 1).
 */
export async function runLedgerVerify(
  config: Config,
  opts: { json: boolean },
  out: Write = stdout,
  err: Write = stderr,
): Promise<number> {
  return withCurrentSchema(config, err, async (store) => {
    let result: Awaited<ReturnType<typeof verifyLedger>>
    try {
      result = await verifyLedger(store.db)
    } catch (e) {
      err(`skinstack: ledger verify could not run: ${(e as Error).message}\n`)
      return 1
    }
    out(opts.json ? `${JSON.stringify(result, null, 2)}\n` : renderTable(result.checks))
    return result.ok ? 0 : EXIT_VIOLATIONS
  })
}

function renderTable(checks: readonly LedgerCheck[]): string {
  const w = Math.max('check'.length, ...checks.map((c) => c.name.length))
  const v = Math.max('violations'.length, ...checks.map((c) => String(c.violations).length))
  const lines = checks.map((c) => {
    const row = `${c.violations ? 'FAIL' : 'PASS'}  ${c.name.padEnd(w)}  ${String(c.violations).padStart(v)}`
    return c.violations ? `${row}  e.g. ${c.sample.join(', ')}` : row
  })
  const failed = checks.filter((c) => c.violations > 0)
  const total = failed.reduce((n, c) => n + c.violations, 0)
  const summary = failed.length
    ? `${total} violation(s) in ${failed.length} of ${checks.length} checks`
    : `all ${checks.length} checks passed`
  return `      ${'check'.padEnd(w)}  ${'violations'.padStart(v)}\n${lines.join('\n')}\n\n${summary}\n`
}
