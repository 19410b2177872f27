import type { NormalizedEvent } from './adapter.ts'
import { compareDecimals, currencyExponent, formatDecimal } from './networks/amounts.ts'

// conversions: amounts are numeric(20,4), currency char(3), times timestamptz, text and jsonb without U+0000
// (jsonb also without lone surrogates); commissions count minor units in a bigint. The adapters check formats;
// these are the columns' own limits.
const AMOUNT_LIMIT = '9999999999999999.99995' // rounds to 10^16 at scale 4: numeric(20,4) overflows
const MAX_MINOR = 2n ** 63n - 1n
const MIN_TIME = Date.parse('0001-01-01T00:00:00Z')
const MAX_TIME = Date.parse('9999-12-31T23:59:59.999Z')

export const storableText = (s: string) => !s.includes('\u0000') && s.isWellFormed()
const storableAmount = (d: string, currency: string) => {
  const abs = d.replace(/^-/, '')
  const minorLimit = formatDecimal({ units: MAX_MINOR, scale: currencyExponent(currency) })
  return compareDecimals(abs, AMOUNT_LIMIT) < 0 && compareDecimals(abs, minorLimit) < 0
}

/** The fields of a normalized event its row could not store, by their normalized names. */
export function unstorableFields(e: NormalizedEvent): string[] {
  const bad: string[] = []
  const texts = {
    externalEventId: e.externalEventId,
    orderId: e.orderId,
    subEventId: e.subEventId,
    subId: e.subId,
    couponCode: e.couponCode,
    customerEmailHash: e.customerEmailHash,
  }
  for (const [name, v] of Object.entries(texts)) if (v !== null && !storableText(v)) bad.push(name)
  if (!/^[A-Z]{3}$/.test(e.currency)) bad.push('currency')
  const amounts = {
    subtotal: e.subtotal,
    discount: e.discount,
    tax: e.tax,
    shipping: e.shipping,
    total: e.total,
    cumulativeRefunded: e.cumulativeRefunded,
  }
  for (const [name, v] of Object.entries(amounts))
    if (v !== null && !storableAmount(v, e.currency)) bad.push(name)
  const t = e.occurredAt.getTime()
  if (!(t >= MIN_TIME && t <= MAX_TIME)) bad.push('occurredAt')
  e.lineItems.forEach((l, i) => {
    if (l.sku !== null && !storableText(l.sku)) bad.push(`lineItems[${i}].sku`)
  })
  return bad
}
