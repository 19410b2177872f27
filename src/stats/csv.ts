import { stringify } from 'csv-stringify/sync'
import type { Money } from './metrics.ts'

// Any stats table as CSV: one line per row, scalar fields as they are in JSON, and the per-currency money map
// flattened into `<CUR>_<field>` columns for every currency present in the table (empty where a row has none).

const MONEY_FIELDS = ['conversions', 'revenue', 'aov', 'earned', 'epc'] as const
const STATUS_FIELDS = ['pending', 'approved', 'paid', 'reversed'] as const
const TAIL_FIELDS = ['gross', 'fee'] as const

type Row = Record<string, unknown> & { money?: Record<string, Money> }

// A cell a spreadsheet would run as a formula (text from referrers or product names) is quoted as text.
const FORMULA = /^[=+\-@\t\r]/
const NUMERIC = /^-?\d+(\.\d+)?$/
const cell = (v: unknown): string => {
  if (v === null || v === undefined) return ''
  const s = typeof v === 'string' ? v : String(v)
  return FORMULA.test(s) && !NUMERIC.test(s) ? `'${s}` : s
}

export function toCsv(rows: readonly Row[]): string {
  const scalar: string[] = []
  const currencies = new Set<string>()
  for (const r of rows) {
    for (const [k, v] of Object.entries(r))
      if (k !== 'money' && (v === null || typeof v !== 'object') && !scalar.includes(k)) scalar.push(k)
    for (const c of Object.keys(r.money ?? {})) currencies.add(c)
  }
  const money = [...currencies]
    .sort()
    .flatMap((c) => [
      ...MONEY_FIELDS.map((f) => ({ c, f, get: (m: Money) => m[f] })),
      ...STATUS_FIELDS.map((f) => ({ c, f, get: (m: Money) => m.commissions[f] })),
      ...TAIL_FIELDS.map((f) => ({ c, f, get: (m: Money) => m[f] })),
    ])
  const header = [...scalar, ...money.map((m) => `${m.c}_${m.f}`)]
  const body = rows.map((r) => [
    ...scalar.map((k) => cell(r[k])),
    ...money.map((m) => {
      const v = r.money?.[m.c]
      return v ? cell(m.get(v)) : ''
    }),
  ])
  return stringify([header, ...body])
}

/** A CSV download: `stats-<table>-<from>-<to>.csv` (dates of the resolved range, UTC). */
export function csvResponse(
  table: string,
  body: { from: string; to: string },
  rows: readonly Row[],
): Response {
  const day = (iso: string) => iso.slice(0, 10)
  return new Response(toCsv(rows), {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="stats-${table}-${day(body.from)}-${day(body.to)}.csv"`,
      'cache-control': 'no-store',
    },
  })
}
