import { type RecomputeReport, recomputeAttribution } from '../attribution/recompute.ts'
import type { Config } from '../config.ts'
import { stderr, stdout, withCurrentSchema, type Write } from './db-command.ts'

/** Exit code of `attribution recompute` when the recomputed ledger differs from the live one. */
export const EXIT_DIFFERENCES = 3

/** `skinstack attribution recompute --from --to [--keep-schema] [--json]`: 0 identical, 3 differences. */
export async function runAttributionRecompute(
  config: Config,
  opts: { from: Date; to: Date; keepSchema: boolean; json: boolean },
  out: Write = stdout,
  err: Write = stderr,
): Promise<number> {
  return withCurrentSchema(config, err, async (store) => {
    const report = await recomputeAttribution(store.db, opts)
    out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : render(report))
    return report.differences.length === 0 ? 0 : EXIT_DIFFERENCES
  })
}

function render(r: RecomputeReport): string {
  const head = `recomputed ${r.conversions} conversion(s) received in [${r.from}, ${r.to})`
  const kept = r.schema
    ? `\nscratch schema kept: ${r.schema} (drop it with: drop schema "${r.schema}" cascade)`
    : ''
  if (r.differences.length === 0) return `${head}: identical to the live ledger${kept}\n`
  const lines = r.differences.map(
    (d) =>
      `  order ${d.orderId} (${d.conversionId}) ${d.what}\n    live:       ${d.live ?? '—'}\n    recomputed: ${d.recomputed ?? '—'}`,
  )
  return `${head}: ${r.differences.length} difference(s)\n${lines.join('\n')}${kept}\n`
}
