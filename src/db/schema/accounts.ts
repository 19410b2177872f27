import { sql } from 'drizzle-orm'
import { check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { createdAt, id, tstz, updatedAt } from './columns.ts'
import { userRole } from './enums.ts'
import { influencers, merchants } from './merchants.ts'
import { organisations } from './organisations.ts'

export const users = pgTable(
  'users',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'restrict' }),
    email: text('email').notNull().unique(),
    // Null while an invitation is pending: such a user cannot log in with a password.
    passwordHash: text('password_hash'),
    role: userRole('role').notNull(),
    // What a merchant or influencer user may see; admins see the whole organisation.
    merchantId: uuid('merchant_id').references(() => merchants.id, { onDelete: 'cascade' }),
    influencerId: uuid('influencer_id').references(() => influencers.id, { onDelete: 'cascade' }),
    lastLoginAt: tstz('last_login_at'),
    disabledAt: tstz('disabled_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('users_org_id_idx').on(t.orgId),
    check('users_email_lower', sql`${t.email} = lower(${t.email})`),
    check('users_merchant_scope', sql`${t.role} <> 'merchant' or ${t.merchantId} is not null`),
    check('users_influencer_scope', sql`${t.role} <> 'influencer' or ${t.influencerId} is not null`),
  ],
)

export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    // Null for organisation-wide service keys; otherwise the key acts as (and dies with) its user.
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    // First characters of the key, shown in the UI so people can tell keys apart.
    prefix: text('prefix').notNull(),
    // sha256 hex of the full key: the key itself is shown once and never stored.
    keyHash: text('key_hash').notNull().unique(),
    scopes: text('scopes')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    lastUsedAt: tstz('last_used_at'),
    revokedAt: tstz('revoked_at'),
    expiresAt: tstz('expires_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('api_keys_org_id_idx').on(t.orgId),
    index('api_keys_user_id_idx').on(t.userId),
    check('api_keys_key_hash_sha256', sql`${t.keyHash} ~ '^[0-9a-f]{64}$'`),
  ],
)

// A human's login: the refresh token (stored as its SHA-256) trades for short-lived session JWTs until it
// expires or is revoked (logout, password change). Each refresh rotates it.
export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    refreshHash: text('refresh_hash').notNull().unique(),
    createdAt: createdAt(),
    expiresAt: tstz('expires_at').notNull(),
    lastUsedAt: tstz('last_used_at'),
    revokedAt: tstz('revoked_at'),
    ip: text('ip'),
    // The login address as the salted hash clicks and conversions carry (shared/ip-hash.ts), so the shared_ip
    // fraud rule can match a converting address against influencer logins without knowing either address.
    ipHash: text('ip_hash'),
    userAgent: text('user_agent'),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId),
    index('sessions_ip_hash_created_idx').on(t.ipHash, t.createdAt),
    check('sessions_refresh_hash_sha256', sql`${t.refreshHash} ~ '^[0-9a-f]{64}$'`),
  ],
)

export type User = typeof users.$inferSelect
export type NewUser = typeof users.$inferInsert
export type ApiKey = typeof apiKeys.$inferSelect
export type NewApiKey = typeof apiKeys.$inferInsert
export type Session = typeof sessions.$inferSelect
