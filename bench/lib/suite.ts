// The scenarios of `bun run bench`: which script runs each, with what arguments, and what the suite reads
// back from the JSON it writes. Every script also runs alone (bun bench/<name>.ts --help where it has one).
import type { Target } from './report.ts'

export interface Scenario {
  key: string
  script: string
  /** Extra arguments; --quick, --no-assert and --out are added by the suite. */
  args: (quick: boolean) => string[]
  /** Longest a healthy run takes here, with room: past it the child is killed and the scenario fails. */
  timeoutS: number
}

export const SCENARIOS: readonly Scenario[] = [
  { key: 'redirect', script: 'redirect.ts', args: () => ['--install'], timeoutS: 900 },
  { key: 'invalidation', script: 'invalidation.ts', args: () => [], timeoutS: 300 },
  { key: 'webhooks', script: 'webhooks.ts', args: () => [], timeoutS: 900 },
  { key: 'ws-fanout', script: 'ws-fanout.ts', args: () => [], timeoutS: 300 },
  { key: 'micro', script: 'micro.ts', args: () => [], timeoutS: 600 },
  { key: 'memory', script: 'memory.ts', args: () => [], timeoutS: 600 },
]

/** What one scenario's script left behind: its exit code, its JSON (null when it wrote none) and its targets. */
export interface ScenarioOutcome {
  key: string
  code: number | null
  seconds: number
  timedOut: boolean
  json: Record<string, any> | null
  targets: Target[]
}

/** One line of the printed table: the latency figures in milliseconds, null where they do not apply. */
export interface Row {
  scenario: string
  rps: number | null
  p50: number | null
  p99: number | null
  p999: number | null
  ratio: number | null
  note: string
}

const us = (v: unknown) => (typeof v === 'number' ? v / 1000 : null)
const num = (v: unknown) => (typeof v === 'number' ? v : null)

/** The table rows a scenario's JSON yields (a missing JSON yields one row saying so). */
export function rowsOf(o: ScenarioOutcome): Row[] {
  const j = o.json
  if (!j)
    return [
      {
        scenario: o.key,
        rps: null,
        p50: null,
        p99: null,
        p999: null,
        ratio: null,
        note: o.timedOut ? `timed out after ${o.seconds} s` : `no results (exit ${o.code})`,
      },
    ]
  switch (o.key) {
    case 'redirect': {
      const [before, hit, miss, after] = j.scenarios as any[]
      const f = j.missFixedRate
      const row = (name: string, r: any, note = ''): Row => ({
        scenario: name,
        rps: r.rps,
        p50: r.p50Ms,
        p99: r.p99Ms,
        p999: r.p999Ms,
        ratio: r.ratioToBaseline,
        note,
      })
      return [
        row('baseline: Bun.serve 302', before, `again after: ${after.rps} req/s`),
        row('redirect, cache hit (wrk)', hit, `served ${j.clicks.served}, stored ${j.clicks.stored}`),
        {
          scenario: `redirect, cache miss at ${f.rate}/s`,
          rps: f.rate,
          p50: f.p50Ms,
          p99: f.p99Ms,
          p999: f.p999Ms,
          ratio: null,
          note: `${f.s302}/${f.sent} 302`,
        },
        row('redirect, cache miss (wrk)', miss, 'saturation, reported'),
      ]
    }
    case 'invalidation': {
      const r = j.invalidation
      return [
        {
          scenario: 'invalidation, 2 hosts',
          rps: null,
          p50: r.p50_ms,
          p99: r.p99_ms,
          p999: r.p999_ms,
          ratio: null,
          note: `${r.observations} observations, ${r.lost} lost`,
        },
      ]
    }
    case 'webhooks':
      return (['distinct', 'duplicates'] as const).map((k) => ({
        scenario: `webhooks, ${k}`,
        rps: j[k].rps,
        p50: j[k].p50Ms,
        p99: j[k].p99Ms,
        p999: j[k].p999Ms,
        ratio: null,
        note: `${j[k].n} deliveries`,
      }))
    case 'ws-fanout':
      return [
        {
          scenario: `WebSocket fan-out, ${j.clients} clients`,
          rps: null,
          p50: j.p50_ms,
          p99: j.p99_ms,
          p999: num(j.p999_ms),
          ratio: null,
          note: `${j.received}/${j.expected} frames`,
        },
      ]
    case 'micro':
      return [
        {
          scenario: 'in-process handler, cache hit',
          rps: null,
          p50: us(j.handler?.p50_us),
          p99: us(j.handler?.p99_us),
          p999: us(j.handler?.p999_us),
          ratio: null,
          note: `${j.handler?.calls} calls`,
        },
        ...((j.functions ?? []) as any[]).map((f) => ({
          scenario: `  ${f.name}`,
          rps: null,
          p50: us(us(f.p50Ns)),
          p99: us(us(f.p99Ns)),
          p999: us(us(f.p999Ns)),
          ratio: null,
          note: 'mitata',
        })),
      ]
    case 'memory':
      return [
        {
          scenario: 'memory',
          rps: num(j.soak?.rate),
          p50: null,
          p99: null,
          p999: null,
          ratio: null,
          note: `RSS ${j.memory?.rss_1m_links_mb} MiB with 1M links cached; soak ${j.soak?.seconds} s: ${j.soak?.rssStartMiB} → ${j.soak?.rssEndMiB} MiB (${j.memory?.soak_growth_pct}%)`,
        },
      ]
    default:
      return []
  }
}
