// PayPal Payouts: one batch of one item per payout. sender_batch_id = our payout id (PayPal refuses a second
// batch with it for 30 days) and PayPal-Request-Id = our idempotency key (the same id replays the first
// answer), so a resend can never pay twice; the batch id PayPal returns is our providerRef.
import { minorToDecimal } from '../../shared/money.ts'
import {
  failed,
  type Failure,
  fields,
  type HttpOutcome,
  invalidRequest,
  list,
  request,
  text,
} from './http.ts'
import { type PaypalCredentials, paypalAuth } from './paypal-auth.ts'
import type { PayoutProvider, PayoutRequest, ProviderResult } from './types.ts'

export type PaypalOptions = PaypalCredentials

type Answer = Extract<HttpOutcome, { answered: true }>
type Created =
  /** PayPal's batch: created now, or the first answer replayed for this PayPal-Request-Id. */
  | { readonly batch: Record<string, unknown> }
  /** The sender_batch_id was used before; the batch id from the error's HATEOAS link, when it has one. */
  | { readonly existing: string | null }
  | { readonly failure: Failure }

export function createPaypalProvider(opts: PaypalOptions): PayoutProvider {
  const base = opts.apiBase.replace(/\/+$/, '')
  const auth = paypalAuth(opts)

  /** A Bearer request; a 401 means the cached token died early, so it is renewed and the request sent once more. */
  async function authed(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<Answer | Failure> {
    for (let attempt = 0; ; attempt++) {
      const token = await auth.token()
      if (typeof token !== 'string') return token
      const init = {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...headers },
        ...(body === undefined ? {} : { body }),
      }
      const res = await request(`${base}${path}`, init, opts.timeoutMs)
      if (!res.answered) return failed(`paypal: ${res.reason}`, true)
      if (res.status !== 401 || attempt > 0) return res
      auth.invalidate(token)
    }
  }

  async function create(req: PayoutRequest): Promise<Created> {
    const body = JSON.stringify({
      sender_batch_header: { sender_batch_id: req.payoutId, email_subject: req.description },
      items: [
        {
          recipient_type: 'EMAIL',
          amount: { value: minorToDecimal(req.amountMinor, req.currency), currency: req.currency },
          receiver: req.account,
          sender_item_id: req.payoutId,
          note: req.description,
        },
      ],
    })
    const headers = { 'content-type': 'application/json', 'paypal-request-id': req.idempotencyKey }
    const res = await authed('POST', '/v1/payments/payouts', headers, body)
    if (!('answered' in res)) return { failure: res }
    if (res.status === 200 || res.status === 201) return { batch: fields(res.body) }
    const existing = duplicateBatch(res)
    return existing === undefined ? { failure: paypalFailure(res) } : { existing }
  }

  /** The batch as PayPal has it now; null when PayPal does not know the id. Never a final failure by itself. */
  async function lookup(batchId: string): Promise<ProviderResult | null> {
    const res = await authed('GET', `/v1/payments/payouts/${encodeURIComponent(batchId)}`)
    if (!('answered' in res)) return { ...res, retryable: true }
    if (res.status === 404) return null
    if (res.status !== 200) return { ...paypalFailure(res), retryable: true }
    return batchResult(fields(res.body))
  }

  /** Where the sender_batch_id was taken, PayPal's link says by which batch: its state is the answer. */
  async function resolve(c: Exclude<Created, { failure: Failure }>): Promise<ProviderResult> {
    if ('batch' in c) return batchResult(c.batch)
    const found = c.existing ? await lookup(c.existing) : null
    // Reissuing under a new id could pay twice: this payout waits for a person instead.
    return (
      found ??
      failed('paypal: sender_batch_id already used by a batch we cannot find; reconcile by hand', true)
    )
  }

  /** The batch's state now; while PayPal cannot say, processing (asked again later), never paid on a guess. */
  async function current(batchId: string): Promise<ProviderResult> {
    const now = await lookup(batchId)
    if (now && !(now.status === 'failed' && now.retryable)) return now
    return { status: 'processing', providerRef: batchId }
  }

  return {
    method: 'paypal',

    async send(req) {
      const invalid = invalidRequest(req) ?? invalidReceiver(req.account)
      if (invalid) return invalid
      const c = await create(req)
      if ('failure' in c) return c.failure
      const r = await resolve(c)
      // The create answer carries no items: a SUCCESS batch may still hold an UNCLAIMED item. Ask.
      return r.status === 'paid' && 'batch' in c && list(c.batch.items).length === 0
        ? current(r.providerRef)
        : r
    },

    async status(req, providerRef) {
      if (providerRef) return lookup(providerRef)
      if (invalidRequest(req) ?? invalidReceiver(req.account)) return null
      // PayPal cannot be searched by sender_batch_id; resending under the same PayPal-Request-Id replays the
      // first answer (or is refused as a duplicate, with a link) and so yields the batch id. If PayPal never
      // saw the payout, this sends it: the caller was about to do that anyway.
      const c = await create(req)
      if ('failure' in c) return { ...c.failure, retryable: true }
      const r = await resolve(c)
      // A replayed answer is as old as the first request: ask what the batch holds now.
      return r.status !== 'failed' && 'batch' in c ? current(r.providerRef) : r
    },
  }
}

