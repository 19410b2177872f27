import type { SourceAdapter, WebhookSourceName } from './adapter.ts'
import { shopifyAdapter } from './networks/shopify.ts'
import { stripeAdapter } from './networks/stripe.ts'

/** The sources POST /webhooks/:source/:merchant accepts. */
export const ADAPTERS: ReadonlyMap<string, SourceAdapter> = new Map<WebhookSourceName, SourceAdapter>([
  ['shopify', shopifyAdapter],
  ['stripe', stripeAdapter],
])
