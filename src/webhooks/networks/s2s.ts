// Our own server-to-server conversion API (POST /api/v1/events/conversion) for brands' servers, signed
// with the Standard Webhooks scheme (https://www.standardwebhooks.com, spec/standard-webhooks.md):
//   webhook-id, webhook-timestamp (unix seconds), webhook-signature: "v1,<base64> v1,<base64> …"
//   signed content `${id}.${timestamp}.${rawBody}`, HMAC-SHA256, 300 s tolerance both directions.
// Secret format: per the spec a secret is `whsec_<base64>` and the HMAC key is the base64-DECODED
// bytes after the prefix. A secret without the prefix is used as the raw UTF-8 bytes of the string
// (so plain shared secrets issued before the prefix convention still work).
//
// Two kinds of signer: the merchant's own 's2s' webhook secret (X-SkinStack-Merchant: <slug>), or a registered
// device (X-SkinStack-Device: <device id>; src/devices), whose current secret, or previous one for 24 h after a
// rotation, is passed in `secrets`. The intake decides which; verification is the same. A device's webhook-id is
// also its replay guard: the same id with other bytes is refused (409 replayed_id, see intake.ts).
//
// This file also exports the field-checking helpers refersion.ts and impact.ts share (strict decimal
// money, ISO dates, 422 field lists); payload.ts holds the JSON/400/422 basics every adapter uses.
import { canonicalIp } from '../../shared/ip-hash.ts'
import { createHmac } from 'node:crypto'
import type { LineItem, NormalizeResult, NormalizedEvent, SourceAdapter, VerifyResult } from '../adapter.ts'
import { constantTimeEqualBytes, hashEmail } from './amounts.ts'
import { fail, isPlainObject, parseJsonObject } from './payload.ts'

export const S2S_TOLERANCE_SECONDS = 300

// ---- shared field helpers -------------------------------------------------------------------------

const STRICT_DECIMAL = /^-?\d+(\.\d+)?$/
const MAX_FRACTION_DIGITS = 4
const SCALE = 10n ** BigInt(MAX_FRACTION_DIGITS)

/** A strict decimal string as an integer count of 10^-4 units; null if not `^-?\d+(\.\d+)?$` or > 4 decimals. */
export function decimalToUnits(value: string): bigint | null {
  if (!STRICT_DECIMAL.test(value)) return null
  const [int = '0', frac = ''] = value.replace(/^-/, '').split('.')
  if (frac.length > MAX_FRACTION_DIGITS) return null
  const units = BigInt(int) * SCALE + BigInt(frac.padEnd(MAX_FRACTION_DIGITS, '0'))
  return value.startsWith('-') ? -units : units
}

/** Normalized output: no leading zeros, 2 to 4 decimals ("100" → "100.00", "19.9900" → "19.99", "-0" → "0.00"). */
export function unitsToDecimal(units: bigint): string {
  const negative = units < 0n
  const abs = negative ? -units : units
  let frac = (abs % SCALE).toString().padStart(MAX_FRACTION_DIGITS, '0')
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1)
  return `${negative && abs !== 0n ? '-' : ''}${abs / SCALE}.${frac}`
}

export function normalizeDecimal(value: string): string | null {
  const units = decimalToUnits(value)
  return units === null ? null : unitsToDecimal(units)
}

/** Exact Σ unitPrice × quantity of line items (BigInt, never floats). */
export function sumLineItems(items: readonly LineItem[]): string {
  let total = 0n
  for (const item of items) total += (decimalToUnits(item.unitPrice) ?? 0n) * BigInt(item.quantity)
  return unitsToDecimal(total)
}

// ISO 8601 date-time: date, 'T' (or a space when lenient), time, optional fraction, zone (Z/±hh:mm/±hhmm).
// Lenient mode (Refersion) also accepts a missing zone, read as UTC.
const ISO_DATETIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/i

export function parseIsoDate(value: string, lenient = false): Date | null {
  const m = ISO_DATETIME.exec(value.trim())
  if (!m || (!lenient && (!m[3] || value.includes(' ')))) return null
  const zone = (m[3] ?? 'Z').toUpperCase().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')
  const [, month = 0, day = 0] = (m[1] ?? '').split('-').map((p) => Number.parseInt(p, 10))
  if (month < 1 || month > 12 || day < 1 || day > 31) return null
  const date = new Date(`${m[1]}T${m[2]}${zone}`)
  return Number.isNaN(date.getTime()) ? null : date
}

