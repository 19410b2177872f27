// Shared helpers for the network adapters: exact decimal money (BigInt + strings, never JS floats),
// minor units → decimal by ISO 4217 exponent, customer email hashing and constant-time comparisons.
// Pure functions only; any adapter may import them.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

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

/**
 * Stripe's own exponents differ from ISO for a few codes (https://docs.stripe.com/currencies#zero-decimal):
 * ISK and UGX are sent as two-decimal amounts for backwards compatibility, and MGA is zero-decimal.
 */
export function stripeCurrencyExponent(currency: string): number {
  const code = currency.toUpperCase()
  if (code === 'ISK' || code === 'UGX') return 2
  if (code === 'MGA') return 0
  return currencyExponent(code)
}

/** An integer count of minor units → exact decimal string in the major unit, or null if not an integer. */
export function minorUnitsToDecimal(
  minor: unknown,
  currency: string,
  exponentOf: (currency: string) => number = currencyExponent,
): string | null {
  let units: bigint
  if (typeof minor === 'bigint') units = minor
  else if (typeof minor === 'number' && Number.isSafeInteger(minor)) units = BigInt(minor)
  else if (typeof minor === 'string' && /^-?\d+$/.test(minor)) units = BigInt(minor)
  else return null
  return formatDecimal({ units, scale: exponentOf(currency) })
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex')
}

/** sha256 hex of the trimmed, lower-cased email; null when absent or blank. */
export function hashEmail(email: unknown): string | null {
  if (typeof email !== 'string') return null
  const normalized = email.trim().toLowerCase()
  return normalized === '' ? null : sha256Hex(normalized)
}

export function hmacSha256(key: string, message: string, encoding: 'hex' | 'base64'): string {
  return createHmac('sha256', key).update(message, 'utf8').digest(encoding)
}

/** Constant-time equality of two byte buffers; different lengths are a mismatch, never a throw. */
export function constantTimeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  return timingSafeEqual(a, b)
}

/** Constant-time equality of two strings compared as UTF-8 bytes. */
export function constantTimeEqualStrings(a: string, b: string): boolean {
  return constantTimeEqualBytes(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** True when `candidate` equals any of `expected`, checking every one (no early exit on a match). */
export function constantTimeEqualsAny(candidate: string, expected: readonly string[]): boolean {
  let matched = false
  for (const e of expected) matched = constantTimeEqualStrings(candidate, e) || matched
  return matched
}
