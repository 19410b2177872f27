// What a payout run needs from a payment provider; each provider file implements it against its documented API.

export interface PayoutRequest {
  /** Our payouts.id (uuid). */
  readonly payoutId: string
  /** payouts.idempotency_key: the same on every retry of this payout, so a resend never pays twice. */
  readonly idempotencyKey: string
  readonly influencerId: string
  /** influencers.payout_account: a Stripe 'acct_…', a PayPal receiver email. */
  readonly account: string
  /** ISO 4217, upper case. */
  readonly currency: string
  /** What the influencer receives, in minor units. */
  readonly amountMinor: bigint
  readonly description: string
}

export type ProviderResult =
  | { readonly status: 'paid'; readonly providerRef: string }
  | { readonly status: 'processing'; readonly providerRef: string }
  | { readonly status: 'failed'; readonly reason: string; readonly retryable: boolean }

export interface PayoutProvider {
  readonly method: 'stripe_connect' | 'paypal' | 'manual'
  /** Sends (or re-sends: the idempotency key makes a resend return the original result, never pay twice). */
  send(req: PayoutRequest): Promise<ProviderResult>
  /**
   * After a crash between "sent" and "recorded", or for a processing payout: what the provider says now;
   * null when it never saw this payout.
   */
  status(req: PayoutRequest, providerRef: string | null): Promise<ProviderResult | null>
}
