// One request to a payment provider, bounded in time. A request that got no answer may still have been
// carried out, so callers treat it as retryable (with the same idempotency key), never as "not paid".
import type { ProviderResult } from './types.ts'

export type HttpOutcome =
  | { readonly answered: true; readonly status: number; readonly body: unknown; readonly headers: Headers }
  | { readonly answered: false; readonly reason: string }

export type Failure = Extract<ProviderResult, { status: 'failed' }>

export async function request(url: string, init: RequestInit, timeoutMs: number): Promise<HttpOutcome> {
  try {
    // A redirect from a payment API is unexpected; following it would resend credentials elsewhere.
    const res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) })
    const text = await res.text()
    return { answered: true, status: res.status, body: parseJson(text), headers: res.headers }
  } catch (err) {
    const name = err instanceof Error ? err.name : ''
    if (name === 'TimeoutError' || name === 'AbortError')
      return { answered: false, reason: `no answer within ${timeoutMs} ms` }
    return { answered: false, reason: `network error: ${err instanceof Error ? err.message : String(err)}` }
  }
}

function parseJson(text: string): unknown {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export function failed(reason: string, retryable: boolean): Failure {
  return { status: 'failed', reason, retryable }
}

/** A JSON object's fields, or an empty record for anything else (payloads are untrusted). */
export function fields(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

export function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : []
}

/** Checks every provider shares before any request leaves: deterministic, so a failure here is final. */
export function invalidRequest(req: { amountMinor: bigint; currency: string }): Failure | null {
  if (req.amountMinor <= 0n) return failed(`amount must be positive (got ${req.amountMinor})`, false)
  if (!/^[A-Z]{3}$/.test(req.currency))
    return failed(`currency must be ISO 4217 upper case (got ${req.currency})`, false)
  return null
}
