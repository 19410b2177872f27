import { divRoundHalfEven, formatDecimal } from '../shared/money.ts'
import type { ClickRow, SalesRow } from './queries.ts'

// Totals are exact sums of the rollups. Ratios are computed here from those integers (bigint), rounded once
// half-to-even like every money figure (shared/money.ts), and returned as decimal strings:
//   conversionRate = conversions / human clicks, 6 decimals ("0.012500")
//   aov            = revenue / conversions, whole minor units ("2500")
//   epc            = earned / human clicks, minor units with 4 decimals ("12.5000")
// null when the denominator is 0.

export interface ClickMetrics {
  clicks: number
  uniqueClicks: number
  humanClicks: number
}

export interface Money {
  conversions: number
  revenue: string
  aov: string | null
  earned: string
  epc: string | null
  commissions: { pending: string; approved: string; paid: string; reversed: string }
  gross: string
  fee: string
}

export interface Metrics extends ClickMetrics {
  conversions: number
  conversionRate: string | null
  /** Per currency (ISO 4217); money in integer minor units as strings. */
  money: Record<string, Money>
}

export const clickMetrics = (r: ClickRow | undefined): ClickMetrics => ({
  clicks: Number(r?.clicks ?? 0),
  uniqueClicks: Number(r?.uniq ?? 0),
  humanClicks: Number(r?.human ?? 0),
})

/** num / den at `scale` decimals, half-to-even; null when den is 0. */
export function ratio(num: bigint, den: bigint, scale: number): string | null {
  if (den === 0n) return null
  return formatDecimal({ units: divRoundHalfEven(num * 10n ** BigInt(scale), den), scale })
}

interface Acc {
  conversions: bigint
  revenue: bigint
  gross: bigint
  fee: bigint
  byStatus: Record<SalesRow['status'], bigint>
  reversed: bigint
}

/** Click counts plus the sales rows of one table row (any currencies and statuses) → its metrics. */
export function metricsOf(c: ClickMetrics, sales: readonly SalesRow[]): Metrics {
  const acc = new Map<string, Acc>()
  for (const s of sales) {
    let a = acc.get(s.currency)
    if (!a) {
      a = {
        conversions: 0n,
        revenue: 0n,
        gross: 0n,
        fee: 0n,
        byStatus: { pending: 0n, approved: 0n, paid: 0n, reversed: 0n },
        reversed: 0n,
      }
      acc.set(s.currency, a)
    }
    // A conversion whose commission was reversed in full (refunded, fraud) no longer counts, nor does its revenue.
    if (s.status !== 'reversed') {
      a.conversions += BigInt(s.conversions)
      a.revenue += BigInt(s.revenue)
    }
    a.gross += BigInt(s.gross)
    a.fee += BigInt(s.fee)
    a.byStatus[s.status] += BigInt(s.net)
    a.reversed += BigInt(s.reversed)
  }
  const human = BigInt(c.humanClicks)
  let conversions = 0n
  const money: Record<string, Money> = {}
  for (const [currency, a] of [...acc].sort(([x], [y]) => (x < y ? -1 : 1))) {
    conversions += a.conversions
    // What the influencers keep: every bucket but `reversed`, net of partial reversals.
    const earned = a.byStatus.pending + a.byStatus.approved + a.byStatus.paid
    money[currency] = {
      conversions: Number(a.conversions),
      revenue: a.revenue.toString(),
      aov: ratio(a.revenue, a.conversions, 0),
      earned: earned.toString(),
      epc: ratio(earned, human, 4),
      commissions: {
        pending: a.byStatus.pending.toString(),
        approved: a.byStatus.approved.toString(),
        paid: a.byStatus.paid.toString(),
        reversed: a.reversed.toString(),
      },
      gross: a.gross.toString(),
      fee: a.fee.toString(),
    }
  }
  return { ...c, conversions: Number(conversions), conversionRate: ratio(conversions, human, 6), money }
}

/** Groups rows by their `key`. */
export function byKey<T extends { key?: string }>(rows: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const r of rows) {
    const k = r.key ?? ''
    const list = m.get(k)
    if (list) list.push(r)
    else m.set(k, [r])
  }
  return m
}
