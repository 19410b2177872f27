// Processing fees per payout method, configured as text and kept exact: a rate as a fraction, fixed amounts
// and caps as the decimal strings the operator typed. The influencer bears the fee (net = payable − fee).
import {
  addFractions,
  applyFractions,
  currencyExponent,
  decimalToFraction,
  decimalToMinor,
  type Fraction,
  parseDecimal,
} from '../../shared/money.ts'

export type FeeMethod = 'stripe_connect' | 'paypal' | 'ach' | 'manual'

/** rate × amount + fixed, at most max; fixed and max in major units of the payout's currency ("0.30"). */
export interface FeeRule {
  readonly rate: Fraction
  readonly fixed: string
  readonly max: string | null
}

export interface FeeSchedule {
  /** As configured; what describeConfig shows. */
  readonly spec: string
  readonly rule: FeeRule
  /** Overrides for one currency ("JPY:3.6%+40"), where the default's fixed amount makes no sense. */
  readonly byCurrency: Readonly<Record<string, FeeRule>>
}

export type FeeTable = Readonly<Record<FeeMethod, FeeSchedule>>

export const FEE_SPEC_HELP =
  'must be like "2.9%+0.30", "2%max20.00" or "0.50", optionally followed by ",JPY:3.6%+40" overrides'

const DECIMAL = String.raw`\d+(?:\.\d+)?`
const RULE_RE = new RegExp(String.raw`^(?:(${DECIMAL})%)?(?:\+?(${DECIMAL}))?(?:max(${DECIMAL}))?$`)
const ENTRY_RE = /^(?:([A-Z]{3}):)?(.+)$/

/**
 * Parses a fee spec: comma-separated entries, the first without a currency is the default, the others
 * "CUR:rule". A rule is a percentage, a fixed amount, or both joined by "+", with an optional "maxN" cap
 * (PayPal caps its fee per payment). Spaces are ignored. Returns an error message instead of throwing, so
 * config can report it under the variable's name.
 */
export function parseFeeSchedule(spec: string): FeeSchedule | string {
  let rule: FeeRule | undefined
  const byCurrency: Record<string, FeeRule> = {}
  for (const raw of spec.replace(/\s+/g, '').split(',')) {
    const entry = ENTRY_RE.exec(raw)
    const parsed = entry?.[2] ? parseRule(entry[2], entry[1]) : null
    if (!entry || !parsed) return `${FEE_SPEC_HELP} (could not read "${raw}")`
    if (typeof parsed === 'string') return parsed
    const currency = entry[1]
    if (!currency) {
      if (rule) return 'has more than one entry without a currency'
      rule = parsed
    } else {
      if (byCurrency[currency]) return `names ${currency} twice`
      byCurrency[currency] = parsed
    }
  }
  if (!rule) return 'needs one entry without a currency (the default)'
  return Object.freeze({ spec, rule, byCurrency: Object.freeze(byCurrency) })
}

function parseRule(text: string, currency: string | undefined): FeeRule | string | null {
  const m = RULE_RE.exec(text)
  if (!m || (m[1] === undefined && m[2] === undefined)) return null
  // Without a "+", "2.9%0.30" would also match: insist on it between a rate and a fixed amount.
  if (m[1] !== undefined && m[2] !== undefined && !text.includes('+')) return null
  const rate = decimalToFraction(m[1] ?? '0')
  const percent = { num: rate.num, den: rate.den * 100n }
  if (percent.num >= percent.den) return `rate ${m[1]}% must be below 100%`
  const fixed = m[2] ?? '0'
  const max = m[3] ?? null
  if (currency) {
    const exp = currencyExponent(currency)
    for (const v of [fixed, max])
      if (v !== null && (parseDecimal(v)?.scale ?? 0) > exp)
        return `${currency}:${text}: ${v} has more decimals than ${currency} (${exp})`
  }
  return Object.freeze({ rate: percent, fixed, max })
}

function mustParseFee(spec: string): FeeSchedule {
  const s = parseFeeSchedule(spec)
  if (typeof s === 'string') throw new Error(`default fee "${spec}" ${s}`)
  return s
}

/** The defaults config applies: Stripe's published 2.9% + 0.30, PayPal 2%, ACH 0.50 flat, manual free. */
export const DEFAULT_FEE_SPECS: Readonly<Record<FeeMethod, string>> = Object.freeze({
  stripe_connect: '2.9%+0.30',
  paypal: '2%',
  ach: '0.50',
  manual: '0',
})

export const DEFAULT_FEES: FeeTable = Object.freeze({
  stripe_connect: mustParseFee(DEFAULT_FEE_SPECS.stripe_connect),
  paypal: mustParseFee(DEFAULT_FEE_SPECS.paypal),
  ach: mustParseFee(DEFAULT_FEE_SPECS.ach),
  manual: mustParseFee(DEFAULT_FEE_SPECS.manual),
})

/**
 * The processing fee on paying `amountMinor`: rate × amount + fixed computed exactly and rounded ONCE,
 * half-to-even, to the currency's minor unit (a fixed "0.30" in JPY rounds into that single rounding), then
 * capped. Manual payouts cost nothing whatever the table says.
 */
export function processingFee(
  method: FeeMethod,
  amountMinor: bigint,
  currency: string,
  fees: FeeTable = DEFAULT_FEES,
): bigint {
  if (amountMinor < 0n) throw new RangeError(`no fee on a negative amount (${amountMinor})`)
  if (method === 'manual' || amountMinor === 0n) return 0n
  const schedule = fees[method]
  const rule = schedule.byCurrency[currency.toUpperCase()] ?? schedule.rule
  const scale = 10n ** BigInt(currencyExponent(currency))
  const fixed = decimalToFraction(rule.fixed)
  const exact = addFractions(
    { num: amountMinor * rule.rate.num, den: rule.rate.den },
    { num: fixed.num * scale, den: fixed.den },
  )
  const fee = applyFractions(1n, exact)
  if (rule.max === null) return fee
  const cap = decimalToMinor(rule.max, currency)
  return fee < cap ? fee : cap
}

/** The `(method, amount, currency) → fee` function a payout run takes, bound to the configured table. */
export function feeCalculator(
  fees: FeeTable,
): (method: FeeMethod, amountMinor: bigint, currency: string) => bigint {
  return (method, amountMinor, currency) => processingFee(method, amountMinor, currency, fees)
}
