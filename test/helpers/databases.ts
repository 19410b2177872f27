import { afterAll } from 'bun:test'
import postgres from 'postgres'
import { openPostgres } from '../../src/db/postgres.ts'
import type { Store } from '../../src/db/store.ts'

const adminUrl = () => {
  const url = process.env.SKINSTACK_TEST_ADMIN_URL
  if (!url) throw new Error('test preload did not run (bunfig.toml [test].preload)')
  return url
}

export const templateName = () => `skinstack_tpl_${process.pid}`

export function withDatabase(url: string, db: string): string {
  const u = new URL(url)
  u.pathname = `/${db}`
  return u.toString()
}

export const adminSql = () => postgres(adminUrl(), { max: 2, onnotice: () => {} })

let counter = 0

export interface TestDb {
  readonly url: string
  readonly name: string
  readonly store: Store
}

/**
 * A fresh database for the calling test file, cloned from the migrated template and dropped after the file.
 * `migrated: false` gives an empty database instead (for migration tests).
 */
export async function createTestDb(opts: { migrated?: boolean } = {}): Promise<TestDb> {
  const name = `skinstack_t_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`
  const admin = adminSql()
  const template = process.env.SKINSTACK_TEST_TEMPLATE ?? templateName()
  await admin.unsafe(
    opts.migrated === false
      ? `create database "${name}"`
      : `create database "${name}" template "${template}"`,
  )
  const url = withDatabase(adminUrl(), name)
  const store = openPostgres({ url, poolSize: 5 })
  afterAll(async () => {
    await store.close()
    await admin.unsafe(`drop database if exists "${name}" with (force)`)
    await admin.end({ timeout: 5 })
  })
  return { url, name, store }
}
