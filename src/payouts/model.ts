import { t } from 'elysia'

const PERIOD = t.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9:._-]{0,39}$',
  description:
    'The run key with the currency, e.g. "2026-11" or "2026-W47"; running the same period again is the same run',
})
const CURRENCY = t.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217' })

export const RunInput = t.Object({ period: PERIOD, currency: CURRENCY })
export const RequestInput = t.Object({
  influencerId: t.Optional(
    t.String({
      description:
        'The influencer to pay their available balance: required for admin keys; an influencer key asks for itself',
    }),
  ),
  currency: CURRENCY,
})
export const MarkPaidInput = t.Object({
  reference: t.String({ minLength: 1, maxLength: 200, description: 'Bank or transfer reference' }),
})
export const IdParams = t.Object({ id: t.String({ description: 'Payout id (UUID)' }) })
export const StatementQuery = t.Object({ format: t.Optional(t.Union([t.Literal('json'), t.Literal('csv')])) })

export const RunReportBody = t.Object({
  runId: t.String(),
  period: t.String(),
  currency: t.String(),
  ran: t.Boolean({ description: 'False when another process is running this period right now' }),
  payouts: t.Array(
    t.Object({ id: t.String(), influencerId: t.String(), status: t.String(), netMinor: t.String() }),
  ),
  rolledOver: t.Integer({
    description: 'Influencers owed less than their minimum: their balance rolls over',
  }),
})
