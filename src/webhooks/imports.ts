import type { Config } from '../config.ts'
import type { ImportMapping } from '../db/schema/index.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { CsvError, type CsvRecord, parseCsv } from './csv.ts'
import { type ImportedRow, mappingGaps, normalizeImportedBody } from './csv-row.ts'
import { mappingRow } from './import-mappings.ts'
import { failureMessage, isTransientDbError } from './failures.ts'
import { EventFailedError, ingest } from './pipeline.ts'
import { merchantIdOf } from './secrets.ts'

// CSV reports from networks that send no webhooks. Per row, not per file: each row is its own webhook_events
// row (source csv_import) and goes through the same exactly-once pipeline as a webhook, so a re-upload, an
// overlapping report or an upload cut short by an outage can simply be sent again.

/** Checked here too, for bodies sent without a Content-Length (app.ts refuses declared ones). */
export const MAX_IMPORT_BYTES = 8 * 1024 * 1024
const MAX_ROW_ERRORS = 1000
const IMPORT_HEADERS = { 'content-type': 'text/csv' }

export interface RowError {
  readonly row: number
  readonly line: number
  readonly reason: string
  readonly eventId?: string
}

export interface ImportSummary {
  readonly merchant: string
  readonly network: string
  readonly rows: number
  readonly created: number
  readonly duplicates: number
  readonly rejected: number
  readonly errors: RowError[]
  readonly errorsTruncated: boolean
}

type ImportInput = { merchant: string; network: string; body: ArrayBuffer }

export async function importConversions(d: { store: Store; config: Config }, i: ImportInput) {
  try {
    return await importRows(d, i)
  } catch (err) {
    if (!isTransientDbError(err)) throw err
    throw new HttpError(503, 'unavailable', 'the database is unavailable; upload the file again later')
  }
}

async function importRows(d: { store: Store; config: Config }, i: ImportInput): Promise<ImportSummary> {
  const merchantId = await merchantIdOf(d.store, i.merchant)
  const saved = await mappingRow(d.store.db, merchantId, i.network)
  const gaps = saved ? mappingGaps(saved.mapping) : ['a saved mapping']
  if (!saved || gaps.length)
    throw new HttpError(
      422,
      'no_mapping',
      `no usable column mapping for ${i.merchant} / ${i.network}: missing ${gaps.join(', ')}; ` +
        `PUT /api/v1/imports/mappings/${i.merchant}/${i.network} first`,
      { fields: gaps },
    )
  const [header, ...records] = readCsv(i.body, saved.mapping.delimiter)
  const columns = headerNames(header, saved.mapping)
  const s = { merchant: i.merchant, network: i.network, rows: 0, created: 0, duplicates: 0, rejected: 0 }
  const errors: RowError[] = []
  const reject = (e: RowError) => {
    s.rejected++
    if (errors.length < MAX_ROW_ERRORS) errors.push(e)
  }
  for (const rec of records) {
    const at = { row: ++s.rows, line: rec.line }
    if (rec.fields.length !== columns.length) {
      reject({ ...at, reason: `has ${rec.fields.length} fields; the header has ${columns.length}` })
      continue
    }
    const row = Object.fromEntries(columns.map((c, k) => [c, rec.fields[k] ?? '']))
    const body: ImportedRow = { network: i.network, mapping: saved.mapping, row }
    const rawBody = JSON.stringify(body)
    const normalized = normalizeImportedBody(rawBody)
    const event = normalized.ok ? normalized.events[0] : undefined
    if (!event) {
      reject({ ...at, reason: normalized.ok ? 'no event' : normalized.message })
      continue
    }
    const externalId = event.externalEventId
    try {
      const r = await ingest(d.store.db, d.config, {
        source: 'csv_import',
        merchantId,
        externalId,
        headers: IMPORT_HEADERS,
        rawBody,
        events: [event],
      })
      if (r.created > 0) s.created++
      else s.duplicates++
    } catch (err) {
      if (isTransientDbError(err))
        throw new HttpError(
          503,
          'unavailable',
          `the database became unavailable at row ${at.row}; rows before it are stored, and uploading the ` +
            'file again adds only what is missing',
        )
      // Kept on its event as 'failed' (replayable); the other rows go on.
      if (err instanceof EventFailedError) reject({ ...at, reason: err.message, eventId: err.eventId })
      else reject({ ...at, reason: `processing failed: ${failureMessage(err)}` })
    }
  }
  const summary = { ...s, errors, errorsTruncated: s.rejected > errors.length }
  if (s.rows > 0 && s.rejected === s.rows)
    throw new HttpError(422, 'all_rows_rejected', `all ${s.rows} rows were rejected`, summary)
  return summary
}

function readCsv(body: ArrayBuffer, delimiter: ImportMapping['delimiter']): [CsvRecord, ...CsvRecord[]] {
  if (body.byteLength > MAX_IMPORT_BYTES)
    throw new HttpError(413, 'body_too_large', `request body exceeds ${MAX_IMPORT_BYTES} bytes`)
  let text: string
  try {
    // Strict: a report saved in another encoding would otherwise import mangled ids.
    text = new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    throw new HttpError(400, 'malformed_csv', 'the file is not UTF-8 text')
  }
  try {
    const [header, ...rest] = parseCsv(text, delimiter ?? ',')
    if (!header) throw new CsvError(1, 'the file is empty; expected a header line')
    return [header, ...rest]
  } catch (err) {
    if (!(err instanceof CsvError)) throw err
    throw new HttpError(400, 'malformed_csv', err.message, { line: err.line })
  }
}

/** The header's names (trimmed); 422 when a mapped column is absent or appears twice. */
function headerNames(header: CsvRecord, mapping: ImportMapping): string[] {
  const names = header.fields.map((f) => f.trim())
  const lower = names.map((n) => n.toLowerCase())
  const missing: string[] = []
  const twice: string[] = []
  for (const [field, column] of Object.entries(mapping.columns)) {
    if (typeof column !== 'string') continue
    const n = lower.filter((h) => h === column.toLowerCase()).length
    if (n === 0) missing.push(`${field} → "${column}"`)
    if (n > 1) twice.push(`"${column}"`)
  }
  if (missing.length || twice.length)
    throw new HttpError(
      422,
      'mapping_mismatch',
      [
        missing.length ? `the header lacks mapped columns ${missing.join(', ')}` : '',
        twice.length ? `the header repeats ${twice.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ') + ` (header: ${names.join(', ')})`,
      { missing, repeated: twice, header: names },
    )
  return names
}
