import type { SQL } from 'drizzle-orm'
import type { Db } from './store.ts'

/** Runs raw SQL and returns its rows: postgres.js hands back an array, PGlite an object with `rows`. */
export async function rawRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query)
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[]
}
