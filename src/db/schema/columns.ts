import { bigint, char, customType, numeric, timestamp, uuid } from 'drizzle-orm/pg-core'

// Rows get a time-ordered v7 id from the app (index locality, sortable); the SQL default only
// covers rows inserted by hand or by raw SQL.
export const id = () =>
  uuid('id')
    .primaryKey()
    .defaultRandom()
    .$defaultFn(() => Bun.randomUUIDv7())

export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
export const createdAt = () => tstz('created_at').notNull().defaultNow()
export const updatedAt = () =>
  tstz('updated_at')
    .notNull()
    .defaultNow()
    .$onUpdateFn(() => new Date())

/** Integer minor units (cents); always next to a `currency` column. Give defaults as sql`5000`:
 * drizzle-kit 0.31 cannot JSON-serialise a BigInt default. */
export const minor = (name: string) => bigint(name, { mode: 'bigint' })
/** ISO 4217 code, upper case. */
export const currency = (name = 'currency') => char(name, { length: 3 })
/** A fraction (0.2 = 20 %); read back as a string so no float ever touches it. */
export const rate = (name: string) => numeric(name, { precision: 9, scale: 6 })
/** A decimal amount kept exactly as a network reported it, before conversion to minor units. */
export const reported = (name: string) => numeric(name, { precision: 20, scale: 4 })

// pg-core 0.45 has no bytea builder; postgres.js and PGlite both hand back a Uint8Array (Buffer is one).
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
})
