// Shared helpers for the network adapters: Stripe's currency exponents, minor units → decimal, customer
// email hashing and constant-time comparisons. The exact decimal core lives in shared/money.ts.
// Pure functions only; any adapter may import them.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { currencyExponent, formatDecimal } from '../../shared/money.ts'

export {
  compareDecimals,
  currencyExponent,
  type ExactDecimal,
  formatDecimal,
  isDecimalString,
  parseDecimal,
  subtractDecimals,
  sumDecimals,
  toDecimalString,
} from '../../shared/money.ts'

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
