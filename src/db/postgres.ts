import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres, { type Notice } from 'postgres'
import * as schema from './schema/index.ts'
import type { Db, Store } from './store.ts'

export interface PostgresOptions {
  url: string
  /** Per client: drizzle and raw SQL each get a pool this size, plus one LISTEN connection. */
  poolSize: number
  /** A wrong host should fail start-up quickly, not after postgres.js's 30 s default. */
  connectTimeoutSeconds?: number
  onNotice?: (notice: Notice) => void
}

// Default backoff grows 3^n to 20 s, so a LISTEN socket could sit idle for ~20 s after Postgres returns,
// missing invalidations. Retry every ≤0.5 s instead: cheap, and LISTEN resumes within ~0.5 s.
const reconnectBackoff = (attempt: number) => Math.min(0.05 * 2 ** attempt, 0.5)

// Flushed to the socket in pieces of about this many characters so a big batch never sits whole in memory twice.
const COPY_CHUNK_CHARS = 64 * 1024

export function openPostgres(opts: PostgresOptions): Store {
  const clientOptions = {
    max: opts.poolSize,
    connect_timeout: opts.connectTimeoutSeconds ?? 5,
    // Migrations' "already exists, skipping" notices would otherwise go to console.log.
    onnotice: opts.onNotice ?? (() => {}),
    backoff: reconnectBackoff,
  }
  const sql = postgres(opts.url, clientOptions)
  // drizzle rewrites its client's date/json parsers and serializers to pass-throughs; on a shared client raw
  // queries would get timestamp strings and could not bind Dates or objects. So drizzle gets its own pool.
  const drizzleSql = postgres(opts.url, clientOptions)
  const db = drizzle({ client: drizzleSql, schema }) as unknown as Db

  return {
    kind: 'postgres',
    db,
    async query<T>(text: string, params: unknown[] = []) {
      return (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[]
    },
    async listen(channel, onMessage, onReady) {
      // postgres.js re-runs LISTEN and onReady after every reconnect by itself.
      const { unlisten } = await sql.listen(channel, onMessage, onReady)
      return unlisten
    },
    async notify(channel, payload) {
      await sql.notify(channel, payload)
    },
    async bulkInsert(table, columns, rows) {
      if (rows.length === 0) return 0
      const stream = await sql`copy ${sql(table)} (${sql(columns as string[])}) from stdin`.writable()
      await pipeline(Readable.from(copyChunks(rows)), stream)
      return rows.length
    },
    async close() {
      await Promise.all([sql.end({ timeout: 5 }), drizzleSql.end({ timeout: 5 })])
    },
  }
}

function* copyChunks(rows: readonly (readonly unknown[])[]): Generator<string> {
  let buf = ''
  for (const row of rows) {
    buf += encodeCopyRow(row)
    if (buf.length >= COPY_CHUNK_CHARS) {
      yield buf
      buf = ''
    }
  }
  if (buf) yield buf
}

const SPECIAL = /[\\\t\n\r]/
const SPECIAL_ALL = /[\\\t\n\r]/g
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

function escapeCopy(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c] as string) : text
}

/**
 * One row in COPY text format, newline included. Plain objects and arrays are written as JSON (so
 * Postgres array columns are not supported here); a string is sent as is, so for json/jsonb columns pass
 * the value, not its JSON text.
 */
export function encodeCopyRow(values: readonly unknown[]): string {
  let line = ''
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t'
    line += encodeCopyValue(values[i])
  }
  return `${line}\n`
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
