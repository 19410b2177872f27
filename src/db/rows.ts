import type { SQL } from 'drizzle-orm'
import type { Db } from './store.ts'

/** Runs raw SQL and returns its rows: postgres.js hands back an array, PGlite an object with `rows`. */
export async function rawRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query)
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[]
}

/** A text[] column's value: postgres.js and PGlite parse it into an array; a literal ("{a,b}") is split as one. */
export function textArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String)
  if (v === null || v === undefined) return []
  const inner = String(v).replace(/^\{|\}$/g, '')
  return inner ? inner.split(',').map((s) => s.replace(/^"|"$/g, '')) : []
}
