// Stripe webhooks: checkout.session.completed, invoice.paid (→ sale / subscription_renewal) and
// charge.refunded (→ refund). Verified by hand per https://docs.stripe.com/webhooks#verify-manually:
// `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=…]`, signed payload `${t}.${rawBody}`, hex HMAC-SHA256 keyed
// with the whole `whsec_…` string; any v1 may match (rotation); default tolerance 300 s. The stripe
// package is not used: on Bun it only verifies asynchronously and it would read the clock itself.
import type { LineItem, NormalizeResult, NormalizedEvent, SourceAdapter, VerifyResult } from '../adapter.ts'
import {
  constantTimeEqualsAny,
  hashEmail,
  hmacSha256,
  minorUnitsToDecimal,
  stripeCurrencyExponent,
  subtractDecimals,
} from './amounts.ts'
import { isPlainObject, missingFields, parseJsonObject } from './payload.ts'

type Json = Record<string, unknown>

export const STRIPE_TOLERANCE_MS = 300_000

function obj(v: unknown): Json {
  return isPlainObject(v) ? v : {}
}
function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null
}
/** An id field that may be a plain id or an expanded object carrying `id`. */
function ref(v: unknown): string | null {
  return str(v) ?? (isPlainObject(v) ? str(v.id) : null)
}

/** Parses `t=…,v1=…`; null when malformed (no integer t or no v1). Unknown schemes (v0…) are ignored. */
export function parseStripeSignature(value: string): { timestamp: number; v1: string[] } | null {
  let timestamp: number | null = null
  const v1: string[] = []
  for (const part of value.split(',')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const key = part.slice(0, eq).trim()
    const val = part.slice(eq + 1).trim()
    if (key === 't') {
      if (!/^\d{1,12}$/.test(val)) return null
      timestamp = Number(val)
    } else if (key === 'v1' && val !== '') v1.push(val.toLowerCase())
  }
  return timestamp === null || v1.length === 0 ? null : { timestamp, v1 }
}

interface Amounts {
  currency: string
  toDecimal(minor: unknown): string | null
}

function amountsFor(currency: string): Amounts {
  return {
    currency: currency.toUpperCase(),
    toDecimal: (m) => minorUnitsToDecimal(m, currency, stripeCurrencyExponent),
  }
}

interface Envelope {
  id: string
  created: Date
  test: boolean
  object: Json
}

function baseEvent(env: Envelope, a: Amounts): Omit<NormalizedEvent, 'kind' | 'orderId' | 'total'> {
  return {
    externalEventId: env.id,
    subEventId: null,
    occurredAt: env.created,
    currency: a.currency,
    subtotal: null,
    discount: null,
    tax: null,
    shipping: null,
    cumulativeRefunded: null,
    lineItems: [],
    clickId: null,
    subId: null,
    couponCode: null,
    customerEmailHash: null,
    customerIp: null,
    test: env.test,
  }
}

function checkoutCompleted(env: Envelope, clickIdParam: string): NormalizeResult {
  const s = env.object
  // Asynchronous methods (bank debits) complete with 'unpaid' and pay later: not a sale yet.
  if (s.payment_status !== 'paid' && s.payment_status !== 'no_payment_required')
    return { ok: true, events: [] }
  const fields: string[] = []
  const currency = str(s.currency)
  if (currency === null) fields.push('data.object.currency')
  const a = amountsFor(currency ?? 'usd')
  const total = a.toDecimal(s.amount_total)
  if (total === null) fields.push('data.object.amount_total')
  // A subscription-mode session has no payment_intent: key it on the subscription so that the
  // invoice.paid (subscription_create) for the same purchase dedupes into the same sale.
  const orderId = ref(s.payment_intent) ?? ref(s.subscription) ?? str(s.id)
  if (orderId === null) fields.push('data.object.id')
  if (currency === null || total === null || orderId === null) return missingFields(fields)
  const details = obj(s.total_details)
  const metadata = obj(s.metadata)
  const event: NormalizedEvent = {
    ...baseEvent(env, a),
    kind: 'sale',
    orderId,
    subtotal: afterDiscount(a.toDecimal(s.amount_subtotal), a.toDecimal(details.amount_discount)),
    discount: a.toDecimal(details.amount_discount),
    tax: a.toDecimal(details.amount_tax),
    shipping: a.toDecimal(details.amount_shipping),
    total,
    clickId: str(s.client_reference_id) ?? str(metadata[clickIdParam]),
    subId: str(metadata.sub_id),
    couponCode: str(metadata.coupon),
    customerEmailHash: hashEmail(obj(s.customer_details).email ?? s.customer_email),
    customerIp: null,
  }
  return { ok: true, events: [event] }
}

