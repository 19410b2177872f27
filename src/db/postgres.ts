import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres, { type Notice } from 'postgres'
import * as schema from './schema/index.ts'
import type { Db, Store } from './store.ts'
import { encodeCopyRow, quoteIdent } from './copy-format.ts'
import { preparingClient } from './prepared.ts'

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

/**
 * libpq's `?host=/var/run/postgresql` (a Unix socket directory), which postgres.js does not read from a URL:
 * the socket path becomes its `path` option. Local sockets skip TCP, and each query costs less CPU.
 */
export function socketOf(url: string): { url: string; path?: string } {
  const u = new URL(url)
  const dir = u.searchParams.get('host')
  if (!dir?.startsWith('/')) return { url }
  u.searchParams.delete('host')
  return { url: u.toString(), path: `${dir.replace(/\/$/, '')}/.s.PGSQL.${u.port || 5432}` }
}

export function openPostgres(opts: PostgresOptions): Store {
  const target = socketOf(opts.url)
  const clientOptions = {
    ...(target.path ? { path: target.path } : {}),
    max: opts.poolSize,
    connect_timeout: opts.connectTimeoutSeconds ?? 5,
    // Migrations' "already exists, skipping" notices would otherwise go to console.log.
    onnotice: opts.onNotice ?? (() => {}),
    backoff: reconnectBackoff,
  }
  const sql = postgres(target.url, clientOptions)
  // drizzle rewrites its client's date/json parsers and serializers to pass-throughs; on a shared client raw
  // queries would get timestamp strings and could not bind Dates or objects. So drizzle gets its own pool.
  const drizzleSql = postgres(target.url, clientOptions)
  const db = drizzle({ client: preparingClient(drizzleSql), schema }) as unknown as Db

  return {
    kind: 'postgres',
    db,
    async query<T>(text: string, params: unknown[] = [], opts?: { prepare?: boolean }) {
      const args = params as postgres.ParameterOrJSON<never>[]
      return (await sql.unsafe(text, args, { prepare: opts?.prepare ?? false })) as unknown as T[]
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
      await copyReserved(sql, table, columns, copyChunks(rows))
      return rows.length
    },
    async copyIn(table, columns, text, opts) {
      if (text.length === 0) return 0
      if (!opts?.ignoreDuplicates) {
        await copyReserved(sql, table, columns, sliceText(text))
        return countRows(text)
      }
      // COPY cannot skip duplicates itself: stage the batch, then insert what is new.
      return sql.begin(async (tx) => {
        await tx.unsafe(
          `create temp table _sk_stage (like ${quoteIdent(table)} including defaults) on commit drop`,
        )
        await copyText(tx, '_sk_stage', columns, sliceText(text))
        const cols = columns.map(quoteIdent).join(', ')
        const r = await tx.unsafe(
          `insert into ${quoteIdent(table)} (${cols}) select ${cols} from _sk_stage on conflict do nothing`,
        )
        return r.count
      })
    },
    async close() {
      await Promise.all([sql.end({ timeout: 5 }), drizzleSql.end({ timeout: 5 })])
    },
  }
}

/**
 * postgres.js returns a COPY's connection to the pool once the stream opens, and a concurrent query then
 * lands mid-COPY (Postgres: "unexpected message type 0x50 during COPY"; the connection dies). So a COPY
 * outside a transaction runs on a reserved connection.
 */
async function copyReserved(
  sql: postgres.Sql,
  table: string,
  columns: readonly string[],
  chunks: Iterable<string>,
): Promise<void> {
  const conn = await sql.reserve()
  try {
    await copyText(conn, table, columns, chunks)
  } finally {
    conn.release()
  }
}

async function copyText(
  conn: postgres.ReservedSql | postgres.TransactionSql,
  table: string,
  columns: readonly string[],
  chunks: Iterable<string>,
): Promise<void> {
  const copy = conn`copy ${conn(table)} (${conn(columns as string[])}) from stdin`
  const rejected = serverRejection(copy)
  const stream = await copy.writable()
  await Promise.race([writeAll(stream, chunks), rejected])
}

/** Plain writes with backpressure: cheaper than a stream pipeline for the flusher's small, frequent batches. */
async function writeAll(stream: Writable, chunks: Iterable<string>): Promise<void> {
  const failed = new Promise<never>((_, reject) => stream.once('error', reject))
  failed.catch(() => {})
  for (const chunk of chunks) {
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), failed])
  }
  stream.end()
  await Promise.race([finished(stream), failed])
}

function* sliceText(text: string): Generator<string> {
  for (let i = 0; i < text.length; i += COPY_CHUNK_CHARS) yield text.slice(i, i + COPY_CHUNK_CHARS)
}

function countRows(text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return n
}

/**
 * postgres.js 3.4.9 never settles the writable when Postgres rejects a COPY after CopyDone (a duplicate
 * key, a bad value: porsager/postgres#1173); the error only reaches the query's reject, a no-op once the
 * query resolved to the stream, and a later query's CommandComplete then "finishes" it as if it had worked.
 * Tap reject so the batch fails with the server's error instead of hanging or lying.
 */
function serverRejection(query: object): Promise<never> {
  const q = query as { reject: (err: unknown) => void }
  const { promise, reject } = Promise.withResolvers<never>()
  const original = q.reject
  q.reject = (err) => {
    reject(err)
    original(err)
  }
  // Errors before the stream exists (no such table) reach the caller through `await copy.writable()`.
  promise.catch(() => {})
  return promise
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
