import { t } from 'elysia'
import { FRAUD_RULES } from './rules.ts'

export const FlagBody = t.Object({
  id: t.String(),
  rule: t.String({ description: FRAUD_RULES.join(', ') }),
  status: t.Union([t.Literal('open'), t.Literal('cleared'), t.Literal('rejected')]),
  influencerId: t.String(),
  conversionId: t.Nullable(t.String()),
  commissionId: t.Nullable(
    t.String({ description: 'The held commission; null for a finding on the influencer alone' }),
  ),
  programId: t.Nullable(t.String()),
  merchantId: t.Nullable(t.String()),
  reason: t.String({
    description: 'The evidence in words and figures (hashes only, never an address or email)',
  }),
  details: t.Record(t.String(), t.Unknown()),
  createdAt: t.String(),
  resolvedAt: t.Nullable(t.String()),
  resolvedBy: t.Nullable(t.String({ description: 'User id of the reviewer; null for the admin key' })),
  resolutionNote: t.Nullable(t.String()),
  commission: t.Nullable(
    t.Object({
      status: t.Nullable(t.String()),
      heldAt: t.Nullable(t.String()),
      holdReason: t.Nullable(t.String()),
    }),
  ),
})

export const FlagList = t.Object({
  data: t.Array(FlagBody),
  nextCursor: t.Nullable(
    t.String({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  ),
})

export const FlagQuery = t.Object({
  status: t.Optional(t.Union([t.Literal('open'), t.Literal('resolved')])),
  influencerId: t.Optional(t.String()),
  rule: t.Optional(t.Union(FRAUD_RULES.map((r) => t.Literal(r)))),
  cursor: t.Optional(t.String()),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, default: 50 })),
})

export const FlagParams = t.Object({
  id: t.String({ description: 'Fraud flag id (UUID); anything else is a 404' }),
})

export const DecisionInput = t.Object({
  note: t.String({ minLength: 3, maxLength: 1000, description: 'Why, for the audit trail' }),
})
