import { t } from 'elysia'

export const WebhookParams = t.Object({
  source: t.String({ description: 'shopify | stripe | refersion | impact | s2s | postback' }),
  merchant: t.String({ description: 'The merchant slug the endpoint was issued for' }),
})

export const PostbackParams = t.Object({ merchant: t.String() })

export const WebhookAccepted = t.Object({
  status: t.Union([t.Literal('processed'), t.Literal('duplicate')]),
  eventId: t.String(),
  conversionIds: t.Array(t.String()),
})

const SOURCES = ['shopify', 'stripe', 'refersion', 'impact', 's2s', 'postback'] as const

export const SecretParams = t.Object({ merchant: t.String() })
export const SecretKeyParams = t.Object({ merchant: t.String(), keyId: t.String() })

export const SecretInput = t.Object({
  source: t.Union(
    SOURCES.map((s) => t.Literal(s)),
    { description: 'Which sender the secret verifies' },
  ),
  secret: t.Optional(
    t.String({
      minLength: 16,
      maxLength: 512,
      description:
        "The sender's signing secret (Shopify client secret, Stripe whsec_…); omit to generate one",
    }),
  ),
  keyId: t.Optional(t.String({ pattern: '^[A-Za-z0-9_-]{1,40}$' })),
})

export const SecretView = t.Object({
  keyId: t.String(),
  source: t.String(),
  slot: t.Number(),
  active: t.Boolean(),
  createdAt: t.String(),
  secret: t.Optional(t.String({ description: 'Only when generated, and only in this response' })),
})
