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

// CSV report imports (imports-plugin.ts).

export const ErrorResponse = t.Object({
  error: t.Object({ code: t.String(), message: t.String(), details: t.Optional(t.Unknown()) }),
})

const NETWORK = t.String({
  pattern: '^[a-z0-9][a-z0-9_.-]{0,39}$',
  description: 'Our name for the network, e.g. amazon, levanta (lower case; part of every row’s dedupe key)',
})
const Column = t.Optional(t.String({ minLength: 1, maxLength: 200 }))
const Kind = t.Union([t.Literal('sale'), t.Literal('refund'), t.Literal('lead')])

export const MappingParams = t.Object({ merchant: t.String(), network: NETWORK })
export const ImportQuery = t.Object({
  merchant: t.String({ description: 'The merchant slug' }),
  network: NETWORK,
})

export const ImportMappingInput = t.Object(
  {
    columns: t.Object(
      {
        order_id: Column,
        occurred_at: Column,
        total: Column,
        currency: Column,
        kind: Column,
        refund_id: Column,
        sub_id: Column,
        click_id: Column,
        coupon: Column,
        subtotal: Column,
      },
      {
        additionalProperties: false,
        description:
          'Our field → the CSV header that holds it (matched trimmed, case-insensitively). Required: ' +
          'order_id, occurred_at, total, and currency unless defaultCurrency is set.',
      },
    ),
    defaultCurrency: t.Optional(t.String({ pattern: '^[A-Za-z]{3}$' })),
    delimiter: t.Optional(t.Union([t.Literal(','), t.Literal(';'), t.Literal('\t')])),
    kindValues: t.Optional(
      t.Record(t.String({ minLength: 1, maxLength: 100 }), Kind, {
        description: 'The network’s words for a row’s kind, e.g. { "Returned": "refund" }',
      }),
    ),
  },
  { additionalProperties: false },
)

export const ImportMappingView = t.Object({
  merchant: t.String(),
  network: t.String(),
  mapping: ImportMappingInput,
  createdAt: t.String(),
  updatedAt: t.String(),
})

export const RowError = t.Object({
  row: t.Number({ description: 'Data row, 1 = the first row after the header' }),
  line: t.Number({ description: 'Line of the file the row starts on' }),
  reason: t.String(),
  eventId: t.Optional(t.String({ description: 'Set when the row was stored but processing failed' })),
})

export const ImportResult = t.Object({
  merchant: t.String(),
  network: t.String(),
  rows: t.Number(),
  created: t.Number({ description: 'Rows that stored a new conversion' }),
  duplicates: t.Number({ description: 'Rows already imported, or orders already known from another report' }),
  rejected: t.Number(),
  errors: t.Array(RowError),
  errorsTruncated: t.Boolean(),
})
