// Refersion webhooks (POST /webhooks/refersion).
//
// Authentication — OUR DOCUMENTED ASSUMPTION: Refersion does not publish how `Refersion-Signature` is
// computed (PROTOCOLS.md). We accept either of:
//   1. `Refersion-Secret-Key: <per-merchant shared secret>` (the header pair Refersion's inbound order
//      tracking uses), compared in constant time with each active secret. `Refersion-Public-Key` is an
//      identifier only and is ignored for auth.
//   2. `Refersion-Signature: <hex HMAC-SHA256 of the raw body keyed with the secret>` (an optional
//      `sha256=` prefix is tolerated), when the merchant configures that.
// Either one matching any active secret passes.
//
// Refersion publishes no delivery id, so the dedupe key is the body's `id` / `event_id` when present,
// else `${topic}:${order_id}` — one event per (topic, order), which is also the business dedupe key.
import { createHash, createHmac } from 'node:crypto'
import type { LineItem, NormalizeResult, NormalizedEvent, SourceAdapter, VerifyResult } from '../adapter.ts'
import { constantTimeEqualBytes, hashEmail } from './amounts.ts'
import { fail, isPlainObject, parseJsonObject } from './payload.ts'
import { FieldCheck, sumLineItems } from './s2s.ts'

const NOT_BILLABLE_STATUSES = new Set(['DENIED', 'UNQUALIFIED'])

function verify({ rawBody, headers, secrets }: Parameters<SourceAdapter['verify']>[0]): VerifyResult {
  const secretKey = headers.get('refersion-secret-key')
  const signature = headers.get('refersion-signature')
  if (!secretKey && !signature)
    return {
      ok: false,
      reason: 'missing_signature',
      message: 'Refersion-Secret-Key or Refersion-Signature is required',
    }

  // Hash both sides of the shared-secret compare so lengths match and the secret's length does not leak.
  const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest()
  const givenKey = secretKey ? sha(secretKey) : null
  const hex = signature?.trim().replace(/^sha256=/i, '') ?? ''
  const givenSig = /^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, 'hex') : null

  let matched = false
  for (const secret of secrets) {
    if (givenKey) matched = constantTimeEqualBytes(givenKey, sha(secret)) || matched
    if (givenSig) {
      const expected = createHmac('sha256', secret).update(rawBody, 'utf8').digest()
      matched = constantTimeEqualBytes(givenSig, expected) || matched
    }
  }
  return matched
    ? { ok: true }
    : { ok: false, reason: 'bad_signature', message: 'Refersion credentials do not match' }
}

type Kind = 'sale' | 'refund'

/** Topic → kind: refund/reversal topics are refunds; order/conversion created or approved are sales. */
function kindOfTopic(topic: string): Kind | null {
  const t = topic.toLowerCase()
  if (t.includes('refund') || t.includes('reversal')) return 'refund'
  if (/(creat|approv)/.test(t)) return 'sale'
  return null
}

function readItems(check: FieldCheck, value: unknown): LineItem[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) return (check.invalid.push('items'), [])
  const items: LineItem[] = []
  value.forEach((raw, i) => {
    if (!isPlainObject(raw)) return void check.invalid.push(`items[${i}]`)
    const sku = check.text(`items[${i}].sku`, raw.sku, false, true)
    const quantity = check.quantity(`items[${i}].quantity`, raw.quantity)
    const unitPrice = check.money(`items[${i}].price`, raw.price, true)
    if (quantity !== null && unitPrice !== null) items.push({ sku, quantity, unitPrice })
  })
  return items
}

function normalize({
  rawBody,
  headers,
  clickIdParam,
}: Parameters<SourceAdapter['normalize']>[0]): NormalizeResult {
  const parsed = parseJsonObject(rawBody)
  if ('error' in parsed) return parsed.error
  const b = parsed.body
  const check = new FieldCheck()

  const topic = check.text('Refersion-Topic', headers.get('refersion-topic'), true)
  const kind = topic === null ? null : kindOfTopic(topic)
  if (topic !== null && kind === null) return { ok: true, events: [] } // a topic we do not bill
  const status = typeof b.status === 'string' ? b.status.trim().toUpperCase() : null
  // Denied/unqualified conversions are not billable. Only sales are dropped: a refund stays a reversal.
  if (kind === 'sale' && status !== null && NOT_BILLABLE_STATUSES.has(status)) return { ok: true, events: [] }

  const orderId = check.text('order_id', b.order_id, true, true)
  const currency = check.currency('currency_code', b.currency_code)
  const lineItems = readItems(check, b.items)
  const itemsSum = lineItems.length > 0 ? sumLineItems(lineItems) : null
  const subtotal = check.money('subtotal', b.subtotal) ?? itemsSum
  // Sum of the items when `total` is absent; `subtotal` as a last resort.
  const total =
    check.money('total', b.total, b.items === undefined && b.subtotal === undefined) ?? itemsSum ?? subtotal
  // Refersion gives no event time except created_at; fall back to the HTTP Date header, else 422.
  const dateHeader = headers.get('date')
  const headerDate = dateHeader && !b.created_at ? new Date(dateHeader) : null
  const occurredAt =
    headerDate && !Number.isNaN(headerDate.getTime())
      ? headerDate
      : check.date('created_at', b.created_at, true, true)
  const explicitId = check.text('id', b.id, false, true) ?? check.text('event_id', b.event_id, false, true)
  const refundId = kind === 'refund' ? check.text('refund_id', b.refund_id, false, true) : null
  const clickId = check.text('aff_sub', b.aff_sub) ?? check.text(clickIdParam, b[clickIdParam])
  const subId = check.text('rsub', b.rsub)
  const couponCode =
    check.text('coupon_code', b.coupon_code) ?? check.text('affiliate_code', b.affiliate_code)
  const customer = isPlainObject(b.customer) ? b.customer : {}
  const email = check.text('customer.email', customer.email)
  const test = check.flag('test', b.test)
  // No total at all, unless an invalid field (a bad item price, a bad total) already explains why.
  if (total === null && check.invalid.length === 0 && !check.missing.includes('total'))
    check.missing.push('total')

  const failure = check.failure()
  if (failure) return failure
  // Refunds/reversals may be sent as negative amounts: the event carries the amount refunded (positive).
  const positive = (d: string) => (kind === 'refund' ? d.replace(/^-/, '') : d)
  if (kind === 'sale' && total!.startsWith('-'))
    return fail(422, 'invalid_fields', 'invalid fields: total', ['total'])
  const event: NormalizedEvent = {
    externalEventId: explicitId ?? `${topic}:${orderId}`,
    kind: kind!,
    orderId: orderId!,
    subEventId: kind === 'refund' ? (refundId ?? `${orderId}:refund`) : null,
    occurredAt: occurredAt!,
    currency: currency!,
    subtotal: subtotal === null ? null : positive(subtotal),
    discount: null,
    tax: null,
    shipping: null,
    total: positive(total!),
    cumulativeRefunded: null,
    lineItems,
    clickId,
    subId,
    couponCode,
    customerEmailHash: email === null ? null : hashEmail(email),
    customerIp: null,
    test,
  }
  return { ok: true, events: [event] }
}

export const refersionAdapter: SourceAdapter = { source: 'refersion', verify, normalize }
