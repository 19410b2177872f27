import { Elysia } from 'elysia'
import { needs } from '../auth/ownership.ts'
import { principalAuth } from '../auth/plugin.ts'
import type { Authenticator } from '../auth/principal.ts'
import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { getMapping, putMapping } from './import-mappings.ts'
import { importConversions } from './imports.ts'
import { merchantIdOf } from './secrets.ts'
import {
  ErrorResponse,
  ImportMappingInput,
  ImportMappingView,
  ImportQuery,
  ImportResult,
  MappingParams,
} from './model.ts'

const errors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  413: ErrorResponse,
  415: ErrorResponse,
  422: ErrorResponse,
  503: ErrorResponse,
}
const detail = (summary: string, description: string) => ({
  tags: ['imports'],
  security: [{ bearer: [] }],
  summary,
  description:
    `${description} An admin key, or the merchant's own key for its own slug; any other merchant (and every ` +
    'merchant for an influencer key) answers 404 unknown_merchant, like one that does not exist.',
})

const IMPORT_DESCRIPTION =
  'For networks that only give reports (Amazon Associates, Levanta …). Name the merchant and network in the ' +
  'query (?merchant=glow-labs&network=amazon) and send the report itself as the body (Content-Type: ' +
  'text/csv, UTF-8, at most 8 MiB; RFC 4180 quoting, CRLF or LF, a BOM is ignored). Columns are read with ' +
  'the mapping saved by PUT /api/v1/imports/mappings/:merchant/:network; dates without an offset are UTC; ' +
  'amounts must be plain decimals (refund rows may be negative). Per row, not atomic: every row is stored ' +
  'and settled exactly once on its own (dedupe key network + kind + order id + refund id), so uploading the ' +
  'same file again changes nothing and a file cut short can simply be sent again. 200 with counts and the ' +
  'rejected rows (row number, line, reason; the first 1,000); 422 when every row is rejected (same body in ' +
  'error.details), when no mapping is saved, or when the header lacks a mapped column; 400 for a malformed ' +
  'file, naming the line; 404 unknown merchant.'

// text/csv is what reports are; the rest are what browsers and spreadsheet tools label them as.
const CSV_TYPES = [
  'text/csv',
  'text/plain',
  'application/csv',
  'application/vnd.ms-excel',
  'application/octet-stream',
]

function csvBody(request: Request): Promise<ArrayBuffer> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
  if (type && !CSV_TYPES.includes(type))
    throw new HttpError(415, 'unsupported_media_type', `send the report as text/csv, not ${type}`)
  return request.arrayBuffer()
}

// Imports feed conversions in as webhooks do, so they share the webhooks scopes.
export const importsPlugin = ({
  store,
  config,
  authenticate,
}: {
  store: Store
  config: Config
  authenticate: Authenticator
}) =>
  new Elysia({ name: 'imports', prefix: '/api/v1/imports' })
    .use(principalAuth(authenticate))
    .put(
      '/mappings/:merchant/:network',
      ({ principal, params, body }) => putMapping(store, { ...params, mapping: body }, principal),
      {
        params: MappingParams,
        body: ImportMappingInput,
        response: { 200: ImportMappingView, ...errors },
        ...needs(
          'webhooks:write',
          detail(
            'Save the column mapping of a network’s CSV report',
            'Creates or replaces it. 422 naming what is missing (order_id, occurred_at, total, and currency ' +
              'or defaultCurrency); 404 unknown merchant.',
          ),
        ),
      },
    )
    .get('/mappings/:merchant/:network', ({ principal, params }) => getMapping(store, params, principal), {
      params: MappingParams,
      response: { 200: ImportMappingView, ...errors },
      ...needs(
        'webhooks:read',
        detail('Get a saved column mapping', '404 when the merchant or the mapping does not exist.'),
      ),
    })
    .post(
      '/conversions',
      async ({ principal, query, request }) => {
        // Someone else's merchant is refused before the body is read. The operator sees every merchant: the
        // import's own lookup (which answers 503 when Postgres is down) is enough for it.
        if (principal.kind !== 'admin') await merchantIdOf(store, query.merchant, principal)
        return importConversions({ store, config }, { ...query, body: await csvBody(request) })
      },
      {
        parse: 'none',
        query: ImportQuery,
        response: { 200: ImportResult, ...errors },
        ...needs('webhooks:write', {
          ...detail('Import conversions from a network’s CSV report', IMPORT_DESCRIPTION),
          requestBody: {
            required: true,
            content: {
              'text/csv': { schema: { type: 'string' as const, description: 'The report, header first' } },
            },
          },
        }),
      },
    )
