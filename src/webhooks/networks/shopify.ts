// Shopify webhooks: orders/paid, orders/create (→ sale) and refunds/create (→ refund).
// Signature (https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook):
// X-Shopify-Hmac-Sha256 is the BASE64 HMAC-SHA256 of the raw body keyed with the app's client secret.
// Events deliveries drop the `X-` prefix, so both header spellings are accepted.
import type { LineItem, NormalizeResult, NormalizedEvent, SourceAdapter, VerifyResult } from '../adapter.ts'
import { constantTimeEqualsAny, hashEmail, hmacSha256, sumDecimals, toDecimalString } from './amounts.ts'
import { isPlainObject, missingFields, parseJsonObject } from './payload.ts'

type Json = Record<string, unknown>

const SALE_TOPICS = new Set(['orders/paid', 'orders/create'])

function header(headers: Headers, name: string): string | null {
  const value = headers.get(`X-${name}`) ?? headers.get(name)
  return value === null || value.trim() === '' ? null : value.trim()
}

function obj(v: unknown): Json {
  return isPlainObject(v) ? v : {}
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : []
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null
}

/** Shopify ids are integers below 2^53 (JSON.parse keeps them exact); strings are taken as-is. */
function idString(v: unknown): string | null {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v)
  return str(v)
}

function date(v: unknown): Date | null {
  if (typeof v !== 'string') return null
  const d = new Date(v)
  return Number.isNaN(d.getTime()) ? null : d
}

/** Reads one query parameter from `landing_site`, a path+query ("/p/x?sk_cid=…#frag") or a full URL. */
export function landingSiteParam(landingSite: unknown, names: readonly string[]): string | null {
  if (typeof landingSite !== 'string' || landingSite === '') return null
  let params: URLSearchParams
  try {
    params = new URL(landingSite, 'https://shop.invalid').searchParams
  } catch {
    return null
  }
  for (const name of names) {
    const value = str(params.get(name))
    if (value) return value
  }
  return null
}

function noteAttribute(order: Json, name: string): string | null {
  for (const attr of arr(order.note_attributes)) {
    if (isPlainObject(attr) && attr.name === name) return str(attr.value)
  }
  return null
}

function parseLineItems(items: unknown[], path: string, fields: string[]): LineItem[] {
  return items.map((raw, i) => {
    const item = obj(raw)
    const unitPrice = toDecimalString(item.price)
    const quantity = item.quantity
    if (unitPrice === null) fields.push(`${path}[${i}].price`)
    if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity)) fields.push(`${path}[${i}].quantity`)
    return {
      sku: str(item.sku),
      quantity: typeof quantity === 'number' ? quantity : 0,
      unitPrice: unitPrice ?? '0',
    }
  })
}

function normalizeOrder(order: Json, externalEventId: string, clickIdParam: string): NormalizeResult {
  const fields: string[] = []
  const orderId = idString(order.id)
  if (orderId === null) fields.push('id')
  const total = toDecimalString(order.total_price)
  if (total === null) fields.push('total_price')
  const currency = str(order.currency)
  if (currency === null) fields.push('currency')
  const occurredAt = date(order.processed_at) ?? date(order.created_at)
  if (occurredAt === null) fields.push('created_at')
  const lineItems = parseLineItems(arr(order.line_items), 'line_items', fields)
  if (orderId === null || total === null || currency === null || occurredAt === null || fields.length > 0) {
    return missingFields(fields)
  }
  const shopMoney = (set: unknown) => obj(obj(set).shop_money).amount
  const subtotal =
    toDecimalString(shopMoney(order.current_subtotal_price_set)) ?? toDecimalString(order.subtotal_price)
  const customer = obj(order.customer)
  const event: NormalizedEvent = {
    externalEventId,
    kind: 'sale',
    orderId,
    subEventId: null,
    occurredAt,
    currency: currency.toUpperCase(),
    subtotal,
    discount: toDecimalString(order.total_discounts),
    tax: toDecimalString(order.total_tax),
    shipping: toDecimalString(shopMoney(order.total_shipping_price_set)),
    total,
    cumulativeRefunded: null,
    lineItems,
    clickId: landingSiteParam(order.landing_site, [clickIdParam]) ?? noteAttribute(order, clickIdParam),
    subId: landingSiteParam(order.landing_site, ['sub_id', 'rsub']),
    couponCode: str(obj(arr(order.discount_codes)[0]).code),
    customerEmailHash: hashEmail(str(order.email) ?? str(customer.email)),
    // The address the order was placed from; only its salted hash is kept, for device-signal attribution.
    customerIp: str(order.browser_ip) ?? str(obj(order.client_details).browser_ip),
    test: order.test === true,
  }
  return { ok: true, events: [event] }
}

