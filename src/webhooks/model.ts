import { t } from 'elysia'

export const WebhookParams = t.Object({
  source: t.String({ description: 'shopify | stripe | refersion | impact | s2s' }),
  merchant: t.String({ description: 'The merchant slug the endpoint was issued for' }),
})

export const WebhookAccepted = t.Object({
  status: t.Union([t.Literal('processed'), t.Literal('duplicate')]),
  eventId: t.String(),
  conversionIds: t.Array(t.String()),
})
