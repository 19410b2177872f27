import { boolean, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { apiKeys, users } from './accounts.ts'
import { createdAt, id, tstz } from './columns.ts'
import { organisations } from './organisations.ts'

// Append-only consent history: the latest row per (subject, purpose) is the current answer, and
// the history is what we show a regulator.
export const consents = pgTable(
  'consents',
  {
    id: id(),
    // Salted hash of the subject's identifier (email, cookie id); never the identifier itself.
    subjectHash: text('subject_hash').notNull(),
    purpose: text('purpose').notNull(),
    granted: boolean('granted').notNull(),
    // Where the answer came from: banner, api, import …
    source: text('source').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('consents_subject_purpose_idx').on(t.subjectHash, t.purpose, t.createdAt)],
)

// Who did what. Actor and org references are SET NULL on delete: the trail outlives what it mentions.
export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    occurredAt: tstz('occurred_at').notNull().defaultNow(),
    actorUserId: uuid('actor_user_id').references(() => users.id, { onDelete: 'set null' }),
    actorApiKeyId: uuid('actor_api_key_id').references(() => apiKeys.id, { onDelete: 'set null' }),
    orgId: uuid('org_id').references(() => organisations.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    targetType: text('target_type'),
    // Text, not uuid: targets include things keyed otherwise (a slug, a provider id).
    targetId: text('target_id'),
    ipHash: text('ip_hash'),
    // The client address the action came from (behind trusted proxies, the forwarded one).
    ip: text('ip'),
    // The target's state before and after, secrets removed.
    before: jsonb('before').$type<Record<string, unknown>>(),
    after: jsonb('after').$type<Record<string, unknown>>(),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('audit_log_org_occurred_idx').on(t.orgId, t.occurredAt),
    index('audit_log_target_idx').on(t.targetType, t.targetId),
    index('audit_log_actor_user_idx').on(t.actorUserId),
    index('audit_log_occurred_idx').on(t.occurredAt),
  ],
)

export type Consent = typeof consents.$inferSelect
export type NewConsent = typeof consents.$inferInsert
export type AuditLogEntry = typeof auditLog.$inferSelect
export type NewAuditLogEntry = typeof auditLog.$inferInsert
