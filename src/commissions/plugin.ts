import { Elysia, t } from 'elysia'
import { adminAuth, adminDetail, adminErrors } from '../auth/plugin.ts'
import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import {
  Balances,
  BalancesQuery,
  CommissionBody,
  CommissionList,
  CommissionQuery,
  IdParams,
  ReverseInput,
} from './model.ts'
import {
  approveCommission,
  balancesOf,
  explainCommission,
  getCommission,
  listCommissions,
  reverseCommission,
} from './service.ts'
import { commissionView } from './review.ts'

const errors = adminErrors
const detail = adminDetail('commissions')

export const commissionsPlugin = ({ store, config }: { store: Store; config: Config }) =>
  new Elysia({ name: 'commissions', prefix: '/api/v1' })
    .use(adminAuth({ adminApiKey: config.secrets.adminApiKey }))
    .get('/commissions', ({ query }) => listCommissions(store.db, query), {
      query: CommissionQuery,
      response: { 200: CommissionList, ...errors },
      detail: detail('List commissions', 'Newest first; filter by influencer, program and status.'),
    })
    .get('/commissions/:id', async ({ params }) => commissionView(await getCommission(store.db, params.id)), {
      params: IdParams,
      response: { 200: CommissionBody, ...errors },
      detail: detail('Get a commission'),
    })
    .get('/commissions/:id/explain', ({ params }) => explainCommission(store.db, params.id), {
      params: IdParams,
      response: { 200: t.Unknown(), ...errors },
      detail: detail(
        'Explain a commission',
        'Every step: the conversion, the attribution (evidence, model, weight, touches), the base and excluded ' +
          'lines, rate/tier/boost, fee and rounding, then reversals and ledger entries.',
      ),
    })
    .post(
      '/commissions/:id/approve',
      async ({ params }) => commissionView(await approveCommission(store.db, params.id)),
      {
        params: IdParams,
        response: { 200: CommissionBody, ...errors },
        detail: detail(
          'Approve before the hold ends',
          'Only a pending commission; otherwise 409 not_pending.',
        ),
      },
    )
    .post(
      '/commissions/:id/reverse',
      async ({ params, body }) => commissionView(await reverseCommission(store.db, params.id, body.reason)),
      {
        params: IdParams,
        body: ReverseInput,
        response: { 200: CommissionBody, ...errors },
        detail: detail(
          'Reverse what is left of a commission',
          'Before payout it ends reversed; after payout the influencer gets a clawback carried into the next ' +
            'payout. 409 nothing_to_reverse once fully reversed.',
        ),
      },
    )
    .get('/balances', async ({ query }) => ({ data: await balancesOf(store.db, query.influencerId) }), {
      query: BalancesQuery,
      response: { 200: Balances, ...errors },
      detail: detail('An influencer’s balances per currency, derived from the ledger'),
    })