function normalizeRefund(refund: Json, externalEventId: string): NormalizeResult {
  const fields: string[] = []
  const orderId = idString(refund.order_id)
  if (orderId === null) fields.push('order_id')
  const refundId = idString(refund.id)
  if (refundId === null) fields.push('id')
  const occurredAt = date(refund.processed_at) ?? date(refund.created_at)
  if (occurredAt === null) fields.push('created_at')

  const refundLines = arr(refund.refund_line_items).map(obj)
  const transactions = arr(refund.transactions).map(obj)
  const lineItems: LineItem[] = []
  const subtotals: string[] = []
  const taxes: string[] = []
  refundLines.forEach((rli, i) => {
    const item = obj(rli.line_item)
    const subtotal = toDecimalString(rli.subtotal)
    // subtotal / quantity need not be exact (rounding, per-unit discounts): report the line's own price.
    const unitPrice = toDecimalString(item.price)
    const quantity = rli.quantity
    if (subtotal === null) fields.push(`refund_line_items[${i}].subtotal`)
    else subtotals.push(subtotal)
    if (unitPrice === null) fields.push(`refund_line_items[${i}].line_item.price`)
    if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity)) {
      fields.push(`refund_line_items[${i}].quantity`)
    }
    const tax = toDecimalString(rli.total_tax)
    if (tax !== null) taxes.push(tax)
    lineItems.push({
      sku: str(item.sku),
      quantity: typeof quantity === 'number' ? quantity : 0,
      unitPrice: unitPrice ?? '0',
    })
  })

  let total: string | null = null
  if (refundLines.length > 0) {
    total = subtotals.length === refundLines.length ? sumDecimals(subtotals) : null
  } else {
    const refunds = transactions.filter((t) => t.kind === 'refund' && t.status === 'success')
    const amounts = refunds.map((t) => toDecimalString(t.amount))
    amounts.forEach((a, i) => a === null && fields.push(`transactions[${i}].amount`))
    if (refunds.length === 0) fields.push('refund_line_items', 'transactions')
    else if (amounts.every((a) => a !== null)) total = sumDecimals(amounts as string[])
  }

  const lineCurrency = obj(obj(obj(refundLines[0]?.line_item).price_set).shop_money).currency_code
  const currency = str(transactions[0]?.currency) ?? str(lineCurrency)
  if (currency === null) fields.push('currency')

  if (orderId === null || refundId === null || occurredAt === null || total === null || currency === null) {
    return missingFields(fields)
  }
  if (fields.length > 0) return missingFields(fields)
  const event: NormalizedEvent = {
    externalEventId,
    kind: 'refund',
    orderId,
    subEventId: refundId,
    occurredAt,
    currency: currency.toUpperCase(),
    subtotal: refundLines.length > 0 ? total : null,
    discount: null,
    tax: taxes.length > 0 ? sumDecimals(taxes) : null,
    shipping: null,
    total,
    cumulativeRefunded: null,
    lineItems,
    clickId: null,
    subId: null,
    couponCode: null,
    customerEmailHash: null,
    customerIp: null,
    test: transactions.some((t) => t.test === true),
  }
  return { ok: true, events: [event] }
}

export const shopifyAdapter: SourceAdapter = {
  source: 'shopify',

  verify({ rawBody, headers, secrets }): VerifyResult {
    const signature = header(headers, 'Shopify-Hmac-Sha256')
    if (signature === null) {
      return { ok: false, reason: 'missing_signature', message: 'X-Shopify-Hmac-Sha256 header is missing' }
    }
    const expected = secrets.map((secret) => hmacSha256(secret, rawBody, 'base64'))
    if (expected.length > 0 && constantTimeEqualsAny(signature, expected)) return { ok: true }
    return {
      ok: false,
      reason: 'bad_signature',
      message: 'X-Shopify-Hmac-Sha256 does not match any active secret',
    }
  },

  normalize({ rawBody, headers, clickIdParam }): NormalizeResult {
    const parsed = parseJsonObject(rawBody)
    if ('error' in parsed) return parsed.error
    const payload = parsed.body
    const webhookId = header(headers, 'Shopify-Webhook-Id')
    const topic = header(headers, 'Shopify-Topic')
    const absent = [
      ...(webhookId === null ? ['X-Shopify-Webhook-Id'] : []),
      ...(topic === null ? ['X-Shopify-Topic'] : []),
    ]
    if (webhookId === null || topic === null) return missingFields(absent)
    if (SALE_TOPICS.has(topic)) return normalizeOrder(payload, webhookId, clickIdParam)
    if (topic === 'refunds/create') return normalizeRefund(payload, webhookId)
    return { ok: true, events: [] }
  },
}
