// bench/results/latest.json: the keys issue 9 fixes (kept stable for anyone charting them), then the whole
// of every scenario's own JSON under `scenarios`, and every target with the scenario it came from.
import type { Row, ScenarioOutcome } from './suite.ts'
import type { Target } from './report.ts'

const pick = (o: ScenarioOutcome | undefined) => o?.json ?? null

export interface SuiteTarget extends Target {
  scenario: string
}

export function buildLatest(
  outcomes: readonly ScenarioOutcome[],
  machine: Record<string, unknown>,
  quick: boolean,
  targets: readonly SuiteTarget[],
): Record<string, unknown> {
  const by = (k: string) => outcomes.find((o) => o.key === k)
  const r = pick(by('redirect'))
  const [before, hit] = (r?.scenarios ?? []) as any[]
  const inv = pick(by('invalidation'))?.invalidation
  const wh = pick(by('webhooks'))
  const ws = pick(by('ws-fanout'))
  const micro = pick(by('micro'))
  const mem = pick(by('memory'))
  return {
    at: new Date().toISOString(),
    quick,
    machine,
    baseline: { rps: r?.baselineRps ?? null, p99_ms: before?.p99Ms ?? null },
    redirect_hit: {
      rps: hit?.rps ?? null,
      p50_ms: hit?.p50Ms ?? null,
      p99_ms: hit?.p99Ms ?? null,
      p999_ms: hit?.p999Ms ?? null,
      ratio: hit?.ratioToBaseline ?? null,
      served: r?.clicks?.served ?? null,
      stored: r?.clicks?.stored ?? null,
    },
    redirect_miss: {
      p99_ms: r?.missFixedRate?.p99Ms ?? null,
      p50_ms: r?.missFixedRate?.p50Ms ?? null,
      rate: r?.missFixedRate?.rate ?? null,
      saturated_p99_ms: r?.scenarios?.[2]?.p99Ms ?? null,
      saturated_rps: r?.scenarios?.[2]?.rps ?? null,
    },
    invalidation: { p99_ms: inv?.p99_ms ?? null, p50_ms: inv?.p50_ms ?? null },
    webhooks: {
      rps: wh?.distinct?.rps ?? null,
      dup_p99_ms: wh?.duplicates?.p99Ms ?? null,
      p99_ms: wh?.distinct?.p99Ms ?? null,
    },
    ws_fanout: { p99_ms: ws?.p99_ms ?? null, clients: ws?.clients ?? null },
    handler: { p99_us: micro?.handler?.p99_us ?? null, p50_us: micro?.handler?.p50_us ?? null },
    memory: {
      rss_1m_links_mb: mem?.memory?.rss_1m_links_mb ?? null,
      soak_growth_pct: mem?.memory?.soak_growth_pct ?? null,
    },
    // The exit status: every enforced target (under --quick, the correctness ones only) and every scenario ran.
    targets_met: targets.every((t) => t.pass || !t.enforced) && outcomes.every((o) => o.json !== null),
    missed_not_enforced: targets.filter((t) => !t.pass && !t.enforced).map((t) => `${t.scenario}: ${t.name}`),
    targets,
    runs: outcomes.map((o) => ({ key: o.key, code: o.code, seconds: o.seconds, timedOut: o.timedOut })),
    scenarios: Object.fromEntries(outcomes.map((o) => [o.key, o.json])),
  }
}

const fmtMs = (v: number | null) =>
  v === null ? '—' : v < 1 ? `${(v * 1000).toFixed(v < 0.01 ? 2 : 0)}µs` : `${v.toFixed(2)}ms`

export function printRows(rows: readonly Row[]): void {
  const head = ['scenario', 'req/s', 'p50', 'p99', 'p99.9', 'ratio', 'notes']
  const body = rows.map((r) => [
    r.scenario,
    r.rps === null ? '—' : Math.round(r.rps).toLocaleString('en-US'),
    fmtMs(r.p50),
    fmtMs(r.p99),
    fmtMs(r.p999),
    r.ratio === null ? '—' : r.ratio.toFixed(3),
    r.note,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number),
      )
      .join('  ')
      .trimEnd()
  console.log(line(head))
  console.log(widths.map((w) => '─'.repeat(w)).join('  '))
  for (const b of body) console.log(line(b))
}

export function printSuiteTargets(targets: readonly SuiteTarget[]): void {
  for (const t of targets) {
    const mark = t.pass ? 'PASS' : t.enforced ? 'FAIL' : 'miss (not enforced)'
    console.log(`${mark.padEnd(19)} [${t.scenario}] ${t.name}: ${t.actual} (target ${t.target})`)
  }
}
