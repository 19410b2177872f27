// One adapter per source (src/webhooks/networks/<source>.ts): verify the raw bytes, then normalize the
// provider's payload into the events the exactly-once intake stores. Adapters are pure: no database, no
// clock except the `now` they are given, no environment.

export type WebhookSourceName = 'shopify' | 'stripe' | 'refersion' | 'impact' | 'postback' | 's2s'
/** Where a stored event came from: a webhook source, a row of an uploaded CSV report, or the on-site snippet. */
export type EventSource = WebhookSourceName | 'csv_import' | 'snippet'

export type VerifyResult =
  | { readonly ok: true }
  | {
      readonly ok: false
      readonly reason: 'missing_signature' | 'bad_signature' | 'stale_timestamp' | 'missing_header'
      readonly message: string
    }

export interface LineItem {
  readonly sku: string | null
  readonly quantity: number
  /** Exact decimal string in the currency's major unit, e.g. "19.99". Never a JS float. */
  readonly unitPrice: string
}

export interface NormalizedEvent {
  /** The provider's id for this delivery/event: the webhook_events dedupe key (X-Shopify-Webhook-Id, evt_…). */
  readonly externalEventId: string
  readonly kind: 'sale' | 'refund' | 'lead' | 'subscription_renewal'
  /** The order the event belongs to; a refund carries its sale's order id. */
  readonly orderId: string
  /** For refunds: the refund's own id; for renewals: the invoice id. Null for sales and leads. */
  readonly subEventId: string | null
  readonly occurredAt: Date
  /** ISO 4217, upper case. */
  readonly currency: string
  /**
   * Exact decimal strings in the major unit ("100.00"); null when the provider does not say. `subtotal` is the
   * merchandise after discounts, before tax and shipping (Shopify's subtotal_price); `discount` is what the
   * discounts took off.
   */
  readonly subtotal: string | null
  readonly discount: string | null
  readonly tax: string | null
  readonly shipping: string | null
  /** For a refund: the amount refunded by this event (positive). */
  readonly total: string
  /**
   * Stripe reports refunds as a running total (`amount_refunded`): the intake subtracts what it already
   * reversed. Null for sources that report each refund's own amount.
   */
  readonly cumulativeRefunded: string | null
  readonly lineItems: readonly LineItem[]
  /** Our signed click id exactly as found in the payload (not verified here), or null. */
  readonly clickId: string | null
  readonly subId: string | null
  readonly couponCode: string | null
  /** sha256 hex of the trimmed, lower-cased email, or the provider's own hash if it only sends that. */
  readonly customerEmailHash: string | null
  /**
   * The shopper's IP address as the shop saw it (Shopify's browser_ip, our S2S customer_ip), or null. Only its
   * salted hash is stored: device-signal attribution matches it against the clicks' hashes.
   */
  readonly customerIp: string | null
  /** Provider test/sandbox events are stored but never billed. */
  readonly test: boolean
}

export type NormalizeResult =
  | { readonly ok: true; readonly events: readonly NormalizedEvent[] }
  | {
      readonly ok: false
      readonly status: 400 | 422
      readonly code: string
      readonly message: string
      /** For 422: the missing or invalid fields, by their names in the provider's payload. */
      readonly fields?: readonly string[]
    }

export interface SourceAdapter {
  readonly source: WebhookSourceName
  /** The intake refuses (401) an event whose click id our keys do not verify (postbacks: a token is weak). */
  readonly requiresVerifiedClickId?: boolean
  /**
   * Checks the signature over the exact raw body, in constant time, against each active secret (two may
   * be active during rotation). `now` is Unix ms, for timestamped schemes (tolerance 300 s).
   */
  verify(input: { rawBody: string; headers: Headers; secrets: readonly string[]; now: number }): VerifyResult
  /**
   * Parses and normalizes. Event types the platform does not bill (e.g. Stripe `customer.created`) give
   * `{ ok: true, events: [] }`. Malformed JSON/form → 400; missing required fields → 422 with `fields`.
   * `clickIdParam` is the query/attribute name our click id travels under (config CLICK_ID_PARAM).
   */
  normalize(input: { rawBody: string; headers: Headers; clickIdParam: string }): NormalizeResult
}
