import { t } from 'elysia'
import { EVENT_TYPES } from '../events/types.ts'

const EventType = t.Union(
  EVENT_TYPES.map((e) => t.Literal(e)),
  { description: EVENT_TYPES.join(', ') },
)
const Events = t.Array(EventType, { minItems: 1, maxItems: EVENT_TYPES.length, uniqueItems: true })
const Url = t.String({
  minLength: 1,
  maxLength: 2048,
  description: 'https:// only (plain http:// only when OUTBOUND_WEBHOOKS_ALLOW_HTTP=true); no credentials',
})
const Description = t.String({ maxLength: 500 })

export const EndpointInput = t.Object({
  url: Url,
  events: Events,
  description: t.Optional(Description),
  merchantId: t.Optional(
    t.String({ format: 'uuid', description: 'Admin keys: the owner (this or influencerId)' }),
  ),
  influencerId: t.Optional(t.String({ format: 'uuid' })),
})

export const EndpointPatch = t.Object(
  {
    url: t.Optional(Url),
    events: t.Optional(Events),
    description: t.Optional(t.Nullable(Description)),
    enabled: t.Optional(
      t.Boolean({
        description: 'true re-enables (and resets the failure count); false fails its pending deliveries',
      }),
    ),
  },
  { minProperties: 1 },
)

export const EndpointBody = t.Object({
  id: t.String(),
  merchantId: t.Nullable(t.String()),
  influencerId: t.Nullable(t.String()),
  url: t.String(),
  description: t.Nullable(t.String()),
  events: t.Array(t.String()),
  enabled: t.Boolean(),
  disabledAt: t.Nullable(t.String()),
  disabledReason: t.Nullable(t.String()),
  consecutiveFailures: t.Integer(),
  createdAt: t.String(),
  updatedAt: t.String(),
})

export const EndpointWithSecret = t.Composite([
  EndpointBody,
  t.Object({ secret: t.String({ description: 'whsec_…: shown in this response only' }) }),
])

export const EndpointList = t.Object({ data: t.Array(EndpointBody), nextCursor: t.Nullable(t.String()) })

export const ListQuery = t.Object({
  cursor: t.Optional(t.String({ description: 'nextCursor of the previous page' })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 200, default: 50 })),
})

export const IdParams = t.Object({ id: t.String({ description: 'UUID; anything else is a 404' }) })

export const DeliveryQuery = t.Object({
  status: t.Optional(t.Union([t.Literal('pending'), t.Literal('delivered'), t.Literal('failed')])),
  cursor: t.Optional(t.String({ description: 'nextCursor of the previous page' })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20 })),
})

const Attempt = t.Object({
  attemptedAt: t.String(),
  statusCode: t.Nullable(t.Integer()),
  error: t.Nullable(t.String()),
  durationMs: t.Integer(),
  responseSnippet: t.Nullable(t.String({ description: 'First 500 bytes of the answer' })),
})

export const DeliveryBody = t.Object({
  id: t.String({ description: 'Also the webhook-id header: the same on every attempt and redelivery' }),
  endpointId: t.String(),
  eventType: t.String(),
  status: t.Union([t.Literal('pending'), t.Literal('delivered'), t.Literal('failed')]),
  attemptCount: t.Integer(),
  nextAttemptAt: t.Nullable(t.String()),
  lastAttemptAt: t.Nullable(t.String()),
  lastStatusCode: t.Nullable(t.Integer()),
  lastError: t.Nullable(t.String()),
  deliveredAt: t.Nullable(t.String()),
  createdAt: t.String(),
  payload: t.Unknown(),
  attempts: t.Array(Attempt, { description: 'Oldest first' }),
})

export const DeliveryList = t.Object({
  data: t.Array(DeliveryBody),
  nextCursor: t.Nullable(t.String()),
})