function sumMinor(list: unknown, field: string): bigint | null {
  if (!Array.isArray(list)) return null
  let sum = 0n
  for (const item of list) {
    const v = obj(item)[field]
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return null
    sum += BigInt(v)
  }
  return sum
}

function invoiceLines(invoice: Json, a: Amounts): LineItem[] {
  const lines = obj(invoice.lines).data
  if (!Array.isArray(lines)) return []
  return lines.flatMap((raw): LineItem[] => {
    const line = obj(raw)
    const price = obj(line.price ?? obj(obj(line.pricing).price_details))
    const unitPrice = a.toDecimal(price.unit_amount)
    const quantity = line.quantity
    if (unitPrice === null || typeof quantity !== 'number' || !Number.isSafeInteger(quantity)) return []
    return [{ sku: ref(price.product) ?? ref(line.price), quantity, unitPrice }]
  })
}

function invoicePaid(env: Envelope, clickIdParam: string): NormalizeResult {
  const inv = env.object
  const fields: string[] = []
  const invoiceId = str(inv.id)
  if (invoiceId === null) fields.push('data.object.id')
  const currency = str(inv.currency)
  if (currency === null) fields.push('data.object.currency')
  const a = amountsFor(currency ?? 'usd')
  const total = a.toDecimal(inv.total)
  if (total === null) fields.push('data.object.total')
  if (invoiceId === null || currency === null || total === null) return missingFields(fields)
  // API 2025-03-31 moved `subscription` and `subscription_details` under `parent.subscription_details`.
  const parentSub = obj(obj(inv.parent).subscription_details)
  const subscription = ref(inv.subscription) ?? ref(parentSub.subscription)
  const subMeta = obj(obj(inv.subscription_details).metadata ?? parentSub.metadata)
  const paidAt = obj(inv.status_transitions).paid_at
  const tax = typeof inv.tax === 'number' ? inv.tax : sumMinor(inv.total_taxes, 'amount')
  const base = {
    ...baseEvent(env, a),
    occurredAt:
      typeof paidAt === 'number' && Number.isSafeInteger(paidAt) ? new Date(paidAt * 1000) : env.created,
    subtotal: afterDiscount(
      a.toDecimal(inv.subtotal),
      a.toDecimal(sumMinor(inv.total_discount_amounts, 'amount')),
    ),
    discount: a.toDecimal(sumMinor(inv.total_discount_amounts, 'amount')),
    tax: a.toDecimal(tax),
    total,
    lineItems: invoiceLines(inv, a),
    clickId: str(obj(inv.metadata)[clickIdParam]) ?? str(subMeta[clickIdParam]),
    subId: str(obj(inv.metadata).sub_id) ?? str(subMeta.sub_id),
    couponCode: str(obj(inv.metadata).coupon) ?? str(subMeta.coupon),
    customerEmailHash: hashEmail(inv.customer_email),
    customerIp: null,
  }
  // First invoice of a subscription = the sale; later ones renew it. An invoice with no subscription
  // at all (one-off/manual) is a sale of its own, keyed on the invoice id.
  if (inv.billing_reason === 'subscription_create' || subscription === null) {
    return { ok: true, events: [{ ...base, kind: 'sale', orderId: subscription ?? invoiceId }] }
  }
  return {
    ok: true,
    events: [{ ...base, kind: 'subscription_renewal', orderId: subscription, subEventId: invoiceId }],
  }
}

