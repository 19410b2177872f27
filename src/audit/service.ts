import { sql } from 'drizzle-orm'
import type { Principal } from '../auth/principal.ts'
import type { Db } from '../db/store.ts'

/** A person acting through the API: who, and from which address (the forwarded one behind trusted proxies). */
export interface AuditActor {
  readonly principal: Principal
  readonly ip: string | null
}

/** What a sensitive action did, to whom, from where. Written in the action's own transaction. */
export interface AuditEntry {
  /** Who acted: a principal, or null for the system itself (a scheduler, the CLI). */
  readonly actor: Principal | null
  /** dotted verb: 'api_key.created', 'device.rotated', 'commission.approved', 'payout_run.started' … */
  readonly action: string
  readonly targetType?: string
  readonly targetId?: string
  readonly orgId?: string | null
  readonly ip?: string | null
  readonly before?: Record<string, unknown> | null
  readonly after?: Record<string, unknown> | null
  readonly details?: Record<string, unknown> | null
}

// Whatever a caller passes, values under these keys never reach the trail.
const SECRET_KEY = /secret|password|token|ciphertext|key_?hash|keyhash|^key$|authorization|signature/i

/** A copy with secret-looking fields replaced by '[redacted]', however deep. */
export function scrub(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1))
  if (value instanceof Uint8Array) return '[bytes]'
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : typeof v === 'bigint' ? v.toString() : scrub(v, depth + 1)
  return out
}

const json = (v: Record<string, unknown> | null | undefined) =>
  v ? JSON.stringify(scrub(v), (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) : null

/** Appends one entry (the table refuses updates and deletes). */
export async function recordAudit(tx: Db, e: AuditEntry): Promise<void> {
  const p = e.actor
  await tx.execute(sql`
    insert into audit_log (id, actor_user_id, actor_api_key_id, org_id, action, target_type, target_id, ip,
                           before, after, details)
    values (${Bun.randomUUIDv7()}, ${p?.userId ?? null}, ${p?.keyId ?? null}, ${e.orgId ?? null}, ${e.action},
            ${e.targetType ?? null}, ${e.targetId ?? null}, ${e.ip ?? null}, ${json(e.before)}::jsonb,
            ${json(e.after)}::jsonb, ${json(e.details)}::jsonb)`)
}
