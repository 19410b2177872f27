// Stripe Connect: a payout is one transfer from the platform balance to the influencer's connected account
// (REST, form-encoded, Bearer secret key). The Idempotency-Key makes a resend return the first answer, and
// transfer_group = our payout id lets status() find the transfer after the key has expired or after a crash.
import {
  failed,
  fields,
  type Failure,
  type HttpOutcome,
  invalidRequest,
  list,
  request,
  text,
} from './http.ts'
import type { PayoutProvider, ProviderResult } from './types.ts'

/** Pinned so a change of the account's default API version cannot change what we parse. */
export const STRIPE_API_VERSION = '2024-06-20'

export interface StripeOptions {
  readonly apiBase: string
  readonly secretKey: string
  readonly timeoutMs: number
}

export function createStripeProvider(opts: StripeOptions): PayoutProvider {
  const base = opts.apiBase.replace(/\/+$/, '')
  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${opts.secretKey}`,
    'stripe-version': STRIPE_API_VERSION,
    accept: 'application/json',
    ...extra,
  })

  return {
    method: 'stripe_connect',

    async send(req) {
      const invalid = invalidRequest(req) ?? invalidAccount(req.account)
      if (invalid) return invalid
      const body = new URLSearchParams({
        amount: req.amountMinor.toString(),
        currency: req.currency.toLowerCase(),
        destination: req.account,
        transfer_group: req.payoutId,
        'metadata[payout_id]': req.payoutId,
        'metadata[influencer_id]': req.influencerId,
      })
      if (req.description) body.set('description', req.description)
      const res = await request(
        `${base}/v1/transfers`,
        {
          method: 'POST',
          headers: headers({
            'content-type': 'application/x-www-form-urlencoded',
            'idempotency-key': req.idempotencyKey,
          }),
          body: body.toString(),
        },
        opts.timeoutMs,
      )
      if (!res.answered) return failed(`stripe: ${res.reason}`, true)
      if (res.status === 200) {
        const t = fields(res.body)
        const id = text(t.id)
        // Anything else is not the documented answer; the key makes asking again safe.
        return id?.startsWith('tr_') ? transferResult(t) : failed('stripe: answer is not a transfer', true)
      }
      return stripeFailure(res)
    },

    async status(req, providerRef) {
      const query = new URLSearchParams({ transfer_group: req.payoutId, limit: '10' })
      const res = await request(
        `${base}/v1/transfers?${query}`,
        { method: 'GET', headers: headers() },
        opts.timeoutMs,
      )
      // Not knowing is never "not paid": whatever went wrong, the caller must ask again before paying anew.
      if (!res.answered) return failed(`stripe: ${res.reason}`, true)
      if (res.status !== 200) return { ...stripeFailure(res), retryable: true }
      const transfers = list(fields(res.body).data).map(fields)
      const mine = transfers.filter((t) => fields(t.metadata).payout_id === req.payoutId)
      const found = mine.find((t) => t.id === providerRef) ?? mine[0]
      return found ? transferResult(found) : null
    },
  }
}

function invalidAccount(account: string): Failure | null {
  return /^acct_[0-9A-Za-z]+$/.test(account)
    ? null
    : failed('stripe: payout account must be a connected account id (acct_…)', false)
}

/** A created transfer has moved the money; one reversed in full (by hand, in the dashboard) has not. */
function transferResult(t: Record<string, unknown>): ProviderResult {
  const id = String(t.id)
  if (t.reversed === true) return failed(`stripe: transfer ${id} was reversed`, false)
  return { status: 'paid', providerRef: id }
}

/**
 * Stripe's `{error: {type, code, message}}`. A 4xx is Stripe refusing the request, which it then did not
 * carry out: final. Except 429 (rate limit, lock timeout) and 409 (the same key still in flight), and any
 * answer Stripe marks `Stripe-Should-Retry: true`. 5xx may have been carried out: retry with the same key.
 * An idempotency_error (this key came before with other parameters) proves the key was used: not final
 * either, the caller must find out through status() what the first use did.
 */
function stripeFailure(res: Extract<HttpOutcome, { answered: true }>): Failure {
  const e = fields(fields(res.body).error)
  const what = [text(e.type), text(e.code)].filter(Boolean).join('/')
  const reason = `stripe ${res.status}${what ? ` ${what}` : ''}: ${text(e.message) ?? 'no message'}`
  const retryable =
    res.status >= 500 ||
    res.status === 429 ||
    res.status === 409 ||
    e.type === 'idempotency_error' ||
    res.headers.get('stripe-should-retry') === 'true'
  return failed(reason, retryable)
}