function chargeRefunded(env: Envelope, clickIdParam: string): NormalizeResult {
  const ch = env.object
  const fields: string[] = []
  const chargeId = str(ch.id)
  if (chargeId === null) fields.push('data.object.id')
  const currency = str(ch.currency)
  if (currency === null) fields.push('data.object.currency')
  const a = amountsFor(currency ?? 'usd')
  const refunded = a.toDecimal(ch.amount_refunded)
  if (refunded === null) fields.push('data.object.amount_refunded')
  if (chargeId === null || currency === null || refunded === null) return missingFields(fields)
  // refunds.data is newest first, but only present on API versions before 2022-11-15 (or when
  // expanded); otherwise the running total itself identifies this refund step.
  const refundList = obj(ch.refunds).data
  const latestRefund = Array.isArray(refundList) ? ref(refundList[0]) : null
  const event: NormalizedEvent = {
    ...baseEvent(env, a),
    kind: 'refund',
    orderId: ref(ch.payment_intent) ?? chargeId,
    subEventId: latestRefund ?? `${chargeId}:${String(ch.amount_refunded)}`,
    // amount_refunded is Stripe's RUNNING total for the charge: both fields carry it, and the intake
    // reverses only cumulativeRefunded minus what it has already reversed for this order.
    total: refunded,
    cumulativeRefunded: refunded,
    clickId: str(obj(ch.metadata)[clickIdParam]),
    customerEmailHash: hashEmail(obj(ch.billing_details).email ?? ch.receipt_email),
    customerIp: null,
  }
  return { ok: true, events: [event] }
}

export const stripeAdapter: SourceAdapter = {
  source: 'stripe',

  verify({ rawBody, headers, secrets, now }): VerifyResult {
    const value = headers.get('Stripe-Signature')
    if (value === null || value.trim() === '') {
      return { ok: false, reason: 'missing_signature', message: 'Stripe-Signature header is missing' }
    }
    const parsed = parseStripeSignature(value)
    if (parsed === null) {
      return { ok: false, reason: 'bad_signature', message: 'Stripe-Signature is not t=…,v1=…' }
    }
    const expected = secrets.map((secret) => hmacSha256(secret, `${parsed.timestamp}.${rawBody}`, 'hex'))
    let matched = false
    for (const v1 of parsed.v1) matched = constantTimeEqualsAny(v1, expected) || matched
    if (!matched)
      return { ok: false, reason: 'bad_signature', message: 'no v1 signature matches an active secret' }
    // Checked after the HMAC, as Stripe's SDK does: the timestamp is only meaningful once authentic.
    if (Math.abs(now - parsed.timestamp * 1000) > STRIPE_TOLERANCE_MS) {
      return {
        ok: false,
        reason: 'stale_timestamp',
        message: 'Stripe-Signature timestamp outside 300 s tolerance',
      }
    }
    return { ok: true }
  },

  normalize({ rawBody, clickIdParam }): NormalizeResult {
    const parsed = parseJsonObject(rawBody)
    if ('error' in parsed) return parsed.error
    const payload = parsed.body
    const fields: string[] = []
    const id = str(payload.id)
    if (id === null) fields.push('id')
    const type = str(payload.type)
    if (type === null) fields.push('type')
    const created = payload.created
    const createdOk = typeof created === 'number' && Number.isSafeInteger(created)
    if (!createdOk) fields.push('created')
    const object = obj(payload.data).object
    if (!isPlainObject(object)) fields.push('data.object')
    if (id === null || type === null || !createdOk || !isPlainObject(object)) return missingFields(fields)
    const env: Envelope = { id, created: new Date(created * 1000), test: payload.livemode !== true, object }
    switch (type) {
      case 'checkout.session.completed':
        return checkoutCompleted(env, clickIdParam)
      case 'invoice.paid':
        return invoicePaid(env, clickIdParam)
      case 'charge.refunded':
        return chargeRefunded(env, clickIdParam)
      default:
        return { ok: true, events: [] }
    }
  },
}

/** Stripe's subtotals are before discounts; NormalizedEvent.subtotal is after them (as Shopify and Impact send). */
function afterDiscount(subtotal: string | null, discount: string | null): string | null {
  return subtotal === null || discount === null ? subtotal : subtractDecimals(subtotal, discount)
}
