import { Elysia } from 'elysia'
import { adminAuth } from '../auth/plugin.ts'
import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { getMapping, putMapping } from './import-mappings.ts'
import { importConversions } from './imports.ts'
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
  description: `${description} Requires \`Authorization: Bearer <ADMIN_API_KEY>\`.`,
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

export const importsPlugin = ({ store, config }: { store: Store; config: Config }) =>
  new Elysia({ name: 'imports', prefix: '/api/v1/imports' })
    .use(adminAuth({ adminApiKey: config.secrets.adminApiKey }))
    .put(
      '/mappings/:merchant/:network',
      ({ params, body }) => putMapping(store, { ...params, mapping: body }),
      {
        params: MappingParams,
        body: ImportMappingInput,
        response: { 200: ImportMappingView, ...errors },
        detail: detail(
          'Save the column mapping of a network’s CSV report',
          'Creates or replaces it. 422 naming what is missing (order_id, occurred_at, total, and currency ' +
            'or defaultCurrency); 404 unknown merchant.',
        ),
      },
    )
    .get('/mappings/:merchant/:network', ({ params }) => getMapping(store, params), {
      params: MappingParams,
      response: { 200: ImportMappingView, ...errors },
      detail: detail('Get a saved column mapping', '404 when the merchant or the mapping does not exist.'),
    })
    .post(
      '/conversions',
      async ({ query, request }) =>
        importConversions({ store, config }, { ...query, body: await csvBody(request) }),
      {
        parse: 'none',
        query: ImportQuery,
        response: { 200: ImportResult, ...errors },
        detail: {
          ...detail('Import conversions from a network’s CSV report', IMPORT_DESCRIPTION),
          requestBody: {
            required: true,
            content: { 'text/csv': { schema: { type: 'string', description: 'The report, header first' } } },
          },
        },
      },
    )
