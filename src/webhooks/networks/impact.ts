// Impact.com conversions (POST /webhooks/impact), JSON or application/x-www-form-urlencoded.
//
// Auth: HTTP Basic `AccountSID:AuthToken`. Each active secret is the string `AccountSID:AuthToken`; the
// decoded credentials are compared in constant time (over sha256 digests, so lengths never leak).
//
// Attribution: we put our signed click id in `subId1` on Impact destinations (src/shared/networks.ts)
// and Impact passes SubId1..3 back, so clickId = SubId1. Impact's own click id (`ClickId`, the
// `irclickid` of the landing URL) becomes the subId only when SubId2 (the influencer handle) is absent.
//
// Dedupe key: `ActionId` when Impact sends it, else `${OrderId}:${ActionTrackerId ?? EventTypeId ?? 'sale'}`
// with `:refund` appended for reversals, so a reversal never collides with its own sale's key.
import { createHash } from 'node:crypto'
import type { LineItem, NormalizeResult, NormalizedEvent, SourceAdapter, VerifyResult } from '../adapter.ts'
import { constantTimeEqualBytes, hashEmail } from './amounts.ts'
import { fail, isPlainObject, parseJsonObject } from './payload.ts'
import { FieldCheck } from './s2s.ts'

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest()

function verify({ headers, secrets }: Parameters<SourceAdapter['verify']>[0]): VerifyResult {
  const authorization = headers.get('authorization')
  if (!authorization)
    return { ok: false, reason: 'missing_signature', message: 'Authorization header is missing' }
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization)
  if (!m) return { ok: false, reason: 'bad_signature', message: 'Authorization must be HTTP Basic' }
  const given = sha256(Buffer.from(m[1]!, 'base64').toString('utf8'))
  let matched = false
  for (const secret of secrets) matched = constantTimeEqualBytes(given, sha256(secret)) || matched
  return matched
    ? { ok: true }
    : { ok: false, reason: 'bad_signature', message: 'Impact credentials do not match' }
}

/** Strict form parsing: a bad percent-escape is a 400, not a silently mangled value. Last key wins. */
function parseForm(rawBody: string): Record<string, string> | null {
  const out: Record<string, string> = {}
  for (const pair of rawBody.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const [k, v] = eq === -1 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)]
    try {
      out[decodeURIComponent(k.replace(/\+/g, ' '))] = decodeURIComponent(v.replace(/\+/g, ' '))
    } catch {
      return null
    }
  }
  return out
}

function readBody(
  rawBody: string,
  headers: Headers,
): { body: Record<string, unknown> } | { error: NormalizeResult } {
  const type = (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type))
    return parseJsonObject(rawBody)
  if (type === 'application/x-www-form-urlencoded') {
    const form = parseForm(rawBody)
    return form
      ? { body: form }
      : { error: fail(400, 'malformed_form', 'body is not valid form-urlencoded data') }
  }
  return {
    error: fail(
      400,
      'unsupported_media_type',
      `Content-Type must be application/json or application/x-www-form-urlencoded, got "${type}"`,
    ),
  }
}

// Flat item fields: ItemSku1/ItemPrice1/ItemQuantity1 (1-based) or ItemSku[0]/ItemPrice[0]/… (0-based).
const FLAT_ITEM = /^Item(Sku|Price|Quantity)(?:(\d+)|\[(\d+)\])$/

function readItems(check: FieldCheck, b: Record<string, unknown>): LineItem[] {
  const items: LineItem[] = []
  if (b.Items !== undefined && b.Items !== null) {
    if (!Array.isArray(b.Items)) return (check.invalid.push('Items'), [])
    b.Items.forEach((raw, i) => {
      if (!isPlainObject(raw)) return void check.invalid.push(`Items[${i}]`)
      const sku = check.text(`Items[${i}].Sku`, raw.Sku, false, true)
      const quantity = check.quantity(`Items[${i}].Quantity`, raw.Quantity)
      const unitPrice = check.money(`Items[${i}].Price`, raw.Price, true)
      if (quantity !== null && unitPrice !== null) items.push({ sku, quantity, unitPrice })
    })
  }
  const flat = new Map<string, { index: number; names: Record<string, string> }>()
  for (const key of Object.keys(b)) {
    const m = FLAT_ITEM.exec(key)
    if (!m) continue
    const [slot, style] =
      m[2] !== undefined
        ? [`n${m[2]}`, (f: string) => `Item${f}${m[2]}`]
        : [`b${m[3]}`, (f: string) => `Item${f}[${m[3]}]`]
    if (!flat.has(slot))
      flat.set(slot, {
        index: Number(m[2] ?? m[3]),
        names: { Sku: style('Sku'), Price: style('Price'), Quantity: style('Quantity') },
      })
  }
  for (const { names } of [...flat.values()].sort((a, c) => a.index - c.index)) {
    const sku = check.text(names.Sku!, b[names.Sku!], false, true)
    const quantity = check.quantity(names.Quantity!, b[names.Quantity!])
    const unitPrice = check.money(names.Price!, b[names.Price!], true)
    if (quantity !== null && unitPrice !== null) items.push({ sku, quantity, unitPrice })
  }
  return items
}

