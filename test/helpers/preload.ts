import { afterAll } from 'bun:test'
import { migrate } from '../../src/db/migrate.ts'
import { openPostgres } from '../../src/db/postgres.ts'
import { adminSql, templateName, withDatabase } from './databases.ts'
import { findOrStartPostgres } from './postgres-server.ts'

// Once per `bun test` run: find Postgres, build one migrated template; each test file clones it (see databases.ts).
const server = await findOrStartPostgres(process.env)
process.env.SKINSTACK_TEST_ADMIN_URL = server.adminUrl
const template = templateName()
process.env.SKINSTACK_TEST_TEMPLATE = template

const admin = adminSql()
// Runs that were killed (a timeout, ^C) leave their databases behind: drop those whose process is gone.
const leftovers = await admin<{ name: string }[]>`
  select datname as name from pg_database where datname ~ '^skinstack_(tpl|t)_[0-9]+'`
for (const { name } of leftovers) {
  const pid = Number(/^skinstack_(?:tpl|t)_(\d+)/.exec(name)?.[1])
  if (pid === process.pid || processAlive(pid)) continue
  await admin.unsafe(`alter database "${name}" is_template false`)
  await admin.unsafe(`drop database if exists "${name}" with (force)`)
}
await admin.unsafe(`drop database if exists "${template}"`)
await admin.unsafe(`create database "${template}"`)
const store = openPostgres({ url: withDatabase(server.adminUrl, template), poolSize: 1 })
await migrate(store.db)
await store.close()
await admin.unsafe(`alter database "${template}" is_template true`)

afterAll(async () => {
  await admin.unsafe(`alter database "${template}" is_template false`)
  await admin.unsafe(`drop database if exists "${template}" with (force)`)
  await admin.end({ timeout: 5 })
  await server.stop()
})

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
