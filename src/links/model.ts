import { t } from 'elysia'

// Shapes only: the rules that need a reason (slug, destination, UTM, expiry) live in validate.ts so a
// bad value gets its own error code instead of a generic schema message.

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
const Uuid = (description: string) => t.String({ pattern: UUID_PATTERN, description })
const Params = t.Record(t.String(), t.String())
// Inputs stay untyped here and are checked in validate.ts: Elysia's body normaliser turns a string or
// number into an object before validating a t.Record, which would accept `"utm": 5` as `{}`.
const ParamsInput = (description: string) =>
  t.Optional(t.Unknown({ description: `${description}; an object of strings, or null` }))

export const SLUG_RULES =
  'Custom slug: 3-64 characters of lower-case a-z, 0-9, "-" and "_"; starts and ends with a letter or digit; ' +
  'no "--"/"__" runs; not a reserved word (api, swagger, ws, l, c, healthz, admin, …). Slugs are lower-case: ' +
  'upper-case letters are rejected (400 invalid_slug), never silently changed. Omit for a random 7-character ' +
  'slug from 23456789bcdfghjkmnpqrstvwxz (no look-alikes, no vowels).'

const DESTINATION_RULES =
  'Absolute http:// or https:// URL, at most 2,048 characters, no credentials, no whitespace around it, no ' +
  'control characters (raw or percent-encoded) and no backslashes. Stored in its WHATWG-serialised form.'

const EXPIRY = 'ISO 8601 date-time with a zone (Z or ±hh:mm), in the future.'

export const LinkInput = t.Object({
  programId: Uuid('Program the link earns commission in'),
  influencerId: Uuid('Influencer; must be an approved member of the program'),
  campaignId: t.Optional(t.Nullable(Uuid('Campaign of the same program'))),
  productId: t.Optional(t.Nullable(Uuid("Product of the program's merchant"))),
  asset: t.Optional(
    t.Nullable(t.String({ description: 'Placement label for /c/:creator/:campaign/:asset (a-z 0-9 - _)' })),
  ),
  slug: t.Optional(t.String({ description: SLUG_RULES })),
  destinationUrl: t.String({ description: DESTINATION_RULES }),
  utm: ParamsInput('UTM values: utm_source, utm_medium, utm_campaign, utm_term, utm_content'),
  networkParams: ParamsInput('Extra query parameters the network needs, e.g. Amazon "tag"'),
  expiresAt: t.Optional(t.Nullable(t.String({ description: EXPIRY }))),
})

export const BulkInput = t.Object({
  items: t.Array(LinkInput, { minItems: 1, maxItems: 1000, description: 'All created or none' }),
})

export const LinkPatch = t.Object({
  destinationUrl: t.Optional(t.String({ description: DESTINATION_RULES })),
  utm: ParamsInput('UTM values (null clears)'),
  networkParams: ParamsInput('Extra query parameters (null clears)'),
  expiresAt: t.Optional(t.Nullable(t.String({ description: `${EXPIRY} null clears.` }))),
  asset: t.Optional(t.Nullable(t.String({ description: 'null clears' }))),
})

export const LinkBody = t.Object({
  id: t.String(),
  slug: t.String(),
  shortUrl: t.String({ description: 'PUBLIC_BASE_URL/l/slug: what the influencer shares' }),
  previewUrl: t.Nullable(
    t.String({ description: 'The destination with UTM/network params, minus the click id' }),
  ),
  programId: t.String(),
  influencerId: t.String(),
  campaignId: t.Nullable(t.String()),
  productId: t.Nullable(t.String()),
  asset: t.Nullable(t.String()),
  destinationUrl: t.String(),
  utm: t.Nullable(Params),
  networkParams: t.Nullable(Params),
  active: t.Boolean(),
  expiresAt: t.Nullable(t.String()),
  deactivatedAt: t.Nullable(t.String()),
  createdAt: t.String(),
  updatedAt: t.String(),
})

export const LinkList = t.Object({
  data: t.Array(LinkBody),
  nextCursor: t.Nullable(t.String({ description: 'Pass as ?cursor= for the next page; null on the last' })),
})

export const BulkResult = t.Object({ data: t.Array(LinkBody) })

export const ListQuery = t.Object({
  influencerId: t.Optional(Uuid('Only this influencer')),
  programId: t.Optional(Uuid('Only this program')),
  campaignId: t.Optional(Uuid('Only this campaign')),
  active: t.Optional(t.Boolean()),
  cursor: t.Optional(t.String({ maxLength: 512 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 200, default: 50 })),
})

export const IdParams = t.Object({ id: t.String({ description: 'Link id (UUID); anything else is a 404' }) })

export const ErrorResponse = t.Object({
  error: t.Object({ code: t.String(), message: t.String(), details: t.Optional(t.Unknown()) }),
})