function absent(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

/**
 * Collects missing and invalid fields (by the provider's names) while reading a payload. Missing fields
 * win: a 422 'missing_fields' lists only those; otherwise 'invalid_fields' lists the invalid ones.
 */
export class FieldCheck {
  readonly missing: string[] = []
  readonly invalid: string[] = []

  private bad(name: string, required: boolean, value: unknown): null {
    if (absent(value)) {
      if (required) this.missing.push(name)
    } else this.invalid.push(name)
    return null
  }

  /** A non-blank string; ids (`allowInteger`) also take JSON safe integers, which JSON carries exactly. */
  text(name: string, value: unknown, required = false, allowInteger = false): string | null {
    if (typeof value === 'string' && value.trim() !== '') return value.trim()
    if (allowInteger && typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
    return this.bad(name, required, value)
  }

  /** Money: decimal STRINGS only (a JSON number may already have lost precision) → normalized decimal. */
  money(name: string, value: unknown, required = false): string | null {
    const normalized = typeof value === 'string' ? normalizeDecimal(value.trim()) : null
    return normalized ?? this.bad(name, required, value)
  }

  /** A positive integer quantity: a JSON safe integer or a string of digits (form bodies). */
  quantity(name: string, value: unknown): number | null {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value
    if (typeof value === 'string' && /^\d{1,9}$/.test(value.trim()) && Number(value) > 0) return Number(value)
    return this.bad(name, true, value)
  }

  currency(name: string, value: unknown): string | null {
    if (typeof value === 'string' && /^[A-Za-z]{3}$/.test(value.trim())) return value.trim().toUpperCase()
    return this.bad(name, true, value)
  }

  date(name: string, value: unknown, required: boolean, lenient = false): Date | null {
    return (typeof value === 'string' && parseIsoDate(value, lenient)) || this.bad(name, required, value)
  }

  flag(name: string, value: unknown): boolean {
    if (value === undefined || value === null || typeof value === 'boolean') return value === true
    this.invalid.push(name)
    return false
  }

  /** The 422 to return, or null when every field was fine. */
  failure(): NormalizeResult | null {
    if (this.missing.length > 0)
      return fail(422, 'missing_fields', `missing fields: ${this.missing.join(', ')}`, this.missing)
    if (this.invalid.length > 0)
      return fail(422, 'invalid_fields', `invalid fields: ${this.invalid.join(', ')}`, this.invalid)
    return null
  }
}

/** Email: sha256 of the trimmed lower-cased address, or a provider-sent sha256 hex (lower-cased). */
export function emailHash(
  check: FieldCheck,
  email: unknown,
  emailField: string,
  sha: unknown,
  shaField: string,
) {
  const plain = check.text(emailField, email)
  if (plain !== null) return hashEmail(plain)
  const hashed = check.text(shaField, sha)
  if (hashed === null) return null
  if (/^[0-9a-f]{64}$/i.test(hashed)) return hashed.toLowerCase()
  check.invalid.push(shaField)
  return null
}

// ---- verify ---------------------------------------------------------------------------------------

function keyBytes(secret: string): Buffer {
  return secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8')
}

function verify({ rawBody, headers, secrets, now }: Parameters<SourceAdapter['verify']>[0]): VerifyResult {
  const id = headers.get('webhook-id')
  const timestamp = headers.get('webhook-timestamp')
  const header = headers.get('webhook-signature')
  if (!header)
    return { ok: false, reason: 'missing_signature', message: 'webhook-signature header is missing' }
  if (!id || !timestamp)
    return {
      ok: false,
      reason: 'missing_header',
      message: 'webhook-id and webhook-timestamp headers are required',
    }
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'missing_header', message: 'webhook-timestamp must be unix seconds' }
  if (Math.abs(Math.floor(now / 1000) - Number(timestamp)) > S2S_TOLERANCE_SECONDS)
    return {
      ok: false,
      reason: 'stale_timestamp',
      message: `webhook-timestamp is more than ${S2S_TOLERANCE_SECONDS} s from now`,
    }

  const candidates = header
    .split(' ')
    .map((part) => part.split(','))
    .filter((p): p is [string, string] => p.length === 2 && p[0] === 'v1' && p[1] !== '')
    .map(([, sig]) => Buffer.from(sig, 'base64'))
  if (candidates.length === 0)
    return { ok: false, reason: 'missing_signature', message: 'webhook-signature has no v1 signature' }

  const content = `${id}.${timestamp}.${rawBody}`
  let matched = false
  for (const secret of secrets) {
    const expected = createHmac('sha256', keyBytes(secret)).update(content, 'utf8').digest()
    for (const candidate of candidates) matched = constantTimeEqualBytes(candidate, expected) || matched
  }
  return matched
    ? { ok: true }
    : { ok: false, reason: 'bad_signature', message: 'no webhook-signature matches' }
}

// ---- normalize ------------------------------------------------------------------------------------

const KINDS = ['sale', 'refund', 'lead', 'subscription_renewal'] as const
type Kind = (typeof KINDS)[number]

function readItems(check: FieldCheck, value: unknown): LineItem[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) return (check.invalid.push('items'), [])
  const items: LineItem[] = []
  value.forEach((raw, i) => {
    if (!isPlainObject(raw)) return void check.invalid.push(`items[${i}]`)
    const sku = check.text(`items[${i}].sku`, raw.sku)
    const quantity = check.quantity(`items[${i}].quantity`, raw.quantity)
    const unitPrice = check.money(`items[${i}].unit_price`, raw.unit_price, true)
    if (quantity !== null && unitPrice !== null) items.push({ sku, quantity, unitPrice })
  })
  return items
}

