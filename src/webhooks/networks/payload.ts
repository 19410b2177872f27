// Shared by the adapters: JSON bodies and the 400/422 results they return.
import type { NormalizeResult } from '../adapter.ts'

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function fail(
  status: 400 | 422,
  code: string,
  message: string,
  fields?: readonly string[],
): NormalizeResult {
  return fields
    ? { ok: false, status, code, message, fields: [...fields] }
    : { ok: false, status, code, message }
}

/** The body as a JSON object, or the 400 to return. */
export function parseJsonObject(
  rawBody: string,
): { body: Record<string, unknown> } | { error: NormalizeResult } {
  let parsed: unknown
  try {
    parsed = JSON.parse(rawBody)
  } catch (e) {
    return { error: fail(400, 'malformed_json', `body is not valid JSON: ${(e as Error).message}`) }
  }
  return isPlainObject(parsed)
    ? { body: parsed }
    : { error: fail(400, 'malformed_json', 'body must be a JSON object') }
}

/** 422 listing the fields that are absent or unusable, by their names in the provider's payload. */
export function missingFields(fields: string[]): NormalizeResult {
  return fail(422, 'missing_fields', `missing or invalid: ${fields.join(', ')}`, fields)
}
