import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type * as schema from './schema/index.ts'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

/** What every feature may ask of the database, whichever engine backs it (Postgres or embedded PGlite). */
export interface Store {
  readonly kind: 'postgres' | 'pglite'
  readonly db: Db
  /** Raw parameterised SQL ($1, $2 …); rows come back as plain objects. */
  /** `prepare`: keep the statement's plan on each connection; for fixed, hot query texts only. */
  query<T = Record<string, unknown>>(
    text: string,
    params?: unknown[],
    opts?: { prepare?: boolean },
  ): Promise<T[]>
  /** Subscribes to a channel; onReady runs on every (re)connect, since NOTIFYs sent while disconnected are lost. */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReady?: () => void,
  ): Promise<() => Promise<void>>
  notify(channel: string, payload: string): Promise<void>
  /** Inserts many rows at once (COPY where the engine supports it); returns the row count. */
  bulkInsert(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<number>
  /**
   * Loads rows already encoded as COPY text (copy-format.ts) in one transaction. With ignoreDuplicates, rows
   * whose key already exists are skipped, so a retried or replayed batch lands exactly once. Returns rows added.
   */
  copyIn(
    table: string,
    columns: readonly string[],
    text: string,
    opts?: { ignoreDuplicates?: boolean },
  ): Promise<number>
  close(): Promise<void>
}
