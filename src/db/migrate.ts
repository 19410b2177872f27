import { createHash } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { embeddedMigrations } from './migrations.gen.ts'
import type { Db } from './store.ts'

export interface EmbeddedMigration {
  readonly tag: string
  readonly when: number
  readonly breakpoints: boolean
  readonly sql: string
}

export interface MigrationStatus {
  readonly applied: number
  readonly pending: readonly string[]
  readonly latestApplied: string | undefined
}

// Same schema, table, hash (sha256 of the file) and created_at (journal `when`) as drizzle's migrator,
// so drizzle-kit and this binary agree on what has been applied.
const SCHEMA = 'drizzle'
const TABLE = '__drizzle_migrations'
// Several hosts may start at once against one database: one applies, the others wait and then find nothing to do.
const LOCK_KEY = 7_301_202_611

const hashOf = (m: EmbeddedMigration) => createHash('sha256').update(m.sql).digest('hex')

async function lastAppliedAt(db: Db): Promise<number | undefined> {
  const exists = rowsOf<{ ok: boolean }>(
    await db.execute(sql`select to_regclass(${`${SCHEMA}.${TABLE}`}) is not null as ok`),
  )
  if (!exists[0]?.ok) return undefined
  const rows = rowsOf<{ created_at: string | null }>(
    await db.execute(
      sql`select max(created_at)::text as created_at from ${sql.identifier(SCHEMA)}.${sql.identifier(TABLE)}`,
    ),
  )
  const at = rows[0]?.created_at
  return at == null ? undefined : Number(at)
}

/** postgres.js returns an array, PGlite an object with rows. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[]
}

export async function migrationStatus(
  db: Db,
  migrations: readonly EmbeddedMigration[] = embeddedMigrations,
): Promise<MigrationStatus> {
  const last = await lastAppliedAt(db)
  const pending = migrations.filter((m) => last === undefined || last < m.when)
  const applied = migrations.filter((m) => last !== undefined && m.when <= last)
  return { applied: applied.length, pending: pending.map((m) => m.tag), latestApplied: applied.at(-1)?.tag }
}

/** Applies every pending migration in one transaction: all of them land, or none do. */
export async function migrate(
  db: Db,
  migrations: readonly EmbeddedMigration[] = embeddedMigrations,
): Promise<{ applied: string[] }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_KEY})`)
    await tx.execute(sql`create schema if not exists ${sql.identifier(SCHEMA)}`)
    await tx.execute(
      sql`create table if not exists ${sql.identifier(SCHEMA)}.${sql.identifier(TABLE)} (id serial primary key, hash text not null, created_at bigint)`,
    )
    const last = await lastAppliedAt(tx as unknown as Db)
    const applied: string[] = []
    for (const m of migrations) {
      if (last !== undefined && m.when <= last) continue
      for (const stmt of m.sql.split('--> statement-breakpoint')) {
        if (stmt.trim()) await tx.execute(sql.raw(stmt))
      }
      await tx.execute(
        sql`insert into ${sql.identifier(SCHEMA)}.${sql.identifier(TABLE)} (hash, created_at) values (${hashOf(m)}, ${m.when})`,
      )
      applied.push(m.tag)
    }
    return { applied }
  })
}
