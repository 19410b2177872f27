// PayPal's OAuth2 client-credentials token: fetched once, shared by concurrent callers, and renewed shortly
// before PayPal says it expires (usually 9 h), so a payout run costs one token request, not one per payout.
import { failed, type Failure, fields, request, text } from './http.ts'

export interface PaypalCredentials {
  readonly apiBase: string
  readonly clientId: string
  readonly clientSecret: string
  readonly timeoutMs: number
  /** Milliseconds since the epoch; tests move it to expire a token without waiting. */
  readonly now?: () => number
}

export interface PaypalAuth {
  /** A Bearer token, or why none could be had (bad credentials are final, an outage is retryable). */
  token(): Promise<string | Failure>
  /** PayPal refused this token (revoked, rotated, expired early): the next call fetches a new one. */
  invalidate(token: string): void
}

export function paypalAuth(opts: PaypalCredentials): PaypalAuth {
  const now = opts.now ?? Date.now
  const basic = Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')
  let cached: { token: string; renewAt: number } | null = null
  let pending: Promise<string | Failure> | null = null

  async function fetchToken(): Promise<string | Failure> {
    const res = await request(
      `${opts.apiBase.replace(/\/+$/, '')}/v1/oauth2/token`,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'grant_type=client_credentials',
      },
      opts.timeoutMs,
    )
    if (!res.answered) return failed(`paypal token: ${res.reason}`, true)
    const b = fields(res.body)
    const token = text(b.access_token)
    if (res.status === 200 && token) {
      const ttl = typeof b.expires_in === 'number' && b.expires_in > 0 ? b.expires_in : 0
      // Renew a minute early (or halfway, for short-lived tokens) so no request leaves with a dying token.
      cached = { token, renewAt: now() + (ttl - Math.min(60, ttl / 2)) * 1000 }
      return token
    }
    const what = text(b.error) ?? text(b.name) ?? 'error'
    const why = text(b.error_description) ?? text(b.message) ?? 'no message'
    return failed(`paypal token ${res.status} ${what}: ${why}`, res.status >= 500 || res.status === 429)
  }

  return {
    token() {
      if (cached && now() < cached.renewAt) return Promise.resolve(cached.token)
      pending ??= fetchToken().finally(() => {
        pending = null
      })
      return pending
    },
    invalidate(token) {
      if (cached?.token === token) cached = null
    },
  }
}
