import type { SourceAdapter, WebhookSourceName } from './adapter.ts'
import { impactAdapter } from './networks/impact.ts'
import { postbackAdapter } from './networks/postback.ts'
import { refersionAdapter } from './networks/refersion.ts'
import { s2sAdapter } from './networks/s2s.ts'
import { shopifyAdapter } from './networks/shopify.ts'
import { stripeAdapter } from './networks/stripe.ts'

/** The sources POST /webhooks/:source/:merchant accepts. */
export const ADAPTERS: ReadonlyMap<string, SourceAdapter> = new Map<WebhookSourceName, SourceAdapter>([
  ['shopify', shopifyAdapter],
  ['stripe', stripeAdapter],
  ['refersion', refersionAdapter],
  ['impact', impactAdapter],
  ['s2s', s2sAdapter],
  ['postback', postbackAdapter],
])
