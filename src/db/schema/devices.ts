import { pgTable, text, unique, uuid } from 'drizzle-orm/pg-core'
import { bytea, createdAt, id, tstz } from './columns.ts'
import { merchants } from './merchants.ts'
import { organisations } from './organisations.ts'

// Machines that report events with their own signing secret (in-store POS, kiosks, scanners).
export const devices = pgTable(
  'devices',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    // The brand whose server this is: conversions it signs are that merchant's. Null for legacy rows.
    merchantId: uuid('merchant_id').references(() => merchants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    secretCiphertext: bytea('secret_ciphertext').notNull(),
    // The secret before the last rotation stays valid until previous_expires_at, so a device that
    // has not yet picked up its new secret keeps working.
    previousSecretCiphertext: bytea('previous_secret_ciphertext'),
    previousExpiresAt: tstz('previous_expires_at'),
    lastSeenAt: tstz('last_seen_at'),
    revokedAt: tstz('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [unique('devices_org_name_uq').on(t.orgId, t.name)],
)

export type Device = typeof devices.$inferSelect
export type NewDevice = typeof devices.$inferInsert
