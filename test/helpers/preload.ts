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