function invalidReceiver(account: string): Failure | null {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(account)
    ? null
    : failed('paypal: payout account must be the receiver email address', false)
}

// Item states: SUCCESS is money in the receiver's account; these are money that never left or came back.
const ITEM_FAILED = new Set(['FAILED', 'RETURNED', 'BLOCKED', 'REFUNDED', 'REVERSED', 'DENIED', 'CANCELED'])
const BATCH_FAILED = new Set(['DENIED', 'CANCELED', 'FAILED'])

/**
 * The item decides when there is one (a SUCCESS batch may hold an UNCLAIMED item, which PayPal returns after
 * 30 days unclaimed); otherwise the batch. Unknown and in-between states (PENDING, UNCLAIMED, ONHOLD …) are
 * processing: asking again later is always safe.
 */
function batchResult(b: Record<string, unknown>): ProviderResult {
  const header = fields(b.batch_header)
  const ref = text(header.payout_batch_id)
  if (!ref) return failed('paypal: answer has no payout_batch_id', true)
  const item = fields(list(b.items)[0])
  const state = text(item.transaction_status) ?? text(header.batch_status) ?? 'unknown'
  const scope = text(item.transaction_status) ? 'item' : 'batch'
  if (state === 'SUCCESS') return { status: 'paid', providerRef: ref }
  if ((scope === 'item' ? ITEM_FAILED : BATCH_FAILED).has(state)) {
    const why = text(fields(item.errors).message)
    return failed(`paypal: ${scope} of batch ${ref} is ${state}${why ? `: ${why}` : ''}`, false)
  }
  return { status: 'processing', providerRef: ref }
}

/** undefined: not PayPal's duplicate sender_batch_id error; else the linked batch id, or null without a link. */
function duplicateBatch(res: Answer): string | null | undefined {
  if (res.status !== 400 && res.status !== 422) return undefined
  const b = fields(res.body)
  const details = list(b.details).map(fields)
  const duplicate =
    text(b.name) === 'SENDER_BATCH_ID_ALREADY_USED' ||
    details.some(
      (d) => /sender_batch_id/i.test(String(d.field)) && /already|duplicate/i.test(String(d.issue)),
    )
  if (!duplicate) return undefined
  const links = [...list(b.links), ...details.flatMap((d) => list(d.link ?? d.links))]
  for (const l of links) {
    const m = /\/v1\/payments\/payouts\/([^/?#]+)/.exec(text(fields(l).href) ?? '')
    if (m?.[1]) return decodeURIComponent(m[1])
  }
  return null
}

/** PayPal's `{name, message, details}`. A 4xx is a refusal, carried out never: final, except 409 and 429. */
function paypalFailure(res: Answer): Failure {
  const b = fields(res.body)
  const issue = text(fields(list(b.details)[0]).issue)
  const what = text(b.name) ?? text(b.error) ?? 'error'
  const why = text(b.message) ?? text(b.error_description) ?? 'no message'
  const reason = `paypal ${res.status} ${what}: ${why}${issue ? ` (${issue})` : ''}`
  return failed(reason, res.status >= 500 || res.status === 429 || res.status === 409)
}
