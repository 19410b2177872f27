import { t } from 'elysia'

const Money = t.Object({
  minor: t.String({ description: 'Integer minor units (cents), as a string' }),
  amount: t.String({ description: 'Exact decimal in the major unit, e.g. "16.00"' }),
})

export const CommissionBody = t.Object({
  id: t.String(),
  conversionId: t.String(),
  attributionId: t.String(),
  influencerId: t.String(),
  programId: t.String(),
  eventKind: t.String(),
  currency: t.String(),
  status: t.Union([t.Literal('pending'), t.Literal('approved'), t.Literal('paid'), t.Literal('reversed')]),
  base: Money,
  rate: t.Nullable(t.String({ description: 'Effective rate as a fraction ("0.200000"); null when fixed' })),
  gross: Money,
  fee: Money,
  net: Money,
  holdUntil: t.String(),
  approvedAt: t.Nullable(t.String()),
  paidAt: t.Nullable(t.String()),
  payoutId: t.Nullable(t.String()),
  reversedAt: t.Nullable(t.String()),
  createdAt: t.String(),
})

export const CommissionList = t.Object({
  data: t.Array(CommissionBody),
  nextCursor: t.Nullable(
    t.String({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  ),
})

export const CommissionQuery = t.Object({
  influencerId: t.Optional(t.String()),
  programId: t.Optional(t.String()),
  status: t.Optional(
    t.Union([t.Literal('pending'), t.Literal('approved'), t.Literal('paid'), t.Literal('reversed')]),
  ),
  cursor: t.Optional(t.String()),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, default: 50 })),
})

export const IdParams = t.Object({
  id: t.String({ description: 'Commission id (UUID); anything else is a 404' }),
})

export const ReverseInput = t.Object({
  reason: t.String({
    minLength: 3,
    maxLength: 500,
    description: 'Why, for the audit trail (e.g. "fraud review")',
  }),
})

export const BalancesQuery = t.Object({
  influencerId: t.Optional(
    t.String({ description: 'Required for admin keys; an influencer key reads its own (the default)' }),
  ),
})

export const Balances = t.Object({
  data: t.Array(
    t.Object({
      currency: t.String(),
      pending: t.String(),
      approved: t.String(),
      paid: t.String(),
      payouts: t.String(),
      carried: t.String({
        description: 'Clawbacks after payout and adjustments; negative is carried forward',
      }),
      balance: t.String({
        description: 'Sum of all ledger entries = pending + approved + paid + payouts + carried',
      }),
    }),
  ),
})
