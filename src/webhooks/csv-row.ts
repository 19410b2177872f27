import type { ImportColumns, ImportMapping } from '../db/schema/index.ts'
import type { NormalizedEvent, NormalizeResult } from './adapter.ts'
import { isDecimalString, parseDecimal } from './networks/amounts.ts'
import { fail, isPlainObject } from './networks/payload.ts'

// One row of a network's CSV report → one internal event, through the merchant's saved column mapping.
// The stored body of an imported row (ImportedRow as JSON) carries the mapping it was read with, so a
// replay normalizes it exactly as the upload did, whatever the mapping says by then.

/** The stored raw body of one imported row. `row` is header → cell, as in the file. */
export interface ImportedRow {
  readonly network: string
  readonly mapping: ImportMapping
  readonly row: Readonly<Record<string, string>>
}

export const REQUIRED_COLUMNS = [
  'order_id',
  'occurred_at',
  'total',
] as const satisfies readonly (keyof ImportColumns)[]

/** What a mapping lacks to be usable, by field name (empty when complete). */
export function mappingGaps(m: ImportMapping): string[] {
  const gaps: string[] = REQUIRED_COLUMNS.filter((f) => !m.columns[f]).map((f) => `columns.${f}`)
  if (!m.columns.currency && !m.defaultCurrency) gaps.push('columns.currency or defaultCurrency')
  return gaps
}

/**
 * The dedupe key of a report row: network + kind + order id (+ refund id), so a re-upload of the same report
 * (or an overlapping date range) stores nothing twice. Parts are escaped, so an id holding ':' cannot collide.
 */
export const importExternalId = (network: string, kind: string, orderId: string, refundId: string | null) =>
  [network, kind, orderId, ...(refundId === null ? [] : [refundId])].map(encodeURIComponent).join(':')

/** Replay's way in: the stored body back to its event (the upload used the same function). */
export function normalizeImportedBody(rawBody: string): NormalizeResult {
  let parsed: unknown
  try {
    parsed = JSON.parse(rawBody)
  } catch {
    return fail(400, 'malformed_json', 'stored import row is not JSON')
  }
  const p = parsed as Partial<ImportedRow>
  if (
    !isPlainObject(parsed) ||
    typeof p.network !== 'string' ||
    !isPlainObject(p.mapping) ||
    !isPlainObject(p.mapping.columns) ||
    !isPlainObject(p.row)
  )
    return fail(400, 'malformed_import_row', 'stored import row lacks network, mapping or row')
  const r = normalizeImportedRow(p as ImportedRow)
  return r.ok ? { ok: true, events: [r.event] } : fail(422, 'invalid_row', r.reason)
}

export function normalizeImportedRow(
  r: ImportedRow,
): { ok: true; event: NormalizedEvent } | { ok: false; reason: string } {
  const cells = new Map(Object.entries(r.row).map(([k, v]) => [k.trim().toLowerCase(), String(v).trim()]))
  const cell = (field: keyof ImportColumns) => {
    const column = r.mapping.columns[field]
    const value = column === undefined ? undefined : cells.get(column.trim().toLowerCase())
    return value === undefined || value === '' ? null : value
  }
  const problems: string[] = []
  const orderId = cell('order_id')
  if (orderId === null) problems.push('order_id is empty')
  const occurredAt = parseOccurredAt(cell('occurred_at'), problems)
  const kind = parseKind(cell('kind'), r.mapping.kindValues, problems)
  const currency = (cell('currency') ?? r.mapping.defaultCurrency ?? '').toUpperCase()
  if (!/^[A-Z]{3}$/.test(currency))
    problems.push(
      currency ? `currency ${JSON.stringify(currency)} is not an ISO 4217 code` : 'currency is empty',
    )
  const total = parseAmount('total', cell('total'), kind, problems)
  const subtotal =
    cell('subtotal') === null ? null : parseAmount('subtotal', cell('subtotal'), kind, problems)
  const refundId = kind === 'refund' ? cell('refund_id') : null
  if (kind === 'refund' && refundId === null)
    problems.push('a refund row needs refund_id (map the column that holds the refund id)')
  if (problems.length || !orderId || !occurredAt || !kind || total === null)
    return { ok: false, reason: problems.join('; ') }
  return {
    ok: true,
    event: {
      externalEventId: importExternalId(r.network, kind, orderId, refundId),
      kind,
      orderId,
      subEventId: refundId,
      occurredAt,
      currency,
      subtotal,
      discount: null,
      tax: null,
      shipping: null,
      total,
      cumulativeRefunded: null,
      lineItems: [],
      clickId: cell('click_id'),
      subId: cell('sub_id'),
      couponCode: cell('coupon'),
      customerEmailHash: null,
      customerIp: null,
      test: false,
    },
  }
}

const KINDS = new Set(['sale', 'refund', 'lead'])

function parseKind(
  value: string | null,
  words: ImportMapping['kindValues'],
  problems: string[],
): 'sale' | 'refund' | 'lead' | null {
  if (value === null) return 'sale'
  const lower = value.toLowerCase()
  const mapped = Object.entries(words ?? {}).find(([w]) => w.trim().toLowerCase() === lower)?.[1]
  if (mapped) return mapped
  if (KINDS.has(lower)) return lower as 'sale' | 'refund' | 'lead'
  problems.push(
    `kind ${JSON.stringify(value)} is not sale, refund or lead (map the network's words in kindValues)`,
  )
  return null
}

// numeric(20,4): what the amount columns hold without rounding.
const MAX_SCALE = 4
const MAX_INTEGER_DIGITS = 16

/** Exact decimal string; refunds may be reported negative (the kind carries the direction). */
function parseAmount(
  field: string,
  value: string | null,
  kind: string | null,
  problems: string[],
): string | null {
  if (value === null) {
    problems.push(`${field} is empty`)
    return null
  }
  const d = isDecimalString(value) ? parseDecimal(value) : null
  if (!d) {
    problems.push(`${field} ${JSON.stringify(value)} is not a plain decimal like 12.34`)
    return null
  }
  const digits = (d.units < 0n ? -d.units : d.units).toString().length - d.scale
  if (d.scale > MAX_SCALE || digits > MAX_INTEGER_DIGITS) {
    problems.push(`${field} ${value} has more than ${MAX_SCALE} decimals or ${MAX_INTEGER_DIGITS} digits`)
    return null
  }
  if (!value.startsWith('-')) return value
  if (kind === 'refund') return value.slice(1)
  problems.push(`${field} ${value} is negative (only refund rows may be)`)
  return null
}

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/** ISO 8601 date or date-time; without an offset it is UTC (reports rarely say; state it in the mapping). */
function parseOccurredAt(value: string | null, problems: string[]): Date | null {
  if (value === null) {
    problems.push('occurred_at is empty')
    return null
  }
  const m = DATE_RE.exec(value)
  const [y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m?.slice(1) ?? []
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate()
  const valid = m && Number(mo) >= 1 && Number(mo) <= 12 && Number(d) >= 1 && Number(d) <= daysInMonth
  const at = valid
    ? new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${normalizeZone(zone ?? 'Z')}`)
    : null
  if (!at || Number.isNaN(at.getTime())) {
    problems.push(`occurred_at ${JSON.stringify(value)} is not an ISO 8601 date or date-time`)
    return null
  }
  return at
}

function normalizeZone(zone: string): string {
  if (zone.toUpperCase() === 'Z') return 'Z'
  const digits = zone.slice(1).replace(':', '')
  return `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2) || '00'}`
}
