import type { ConversionLineItem } from '../db/schema/index.ts'
import {
  applyFractions,
  decimalToFraction,
  decimalToMinor,
  type Fraction,
  fractionToString,
  minorToDecimal,
} from '../shared/money.ts'

// The commission math, pure and table-tested. Rounding is stated once (shared/money.ts): each money figure
// is rounded once, half-to-even, to the currency's minor unit. Every step lands in `steps`, which is stored
// as commissions.calculation_details and shown by GET /api/v1/commissions/:id/explain.

export type BaseMode = 'subtotal_after_discounts' | 'subtotal' | 'total'

export interface BaseInput {
  readonly currency: string
  readonly mode: BaseMode
  /** Merchandise after discounts, before tax and shipping (the NormalizedEvent convention). */
  readonly subtotal: string | null
  readonly discount: string | null
  readonly tax: string | null
  readonly shipping: string | null
  readonly total: string
  readonly lineItems: readonly ConversionLineItem[]
  readonly excludedSkus: readonly string[]
}

export interface BaseResult {
  readonly baseMinor: bigint
  readonly steps: Record<string, unknown>
}

const minorOr0 = (v: string | null, currency: string) => (v === null ? 0n : decimalToMinor(v, currency))
const lineValueMinor = (l: ConversionLineItem, currency: string) =>
  decimalToMinor(l.unitPrice, currency) * BigInt(l.quantity) - minorOr0(l.discount ?? null, currency)

/**
 * What the rate applies to. subtotal_after_discounts (default) excludes tax and shipping and is after
 * discounts; `subtotal` adds the discount back; `total` is what the shopper paid. Excluded SKUs are removed
 * at line level: the base keeps the share of it that the eligible lines are of all lines (so order-level
 * discounts are spread pro rata over the lines).
 */
export function commissionableBase(i: BaseInput): BaseResult {
  const c = i.currency
  const afterDiscounts =
    i.subtotal !== null
      ? decimalToMinor(i.subtotal, c)
      : decimalToMinor(i.total, c) - minorOr0(i.tax, c) - minorOr0(i.shipping, c)
  const full =
    i.mode === 'total'
      ? decimalToMinor(i.total, c)
      : i.mode === 'subtotal'
        ? afterDiscounts + minorOr0(i.discount, c)
        : afterDiscounts
  const steps: Record<string, unknown> = {
    mode: i.mode,
    amount: minorToDecimal(full, c),
    source:
      i.mode === 'total'
        ? 'total'
        : i.subtotal !== null
          ? i.mode === 'subtotal'
            ? 'subtotal + discount'
            : 'subtotal'
          : 'total − tax − shipping',
  }
  const excluded = new Set(i.excludedSkus)
  const lines = i.lineItems.filter((l) => l.quantity > 0)
  const all = lines.reduce((a, l) => a + lineValueMinor(l, c), 0n)
  const dropped = lines.filter((l) => l.sku !== undefined && excluded.has(l.sku))
  if (dropped.length === 0 || all <= 0n) return { baseMinor: clamp0(full), steps }
  const droppedValue = dropped.reduce((a, l) => a + lineValueMinor(l, c), 0n)
  const eligible: Fraction = { num: all - droppedValue, den: all }
  const baseMinor = clamp0(applyFractions(full, eligible))
  return {
    baseMinor,
    steps: {
      ...steps,
      excludedLines: dropped.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })),
      eligibleShare: fractionToString(eligible),
      afterExclusions: minorToDecimal(baseMinor, c),
    },
  }
}

const clamp0 = (v: bigint) => (v < 0n ? 0n : v)

export type RateRule =
  | { readonly type: 'percent'; readonly rate: string; readonly source: string }
  | { readonly type: 'fixed'; readonly amountMinor: bigint; readonly source: string }

export interface CommissionInput {
  readonly currency: string
  /** This attribution's part of the conversion's base, already split by weight (largest remainder). */
  readonly baseShareMinor: bigint
  /** This attribution's part of a fixed amount, split the same way; used when the rule is fixed. */
  readonly fixedShareMinor?: bigint
  readonly weight: Fraction
  readonly rule: RateRule
  /** A volume tier the influencer has reached: replaces the rate when it is higher. */
  readonly tier?: { readonly rate: string; readonly label: string } | null
  /** Campaign boost, added to the rate while the campaign runs. */
  readonly boost?: { readonly rate: string; readonly campaign: string } | null
  readonly platformFeeRate: string
}

export interface CommissionFigures {
  readonly baseMinor: bigint
  /** The effective rate as a decimal string; null for a fixed commission. */
  readonly rate: string | null
  readonly grossMinor: bigint
  readonly feeMinor: bigint
  readonly netMinor: bigint
  readonly steps: Record<string, unknown>
}

/** gross = round(share × rate) (or the fixed share); fee = round(gross × platform fee rate); net = gross − fee. */
export function calculateCommission(i: CommissionInput): CommissionFigures {
  const c = i.currency
  const steps: Record<string, unknown> = { weight: fractionToString(i.weight), rule: i.rule.source }
  let rate: Fraction | null = null
  let gross: bigint
  if (i.rule.type === 'fixed') {
    gross = i.fixedShareMinor ?? i.rule.amountMinor
    steps.fixed = minorToDecimal(i.rule.amountMinor, c)
    steps.fixedShare = minorToDecimal(gross, c)
  } else {
    rate = decimalToFraction(i.rule.rate)
    steps.rate = i.rule.rate
    if (i.tier && compareFractions(decimalToFraction(i.tier.rate), rate) > 0) {
      rate = decimalToFraction(i.tier.rate)
      steps.tier = { label: i.tier.label, rate: i.tier.rate }
    }
    if (i.boost) {
      const b = decimalToFraction(i.boost.rate)
      rate = { num: rate.num * b.den + b.num * rate.den, den: rate.den * b.den }
      steps.boost = { campaign: i.boost.campaign, rate: i.boost.rate }
    }
    steps.effectiveRate = fractionToDecimal(rate)
    steps.baseShare = minorToDecimal(i.baseShareMinor, c)
    gross = applyFractions(i.baseShareMinor, rate)
  }
  const feeMinor = applyFractions(gross, decimalToFraction(i.platformFeeRate))
  const netMinor = gross - feeMinor
  Object.assign(steps, {
    gross: minorToDecimal(gross, c),
    platformFeeRate: i.platformFeeRate,
    fee: minorToDecimal(feeMinor, c),
    net: minorToDecimal(netMinor, c),
    rounding: 'half-even to the minor unit, once per figure',
  })
  return {
    baseMinor: i.baseShareMinor,
    rate: rate === null ? null : fractionToDecimal(rate),
    grossMinor: gross,
    feeMinor,
    netMinor,
    steps,
  }
}

function compareFractions(a: Fraction, b: Fraction): number {
  const x = a.num * b.den
  const y = b.num * a.den
  return x < y ? -1 : x > y ? 1 : 0
}

/** A rate fraction with a power-of-ten denominator as "0.250000" (rates have at most 6 decimals). */
function fractionToDecimal(f: Fraction): string {
  const scaled = (f.num * 1_000_000n) / f.den
  const s = scaled.toString().padStart(7, '0')
  return `${s.slice(0, -6)}.${s.slice(-6)}`
}