function isReversal(b: Record<string, unknown>): boolean {
  return [b.EventType, b.ActionType].some((v) => typeof v === 'string' && /REVERSAL|REFUND/i.test(v))
}

function normalize({
  rawBody,
  headers,
  clickIdParam,
}: Parameters<SourceAdapter['normalize']>[0]): NormalizeResult {
  const parsed = readBody(rawBody, headers)
  if ('error' in parsed) return parsed.error
  const b = parsed.body
  const check = new FieldCheck()
  const kind = isReversal(b) ? 'refund' : 'sale'

  const orderId = check.text('OrderId', b.OrderId, true, true)
  const occurredAt = check.date('EventDate', b.EventDate, true)
  const currency = check.currency('CurrencyCode', b.CurrencyCode)
  const amount = check.money('Amount', b.Amount)
  const subtotal = check.money('OrderSubTotalPostDiscount', b.OrderSubTotalPostDiscount)
  const discount = check.money('OrderDiscount', b.OrderDiscount)
  const total = amount ?? subtotal
  if (
    total === null &&
    !check.invalid.includes('Amount') &&
    !check.invalid.includes('OrderSubTotalPostDiscount')
  )
    check.missing.push('Amount')
  const lineItems = readItems(check, b)
  const actionId = check.text('ActionId', b.ActionId, false, true)
  const tracker =
    check.text('ActionTrackerId', b.ActionTrackerId, false, true) ??
    check.text('EventTypeId', b.EventTypeId, false, true)
  const impactClickId = check.text('ClickId', b.ClickId)
  const clickId =
    check.text('SubId1', b.SubId1) ??
    (clickIdParam === 'SubId1' ? null : check.text(clickIdParam, b[clickIdParam]))
  const subId = check.text('SubId2', b.SubId2) ?? impactClickId
  const couponCode = check.text('OrderPromoCode', b.OrderPromoCode)
  const email = check.text('CustomerEmail', b.CustomerEmail)
  // Impact sends CustomerEmail already hashed (SHA-1 or SHA-256 hex): pass that through lower-cased.
  const customerEmailHash =
    email === null
      ? null
      : /^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(email)
        ? email.toLowerCase()
        : hashEmail(email)

  const failure = check.failure()
  if (failure) return failure
  // Reversals may carry negative amounts; the event carries the amount refunded, positive.
  const positive = (d: string | null) => (d !== null && kind === 'refund' ? d.replace(/^-/, '') : d)
  if (kind === 'sale' && total!.startsWith('-'))
    return fail(
      422,
      'invalid_fields',
      `invalid fields: ${amount !== null ? 'Amount' : 'OrderSubTotalPostDiscount'}`,
      [amount !== null ? 'Amount' : 'OrderSubTotalPostDiscount'],
    )
  const event: NormalizedEvent = {
    externalEventId: actionId ?? `${orderId}:${tracker ?? 'sale'}${kind === 'refund' ? ':refund' : ''}`,
    kind,
    orderId: orderId!,
    subEventId: kind === 'refund' ? (actionId ?? `${orderId}:refund`) : null,
    occurredAt: occurredAt!,
    currency: currency!,
    subtotal: positive(subtotal),
    discount: positive(discount),
    tax: null,
    shipping: null,
    total: positive(total)!,
    cumulativeRefunded: null,
    lineItems,
    clickId,
    subId,
    couponCode,
    customerEmailHash,
    customerIp: null,
    // Impact has no test flag on conversions; test traffic is separated by campaign on its side.
    test: false,
  }
  return { ok: true, events: [event] }
}

export const impactAdapter: SourceAdapter = { source: 'impact', verify, normalize }
