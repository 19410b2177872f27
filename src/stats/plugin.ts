import { Elysia } from 'elysia'
import { needs } from '../auth/ownership.ts'
import { adminErrors, ApiError, principalAuth, scopedDetail } from '../auth/plugin.ts'
import type { Authenticator } from '../auth/principal.ts'
import type { Store } from '../db/store.ts'
import { csvResponse } from './csv.ts'
import {
  BreakdownBody,
  BreakdownQuery,
  SiteBody,
  SiteQuery,
  SummaryBody,
  SummaryQuery,
  TimeseriesBody,
  TimeseriesQuery,
  TopLinksBody,
  TopProductsBody,
  TopQuery,
} from './model.ts'
import { breakdown, summary, timeseries, topLinksOf, topProductsOf } from './service.ts'
import { siteStats } from './site.ts'

const detail = scopedDetail('stats')
const errors = { ...adminErrors, 403: ApiError }

/** CSV when asked by `format=csv`, or by `Accept: text/csv` unless `format=json`. */
const wantsCsv = (request: Request, format: string | undefined) =>
  format === 'csv' || (format === undefined && (request.headers.get('accept') ?? '').includes('text/csv'))

/**
 * The body as JSON, or its table as CSV. Always a Response, so one handler can answer either (a returned Response is
 * not checked against the route's response schema, which stays for the docs).
 */
function reply(
  request: Request,
  format: string | undefined,
  table: string,
  body: { from: string; to: string },
  rows: readonly Record<string, unknown>[],
): Response {
  return wantsCsv(request, format) ? csvResponse(table, body, rows) : Response.json(body)
}

const CSV_NOTE = ' `format=csv` (or `Accept: text/csv`) answers the same rows as CSV.'

export const statsPlugin = ({ store, authenticate }: { store: Store; authenticate: Authenticator }) =>
  new Elysia({ name: 'stats', prefix: '/api/v1/stats' })
    .use(principalAuth(authenticate))
    .get(
      '/summary',
      async ({ principal, query, request }) => {
        const body = await summary({ store, principal, query })
        return reply(request, query.format, 'summary', body, [body])
      },
      {
        query: SummaryQuery,
        response: { 200: SummaryBody, ...errors },
        ...needs(
          'stats:read',
          detail(
            'Totals over a range',
            'Clicks, unique and human clicks, conversions, conversion rate; revenue, AOV, EPC and commissions by status per currency.' +
              CSV_NOTE,
          ),
        ),
      },
    )
    .get('/site', ({ principal, query }) => siteStats({ store, principal, query }), {
      query: SiteQuery,
      response: { 200: SiteBody, ...errors },
      ...needs(
        'stats:read',
        detail(
          'On-site snippet: sessions, qualified sessions, pageviews and conversions, raw and billable',
          "Billable follows each program's billing policy (its billable kinds; a genuine unexpired click id; bot " +
            'score under the threshold; conversions not held or rejected by a fraud flag unless the program bills ' +
            'those). Sessions count by their first event; unattributed lists events naming none of the programs.',
        ),
      ),
    })
    .get(
      '/timeseries',
      async ({ principal, query, request }) => {
        const body = await timeseries({ store, principal, query })
        return reply(request, query.format, 'timeseries', body, body.data)
      },
      {
        query: TimeseriesQuery,
        response: { 200: TimeseriesBody, ...errors },
        ...needs(
          'stats:read',
          detail(
            'Metrics per hour or per day of a time zone',
            'Every bucket of the range, empty ones included. Days follow the zone across DST; in zones offset by a ' +
              'fraction of an hour the hour containing local midnight counts to the day it starts in.' +
              CSV_NOTE,
          ),
        ),
      },
    )
    .get(
      '/breakdown',
      async ({ principal, query, request }) => {
        const body = await breakdown({ store, principal, query })
        return reply(request, query.format, `breakdown-${body.dim}`, body, body.data)
      },
      {
        query: BreakdownQuery,
        response: { 200: BreakdownBody, ...errors },
        ...needs(
          'stats:read',
          detail('Clicks by device, browser, OS, country or referrer host', CSV_NOTE.trim()),
        ),
      },
    )
    .get(
      '/top-links',
      async ({ principal, query, request }) => {
        const body = await topLinksOf({ store, principal, query })
        return reply(request, query.format, 'top-links', body, body.data)
      },
      {
        query: TopQuery,
        response: { 200: TopLinksBody, ...errors },
        ...needs(
          'stats:read',
          detail('Links ranked by clicks, human clicks or conversions', CSV_NOTE.trim()),
        ),
      },
    )
    .get(
      '/top-products',
      async ({ principal, query, request }) => {
        const body = await topProductsOf({ store, principal, query })
        return reply(request, query.format, 'top-products', body, body.data)
      },
      {
        query: TopQuery,
        response: { 200: TopProductsBody, ...errors },
        ...needs('stats:read', detail('Products (of the links) ranked like top links', CSV_NOTE.trim())),
      },
    )
