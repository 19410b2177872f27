import { Elysia } from 'elysia'
import { needs, requireKind } from '../auth/ownership.ts'
import { adminDetail, adminErrors, ApiError, principalAuth, scopedDetail } from '../auth/plugin.ts'
import { type Authenticator, requireAdmin } from '../auth/principal.ts'
import type { Store } from '../db/store.ts'
import { IdParams, MarkPaidInput, RequestInput, RunInput, RunReportBody, StatementQuery } from './model.ts'
import { statementCsv, statementRows } from './providers/manual.ts'
import {
  getPayout,
  markPaid,
  ownedPayouts,
  type PayoutDeps,
  payoutView,
  requestedInfluencer,
  requestPayout,
  runPayouts,
} from './service.ts'

// A payout pays one influencer across every merchant it earns with: the influencer sees its own, the operator all,
// a merchant none (404, like a missing id). Runs act across tenants and name no id: admin only (403 otherwise).

const errors = { ...adminErrors, 403: ApiError }
const detail = scopedDetail('payouts')
const admin = adminDetail('payouts')
const WHO = ' An influencer key sees its own payouts; merchant keys see none.'

export const payoutsPlugin = (o: { store: Store; deps: PayoutDeps; authenticate: Authenticator }) => {
  const { deps } = o
  const db = o.store.db
  return new Elysia({ name: 'payouts', prefix: '/api/v1/payouts' })
    .use(principalAuth(o.authenticate))
    .post(
      '/runs',
      ({ principal, clientIp, body }) => {
        requireAdmin(principal)
        return runPayouts(deps, body, { principal, ip: clientIp })
      },
      {
        body: RunInput,
        response: { 200: RunReportBody, ...errors },
        ...needs(
          'payouts:write',
          admin(
            'Run the payouts of a period',
            'Keyed by (period, currency): running it again finishes payouts left in flight and pays no one twice; ' +
              'only one process runs a period at a time (`ran: false` for the other). Everyone owed at least their ' +
              'minimum (default $50) is paid; below it the balance rolls over. Any other key: 403 forbidden.',
          ),
        ),
      },
    )
    .post(
      '/requests',
      async ({ principal, body }) =>
        requestPayout(deps, await requestedInfluencer(db, principal, body.influencerId), body.currency),
      {
        body: RequestInput,
        ...needs(
          'payouts:write',
          detail(
            'An influencer asks for their available balance',
            "Same machinery as a run, under the day's request period: asking twice the same day finds the same " +
              'payout. 422 below_minimum or nothing_to_pay. An influencer key asks for itself; admin keys name ' +
              'the influencer; merchant keys get 404.',
          ),
        ),
      },
    )
    .get(
      '/:id',
      async ({ principal, params }) => payoutView(await getPayout(db, params.id, ownedPayouts(principal))),
      {
        params: IdParams,
        ...needs('payouts:read', detail('Get a payout', WHO.trim())),
      },
    )
    .get(
      '/:id/statement',
      async ({ principal, params, query, set }) => {
        const p = await getPayout(db, params.id, ownedPayouts(principal))
        if (query.format !== 'csv') return { payout: payoutView(p), statement: p.statement }
        set.headers['content-type'] = 'text/csv; charset=utf-8'
        set.headers['content-disposition'] = `attachment; filename="payout-${p.id}.csv"`
        return statementCsv(statementRows(p, p.influencerId))
      },
      {
        params: IdParams,
        query: StatementQuery,
        ...needs(
          'payouts:read',
          detail(
            'A payout statement',
            'Each commission (net of reversals), the balance carried from earlier payouts and the processing fee. ' +
              '`?format=csv` for CSV (cells that could start a spreadsheet formula are neutralised).' +
              WHO,
          ),
        ),
      },
    )
    .post(
      '/:id/mark-paid',
      async ({ principal, clientIp, params, body }) => {
        // Found first, so someone else's payout is a 404; an influencer's own is a 403 (it may not confirm it).
        const p = await getPayout(db, params.id, ownedPayouts(principal))
        requireKind(principal, 'admin')
        return payoutView(await markPaid(db, p.id, body.reference, { principal, ip: clientIp }))
      },
      {
        params: IdParams,
        body: MarkPaidInput,
        ...needs(
          'payouts:write',
          admin(
            'Record a manual or ACH payout as paid',
            'With the bank reference; 409 for provider payouts. An influencer key gets 403 for its own payouts.',
          ),
        ),
      },
    )
}
