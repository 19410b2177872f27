import { t } from 'elysia'
import { BILLABLE_KINDS } from './policy.ts'

export const OriginsParams = t.Object({ merchant: t.String({ maxLength: 64 }) })
export const OriginsBody = t.Object({
  origins: t.Array(t.String({ maxLength: 300 }), {
    maxItems: 50,
    description: 'Every origin the snippet runs on, as scheme://host[:port] (e.g. https://shop.example)',
  }),
})
export const OriginsView = t.Object({ origins: t.Array(t.String()) })

export const PolicyParams = t.Object({ program: t.String({ format: 'uuid' }) })
const Kind = t.Union(BILLABLE_KINDS.map((k) => t.Literal(k)))
export const PolicyBody = t.Object(
  {
    min_pageviews: t.Optional(
      t.Integer({ minimum: 1, maximum: 1000, description: 'Pageviews that qualify a session' }),
    ),
    min_seconds: t.Optional(
      t.Integer({ minimum: 1, maximum: 86_400, description: 'Seconds on site that qualify a session' }),
    ),
    bot_score_threshold: t.Optional(
      t.Integer({ minimum: 0, maximum: 100, description: 'Scores at or above this are bots (clicks too)' }),
    ),
    billable: t.Optional(
      t.Array(Kind, { maxItems: 4, description: 'Which snippet events the program pays for' }),
    ),
    bill_flagged: t.Optional(
      t.Boolean({ description: 'Whether conversions held by a fraud flag still count' }),
    ),
  },
  { additionalProperties: false },
)
export const PolicyView = t.Object({
  program_id: t.String({ format: 'uuid' }),
  min_pageviews: t.Integer(),
  min_seconds: t.Integer(),
  bot_score_threshold: t.Integer(),
  billable: t.Array(t.String()),
  bill_flagged: t.Boolean(),
})

export const EventParams = t.Object({ kind: t.String({ maxLength: 32 }) })
export const EventAccepted = t.Object({
  accepted: t.Literal(true),
  click_expires_at: t.Nullable(t.String({ format: 'date-time' })),
  conversion_id: t.Optional(t.String({ format: 'uuid' })),
  duplicate: t.Optional(t.Boolean()),
})
