import { Elysia, t } from 'elysia'
import { needs, requireKind } from '../auth/ownership.ts'
import { adminErrors, ApiError, principalAuth, scopedDetail } from '../auth/plugin.ts'
import type { Authenticator, Principal } from '../auth/principal.ts'
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
import { balancesFor, ownedCommissions } from './queries.ts'
import {
  approveCommission,
  commissionView,
  explainCommission,
  getCommission,
  listCommissions,
  reverseCommission,
} from './review.ts'

const errors = { ...adminErrors, 403: ApiError }
const detail = scopedDetail('commissions')
const MERCHANT_ONLY =
  "An admin or merchant key (the merchant's own programs); an influencer key gets 403 forbidden for its own " +
  'commissions and 404 for anyone else’s.'

export const commissionsPlugin = ({ store, authenticate }: { store: Store; authenticate: Authenticator }) => {
  const db = store.db
  /** Finds a commission the caller may see (else the 404 of a missing one), then refuses influencers. */
  const forReview = async (p: Principal, id: string) => {
    const c = await getCommission(db, id, ownedCommissions(p))
    requireKind(p, 'admin', 'merchant')
    return c
  }
  return new Elysia({ name: 'commissions', prefix: '/api/v1' })
    .use(principalAuth(authenticate))
    .get('/commissions', ({ principal, query }) => listCommissions(db, query, ownedCommissions(principal)), {
      query: CommissionQuery,
      response: { 200: CommissionList, ...errors },
      ...needs(
        'commissions:read',
        detail('List commissions', 'Newest first; filter by influencer, program and status.'),
      ),
    })
    .get(
      '/commissions/:id',
      async ({ principal, params }) =>
        commissionView(await getCommission(db, params.id, ownedCommissions(principal))),
      {
        params: IdParams,
        response: { 200: CommissionBody, ...errors },
        ...needs('commissions:read', detail('Get a commission')),
      },
    )
    .get(
      '/commissions/:id/explain',
      ({ principal, params }) => explainCommission(db, params.id, ownedCommissions(principal)),
      {
        params: IdParams,
        response: { 200: t.Unknown(), ...errors },
        ...needs(
          'commissions:read',
          detail(
            'Explain a commission',
            'Every step: the conversion, the attribution (evidence, model, weight, touches), the base and excluded ' +
              'lines, rate/tier/boost, fee and rounding, then reversals and ledger entries.',
          ),
        ),
      },
    )
    .post(
      '/commissions/:id/approve',
      async ({ principal, clientIp, params }) =>
        commissionView(
          await approveCommission(db, (await forReview(principal, params.id)).id, {
            principal,
            ip: clientIp,
          }),
        ),
      {
        params: IdParams,
        response: { 200: CommissionBody, ...errors },
        ...needs(
          'commissions:write',
          detail(
            'Approve before the hold ends',
            `Only a pending commission; otherwise 409 not_pending. ${MERCHANT_ONLY}`,
          ),
        ),
      },
    )
    .post(
      '/commissions/:id/reverse',
      async ({ principal, clientIp, params, body }) =>
        commissionView(
          await reverseCommission(db, (await forReview(principal, params.id)).id, body.reason, {
            principal,
            ip: clientIp,
          }),
        ),
      {
        params: IdParams,
        body: ReverseInput,
        response: { 200: CommissionBody, ...errors },
        ...needs(
          'commissions:write',
          detail(
            'Reverse what is left of a commission',
            'Before payout it ends reversed; after payout the influencer gets a clawback carried into the next ' +
              `payout. 409 nothing_to_reverse once fully reversed. ${MERCHANT_ONLY}`,
          ),
        ),
      },
    )
    .get(
      '/balances',
      async ({ principal, query }) => ({ data: await balancesFor(db, principal, query.influencerId) }),
      {
        query: BalancesQuery,
        response: { 200: Balances, ...errors },
        ...needs(
          'commissions:read',
          detail(
            'An influencer’s balances per currency, derived from the ledger',
            'An influencer key reads its own; a balance spans merchants, so merchant keys get 404.',
          ),
        ),
      },
    )
}
