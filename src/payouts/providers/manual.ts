// Manual payouts: nothing is sent. The payout waits as processing until an admin, who paid by bank transfer
// or anything else, marks it paid; the CSV statement is what they pay from and what the influencer gets.
import { stringify } from 'csv-stringify/sync'
import type { PayoutStatement } from '../../db/schema/index.ts'
import { minorToDecimal } from '../../shared/money.ts'
import { invalidRequest } from './http.ts'
import type { PayoutProvider, PayoutRequest, ProviderResult } from './types.ts'

export interface ManualOptions {
  /** What an admin recorded about this payout; without it status() knows nothing (null). */
  readonly confirmed?: (req: PayoutRequest, providerRef: string | null) => Promise<ProviderResult | null>
}

export function createManualProvider(opts: ManualOptions = {}): PayoutProvider {
  return {
    method: 'manual',
    async send(req) {
      return invalidRequest(req) ?? { status: 'processing', providerRef: `manual:${req.payoutId}` }
    },
    async status(req, providerRef) {
      return opts.confirmed ? opts.confirmed(req, providerRef) : null
    },
  }
}

/** One line of a statement; money in minor units of `currency`, negative for clawbacks and fees taken. */
export interface StatementRow {
  readonly payoutId: string
  readonly influencer: string
  /** Empty for lines that are not a commission (carried balance, processing fee). */
  readonly commissionId: string
  /** The conversion (or the merchant's order id) the commission was earned on. */
  readonly conversion: string
  readonly kind: string
  readonly currency: string
  readonly grossMinor: bigint
  readonly feeMinor: bigint
  readonly netMinor: bigint
  readonly date: Date | string
}

const COLUMNS = [
  'payout_id',
  'influencer',
  'commission_id',
  'conversion',
  'kind',
  'currency',
  'gross',
  'fee',
  'net',
  'date',
] as const

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * A spreadsheet runs a cell starting with = + - @ (or TAB/CR before one) as a formula: such cells get a
 * leading single quote (OWASP's CSV injection advice). A plain decimal is a number, not a formula, and is
 * left alone, so a clawback's "-12.50" stays numeric.
 */
export function guardCell(value: string): string {
  return !PLAIN_DECIMAL.test(value) && FORMULA_START.test(value) ? `'${value}` : value
}

/** RFC 4180 CSV (CRLF, quotes doubled, header row), amounts as decimals of the currency ("-12.50"). */
export function statementCsv(rows: readonly StatementRow[]): string {
  const records = rows.map((r) =>
    [
      r.payoutId,
      r.influencer,
      r.commissionId,
      r.conversion,
      r.kind,
      r.currency,
      minorToDecimal(r.grossMinor, r.currency),
      minorToDecimal(r.feeMinor, r.currency),
      minorToDecimal(r.netMinor, r.currency),
      typeof r.date === 'string' ? r.date : r.date.toISOString(),
    ].map(guardCell),
  )
  // csv-stringify quotes a lone CR or LF only when it is the record delimiter; RFC 4180 wants both quoted.
  return stringify(records, {
    header: true,
    columns: [...COLUMNS],
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
  })
}

/** What statementRows needs of a payouts row. */
export interface StatementPayout {
  readonly id: string
  readonly currency: string
  readonly processingFeeMinor: bigint
  readonly createdAt: Date
  readonly statement: PayoutStatement | null
}

/**
 * A payout's stored statement as CSV lines: each commission (clawbacks negative), the balance carried from
 * earlier payouts, then the processing fee, so the net column adds up to exactly what was paid.
 */
export function statementRows(p: StatementPayout, influencer: string): StatementRow[] {
  const line = (
    commissionId: string,
    conversion: string,
    kind: string,
    gross: bigint,
    fee: bigint,
    net: bigint,
  ) => ({
    payoutId: p.id,
    influencer,
    commissionId,
    conversion,
    kind,
    currency: p.currency,
    grossMinor: gross,
    feeMinor: fee,
    netMinor: net,
    date: p.createdAt,
  })
  const s = p.statement
  const rows: StatementRow[] = (s?.commissions ?? []).map((c) =>
    line(c.id, c.conversionId, c.kind, BigInt(c.grossMinor), BigInt(c.feeMinor), BigInt(c.netMinor)),
  )
  const carried = BigInt(s?.carriedMinor ?? '0')
  if (carried !== 0n) rows.push(line('', '', 'carried_balance', carried, 0n, carried))
  if (p.processingFeeMinor !== 0n)
    rows.push(line('', '', 'processing_fee', 0n, p.processingFeeMinor, -p.processingFeeMinor))
  return rows
}
