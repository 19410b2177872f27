// COPY … FROM STDIN text format, shared by the Postgres and PGlite stores so values convert identically.

const SPECIAL = /[\\\t\n\r]/
const SPECIAL_ALL = /[\\\t\n\r]/g
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/** A text value for COPY: backslash, tab, newline and CR escaped. */
export function escapeCopy(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c] as string) : text
}

/**
 * One row in COPY text format, newline included. Plain objects and arrays are written as JSON (so
 * Postgres array columns are not supported here). A string goes in as is: a json/jsonb column takes it as
 * JSON text, so pass objects, or strings that already are JSON.
 */
export function encodeCopyRow(values: readonly unknown[]): string {
  let line = ''
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t'
    line += encodeCopyValue(values[i])
  }
  return `${line}\n`
}

/** "schema.table" → "schema"."table". */
export function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.')
}

export function encodeCopyRows(rows: readonly (readonly unknown[])[]): string {
  let text = ''
  for (const row of rows) text += encodeCopyRow(row)
  return text
}

function encodeCopyValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return escapeCopy(v)
    case 'number':
    case 'bigint':
      return String(v)
    case 'boolean':
      return v ? 't' : 'f'
    case 'undefined':
      return '\\N'
    case 'object':
      if (v === null) return '\\N'
      if (v instanceof Date) return v.toISOString()
      // bytea's hex input form is \x…; the backslash itself needs escaping in COPY text.
      if (v instanceof Uint8Array)
        return `\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`
      return escapeCopy(JSON.stringify(v))
    default:
      throw new TypeError(`cannot COPY a ${typeof v}`)
  }
}