function normalize({ rawBody, headers }: Parameters<SourceAdapter['normalize']>[0]): NormalizeResult {
  const parsed = parseJsonObject(rawBody)
  if ('error' in parsed) return parsed.error
  const b = parsed.body
  const check = new FieldCheck()

  const externalEventId = check.text('webhook-id', headers.get('webhook-id'), true)
  const type = check.text('type', b.type, true)
  const kind = type !== null && (KINDS as readonly string[]).includes(type) ? (type as Kind) : null
  if (type !== null && kind === null) check.invalid.push('type')
  const orderId = check.text('order_id', b.order_id, true)
  let subEventId: string | null = null
  if (kind === 'refund') subEventId = check.text('refund_id', b.refund_id, true)
  if (kind === 'subscription_renewal') subEventId = check.text('invoice_id', b.invoice_id, true)
  const occurredAt = check.date('occurred_at', b.occurred_at, true)
  const currency = check.currency('currency', b.currency)
  const total = check.money('total', b.total, true)
  const subtotal = check.money('subtotal', b.subtotal)
  const discount = check.money('discount', b.discount)
  const tax = check.money('tax', b.tax)
  const shipping = check.money('shipping', b.shipping)
  const lineItems = readItems(check, b.items)
  const clickId = check.text('click_id', b.click_id)
  const subId = check.text('sub_id', b.sub_id)
  const couponCode = check.text('coupon', b.coupon)
  const customerEmailHash = emailHash(
    check,
    b.customer_email,
    'customer_email',
    b.customer_email_sha256,
    'customer_email_sha256',
  )
  const customerIp = check.text('customer_ip', b.customer_ip)
  if (customerIp !== null && canonicalIp(customerIp) === undefined) check.invalid.push('customer_ip')
  const test = check.flag('test', b.test)
  for (const [name, value] of [
    ['total', total],
    ['subtotal', subtotal],
    ['discount', discount],
    ['tax', tax],
    ['shipping', shipping],
  ] as const)
    if (value?.startsWith('-')) check.invalid.push(name)

  const failure = check.failure()
  if (failure) return failure
  const event: NormalizedEvent = {
    externalEventId: externalEventId!,
    kind: kind!,
    orderId: orderId!,
    subEventId,
    occurredAt: occurredAt!,
    currency: currency!,
    subtotal,
    discount,
    tax,
    shipping,
    total: total!,
    cumulativeRefunded: null,
    lineItems,
    clickId,
    subId,
    couponCode,
    customerEmailHash,
    customerIp,
    test,
  }
  return { ok: true, events: [event] }
}

export const s2sAdapter: SourceAdapter = { source: 's2s', verify, normalize }
