// Network postbacks (Everflow/Voluum style): the network fires
//   GET|POST /postback/:merchant?click_id=<our signed click id>&order_id=…&amount=…&currency=…&token=…
// A static token alone is weak (it leaks in logs and URLs), so the intake also requires the click id to carry
// our own valid signature (`requiresVerifiedClickId`). There is no delivery id: the order id is the key.
import type { NormalizeResult, SourceAdapter, VerifyResult } from '../adapter.ts'
import { constantTimeEqualsAny } from './amounts.ts'
import { fail } from './payload.ts'
import { normalizeDecimal, parseIsoDate } from './s2s.ts'

function params(rawBody: string): URLSearchParams {
  return new URLSearchParams(rawBody)
}

function verify({ rawBody, secrets }: { rawBody: string; secrets: readonly string[] }): VerifyResult {
  const token = params(rawBody).get('token')
  if (!token) return { ok: false, reason: 'missing_signature', message: 'missing token parameter' }
  return constantTimeEqualsAny(token, secrets)
    ? { ok: true }
    : { ok: false, reason: 'bad_signature', message: 'token does not match' }
}

function normalize({ rawBody }: { rawBody: string }): NormalizeResult {
  const p = params(rawBody)
  const missing = ['click_id', 'order_id', 'amount', 'currency'].filter((k) => !p.get(k))
  if (missing.length) return fail(422, 'missing_fields', `missing fields: ${missing.join(', ')}`, missing)
  const total = normalizeDecimal(p.get('amount') ?? '')
  const currency = (p.get('currency') ?? '').toUpperCase()
  const when = p.get('occurred_at')
  const occurredAt = when ? parseIsoDate(when) : new Date()
  const invalid = [
    ...(total === null ? ['amount'] : []),
    ...(/^[A-Z]{3}$/.test(currency) ? [] : ['currency']),
    ...(occurredAt === null ? ['occurred_at'] : []),
  ]
  if (invalid.length || total === null || occurredAt === null)
    return fail(422, 'invalid_fields', `invalid fields: ${invalid.join(', ')}`, invalid)
  const orderId = p.get('order_id') ?? ''
  return {
    ok: true,
    events: [
      {
        externalEventId: `order:${orderId}`,
        kind: 'sale',
        orderId,
        subEventId: null,
        occurredAt,
        currency,
        subtotal: null,
        discount: null,
        tax: null,
        shipping: null,
        total,
        cumulativeRefunded: null,
        lineItems: [],
        clickId: p.get('click_id'),
        subId: p.get('sub_id'),
        couponCode: p.get('coupon'),
        customerEmailHash: null,
        customerIp: null,
        test: p.get('test') === '1' || p.get('test') === 'true',
      },
    ],
  }
}

export const postbackAdapter: SourceAdapter & { requiresVerifiedClickId: true } = {
  source: 'postback',
  requiresVerifiedClickId: true,
  verify,
  normalize,
}
