// Exact money: decimal strings and bigint minor units, never JS floats. Rounding is stated once, here:
// every computed money figure is rounded ONCE, half-to-even, to the currency's minor unit, from the exact
// product of its inputs (base × rate × weight is one rounding, not three).

const DECIMAL_RE = /^(-)?(\d+)(?:\.(\d+))?$/

/** A decimal as an integer count of 10^-scale units: "19.99" → { units: 1999n, scale: 2 }. */
export interface ExactDecimal {
  readonly units: bigint
  readonly scale: number
}

/** Parses a plain decimal string ("19.99", "-3", "0.010"); null for anything else (exponents, spaces, ""). */
export function parseDecimal(value: string): ExactDecimal | null {
  const m = DECIMAL_RE.exec(value)
  if (!m) return null
  const frac = m[3] ?? ''
  const units = BigInt(`${m[2]}${frac}`)
  return { units: m[1] ? -units : units, scale: frac.length }
}

export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && DECIMAL_RE.test(value)
}

/**
 * A provider amount as an exact decimal string, or null when absent/invalid. Strings must be plain
 * decimals; a JSON number is accepted only when it is a safe integer (an integer survives JSON.parse
 * exactly, a fraction may not, so fractional numbers are refused rather than guessed).
 */
export function toDecimalString(value: unknown): string | null {
  if (typeof value === 'string') return isDecimalString(value.trim()) ? value.trim() : null
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value).toString()
  if (typeof value === 'bigint') return value.toString()
  return null
}

export function formatDecimal(d: ExactDecimal): string {
  const negative = d.units < 0n
  const digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, '0')
  const body = d.scale === 0 ? digits : `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`
  return negative ? `-${body}` : body
}

function rescale(d: ExactDecimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale)
}

function mustParse(value: string): ExactDecimal {
  const d = parseDecimal(value)
  if (!d) throw new TypeError(`not a decimal string: ${JSON.stringify(value)}`)
  return d
}

/** Exact sum; the result keeps the largest scale of its inputs ("19.99" + "0.01" → "20.00"). Empty → "0". */
export function sumDecimals(values: readonly string[]): string {
  const parsed = values.map(mustParse)
  const scale = Math.max(0, ...parsed.map((d) => d.scale))
  return formatDecimal({ units: parsed.reduce((acc, d) => acc + rescale(d, scale), 0n), scale })
}

/** Exact a − b, at the larger scale of the two. */
export function subtractDecimals(a: string, b: string): string {
  const da = mustParse(a)
  const db = mustParse(b)
  const scale = Math.max(da.scale, db.scale)
  return formatDecimal({ units: rescale(da, scale) - rescale(db, scale), scale })
}

/** −1, 0 or 1, comparing exact values ("1.50" equals "1.5"). */
export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const da = mustParse(a)
  const db = mustParse(b)
  const scale = Math.max(da.scale, db.scale)
  const x = rescale(da, scale)
  const y = rescale(db, scale)
  return x < y ? -1 : x > y ? 1 : 0
}

// ISO 4217 minor-unit exponents; every code not listed has 2.
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'ISK',
  'JPY',
  'KMF',
  'KRW',
  'PYG',
  'RWF',
  'UGX',
  'UYI',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
])
const THREE_DECIMAL = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'])

/** ISO 4217 exponent of a currency code (case-insensitive): 0 (JPY, KRW…), 3 (KWD, BHD…) or 2. */
export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase()
  if (ZERO_DECIMAL.has(code)) return 0
  if (THREE_DECIMAL.has(code)) return 3
  return 2
}

/** "19.99" in USD → 1999n. More digits than the currency has are rounded half-even ("0.125" → 12n). */
export function decimalToMinor(value: string, currency: string): bigint {
  const d = mustParse(value)
  const exp = currencyExponent(currency)
  if (d.scale <= exp) return d.units * 10n ** BigInt(exp - d.scale)
  return divRoundHalfEven(d.units, 10n ** BigInt(d.scale - exp))
}

/** 1999n in USD → "19.99". */
export function minorToDecimal(minor: bigint, currency: string): string {
  return formatDecimal({ units: minor, scale: currencyExponent(currency) })
}

/** An exact non-negative fraction; rates ("0.200000"), weights (1/3) and ratios are all one of these. */
export interface Fraction {
  readonly num: bigint
  readonly den: bigint
}

export const ONE: Fraction = { num: 1n, den: 1n }

/** "0.200000" → 200000/1000000 (kept unreduced: the digits are the rate the merchant typed). */
export function decimalToFraction(value: string): Fraction {
  const d = mustParse(value)
  return { num: d.units, den: 10n ** BigInt(d.scale) }
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a
  let y = b < 0n ? -b : b
  while (y) [x, y] = [y, x % y]
  return x
}

export function reduce(f: Fraction): Fraction {
  const g = gcd(f.num, f.den) || 1n
  return { num: f.num / g, den: f.den / g }
}

export function mulFractions(...fs: readonly Fraction[]): Fraction {
  return reduce(fs.reduce((a, f) => ({ num: a.num * f.num, den: a.den * f.den }), ONE))
}

export function addFractions(a: Fraction, b: Fraction): Fraction {
  return reduce({ num: a.num * b.den + b.num * a.den, den: a.den * b.den })
}

export function fractionToString(f: Fraction): string {
  const r = reduce(f)
  return r.den === 1n ? r.num.toString() : `${r.num}/${r.den}`
}

/** num / den rounded half-to-even (banker's rounding) to an integer; den > 0. */
export function divRoundHalfEven(num: bigint, den: bigint): bigint {
  if (den <= 0n) throw new RangeError('division by a non-positive denominator')
  const negative = num < 0n
  const n = negative ? -num : num
  let q = n / den
  const twice = (n % den) * 2n
  if (twice > den || (twice === den && q % 2n === 1n)) q++
  return negative ? -q : q
}

/** amount × f1 × f2 …, rounded once, half-even, to an integer count of minor units. */
export function applyFractions(amountMinor: bigint, ...fs: readonly Fraction[]): bigint {
  const f = mulFractions(...fs)
  return divRoundHalfEven(amountMinor * f.num, f.den)
}

/**
 * Splits `total` minor units by weights (exact fractions summing to 1) so the parts sum to exactly `total`:
 * each part gets the floor of its exact share, then the leftover units go one each to the largest
 * remainders (ties: the earlier index), so no cent is created or lost.
 */
export function splitLargestRemainder(total: bigint, weights: readonly Fraction[]): bigint[] {
  if (weights.length === 0) return []
  const sum = weights.reduce(addFractions, { num: 0n, den: 1n })
  if (sum.num !== sum.den) throw new RangeError(`weights sum to ${fractionToString(sum)}, not 1`)
  const sign = total < 0n ? -1n : 1n
  const abs = total * sign
  const parts = weights.map((w) => {
    const exact = abs * w.num
    return { floor: exact / w.den, rem: { num: exact % w.den, den: w.den } }
  })
  let left = abs - parts.reduce((a, p) => a + p.floor, 0n)
  const order = parts
    .map((p, i) => ({ i, rem: p.rem }))
    .sort((a, b) => {
      const x = a.rem.num * b.rem.den
      const y = b.rem.num * a.rem.den
      return x > y ? -1 : x < y ? 1 : a.i - b.i
    })
  const out = parts.map((p) => p.floor)
  for (const { i } of order) {
    if (left === 0n) break
    out[i] = (out[i] as bigint) + 1n
    left--
  }
  return out.map((v) => v * sign)
}
