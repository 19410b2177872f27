import { Elysia } from 'elysia'
import { adminAuth, adminDetail, adminErrors } from '../auth/plugin.ts'
import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import { IdParams, MarkPaidInput, RequestInput, RunInput, RunReportBody, StatementQuery } from './model.ts'
import { statementCsv, statementRows } from './providers/manual.ts'
import { getPayout, markPaid, type PayoutDeps, payoutView, requestPayout, runPayouts } from './service.ts'

const errors = adminErrors
const detail = adminDetail('payouts')

export const payoutsPlugin = ({ store, config, deps }: { store: Store; config: Config; deps: PayoutDeps }) =>
  new Elysia({ name: 'payouts', prefix: '/api/v1/payouts' })
    .use(adminAuth({ adminApiKey: config.secrets.adminApiKey }))
    .post('/runs', ({ body }) => runPayouts(deps, body), {
      body: RunInput,
      response: { 200: RunReportBody, ...errors },
      detail: detail(
        'Run the payouts of a period',
        'Keyed by (period, currency): running it again finishes payouts left in flight and pays no one twice; ' +
          'only one process runs a period at a time (`ran: false` for the other). Everyone owed at least their ' +
          'minimum (default $50) is paid; below it the balance rolls over.',
      ),
    })
    .post('/requests', ({ body }) => requestPayout(deps, body.influencerId, body.currency), {
      body: RequestInput,
      detail: detail(
        'An influencer asks for their available balance',
        "Same machinery as a run, under the day's request period: asking twice the same day finds the same " +
          'payout. 422 below_minimum or nothing_to_pay.',
      ),
    })
    .get('/:id', async ({ params }) => payoutView(await getPayout(store.db, params.id)), {
      params: IdParams,
      detail: detail('Get a payout'),
    })
    .get(
      '/:id/statement',
      async ({ params, query, set }) => {
        const p = await getPayout(store.db, params.id)
        if (query.format !== 'csv') return { payout: payoutView(p), statement: p.statement }
        set.headers['content-type'] = 'text/csv; charset=utf-8'
        set.headers['content-disposition'] = `attachment; filename="payout-${p.id}.csv"`
        return statementCsv(statementRows(p, p.influencerId))
      },
      {
        params: IdParams,
        query: StatementQuery,
        detail: detail(
          'A payout statement',
          'Each commission (net of reversals), the balance carried from earlier payouts and the processing fee. ' +
            '`?format=csv` for CSV (cells that could start a spreadsheet formula are neutralised).',
        ),
      },
    )
    .post(
      '/:id/mark-paid',
      async ({ params, body }) => payoutView(await markPaid(store.db, params.id, body.reference)),
      {
        params: IdParams,
        body: MarkPaidInput,
        detail: detail(
          'Record a manual or ACH payout as paid',
          'With the bank reference; 409 for provider payouts.',
        ),
      },
    )
