import type { Store } from '../db/store.ts'

// The outbox's SQL, each step one statement so it is atomic without a transaction held across HTTP.

export interface Claimed {
  id: string
  endpoint_id: string
  payload: string
  attempts: number
  created_at: Date | string
  url: string
  secret_ciphertext: Uint8Array
  /** The lease this claim set: recording the attempt is guarded by it. */
  next_attempt_at: Date | string
}

/**
 * Takes up to `limit` due deliveries of enabled endpoints and leases them (next_attempt_at = leaseUntil). SKIP
 * LOCKED lets every host claim at once without waiting on, or taking, each other's rows.
 */
export function claimDue(
  store: Store,
  o: { now: Date; leaseUntil: Date; limit: number },
): Promise<Claimed[]> {
  return store.query<Claimed>(
    `update webhook_deliveries d set next_attempt_at = $2::timestamptz
       from (select d2.id from webhook_deliveries d2
               join webhook_endpoints e2 on e2.id = d2.endpoint_id and e2.disabled_at is null
              where d2.status = 'pending' and d2.next_attempt_at <= $1::timestamptz
              order by d2.next_attempt_at limit $3
              for update of d2 skip locked) c,
            webhook_endpoints e
      where d.id = c.id and e.id = d.endpoint_id
     returning d.id, d.endpoint_id, d.payload::text as payload, d.attempts, d.created_at, e.url,
               e.secret_ciphertext, d.next_attempt_at`,
    [o.now, o.leaseUntil, o.limit],
  )
}

export interface AttemptRecord {
  readonly deliveryId: string
  readonly lease: Date
  readonly attemptedAt: Date
  readonly ok: boolean
  readonly statusCode: number | null
  readonly error: string | null
  readonly durationMs: number
  readonly snippet: string | null
  readonly status: 'pending' | 'delivered' | 'failed'
  /** When to try again (status pending); null otherwise. */
  readonly next: Date | null
}

/**
 * The attempt, the delivery's new state and its endpoint's failure count, in one statement. The lease guard
 * leaves a delivery another host has since claimed, or an API call has changed, as it is (the attempt is still
 * logged). Returns the endpoint's failures in a row, or null when the delivery was not ours to update.
 */
export async function recordAttempt(
  store: Store,
  r: AttemptRecord,
): Promise<{ id: string; failures: number } | null> {
  const [ep] = await store.query<{ id: string; consecutive_failures: number }>(
    `with att as (
       insert into webhook_delivery_attempts (id, delivery_id, attempted_at, status_code, error, duration_ms, response_snippet)
       select $1::uuid, $2::uuid, $3::timestamptz, $4::int, $5::text, $6::int, $7::text
        where exists (select 1 from webhook_deliveries where id = $2::uuid)
     ), del as (
       update webhook_deliveries set attempts = attempts + 1, last_attempt_at = $3::timestamptz,
              last_status_code = $4::int, last_error = $5::text, status = $8::text,
              delivered_at = case when $8::text = 'delivered' then now() else delivered_at end,
              next_attempt_at = coalesce($9::timestamptz, next_attempt_at)
        where id = $2::uuid and status = 'pending' and next_attempt_at = $10::timestamptz
       returning endpoint_id
     )
     update webhook_endpoints
        set consecutive_failures = case when $11::boolean then 0 else consecutive_failures + 1 end
      where id = (select endpoint_id from del)
     returning id, consecutive_failures`,
    [
      Bun.randomUUIDv7(),
      r.deliveryId,
      r.attemptedAt,
      r.statusCode,
      r.error,
      r.durationMs,
      r.snippet,
      r.status,
      r.next,
      r.lease,
      r.ok,
    ],
  )
  return ep ? { id: ep.id, failures: ep.consecutive_failures } : null
}

/**
 * Disables an endpoint that has failed `limit` times in a row and fails what it still had pending. The count is
 * checked again here, so a success recorded in between (count reset) keeps the endpoint enabled. Returns how many
 * deliveries were failed, or null if the endpoint was not disabled by this call.
 */
export async function disableEndpoint(
  store: Store,
  o: { endpointId: string; limit: number; reason: string },
): Promise<number | null> {
  const rows = await store.query<{ disabled: boolean; failed: number }>(
    `with dis as (
       update webhook_endpoints set disabled_at = now(), disabled_reason = $2, updated_at = now()
        where id = $1 and disabled_at is null and consecutive_failures >= $3 returning id
     ), fail as (
       update webhook_deliveries set status = 'failed', last_error = 'endpoint disabled: ' || $2
        where endpoint_id in (select id from dis) and status = 'pending'
       returning id
     )
     select exists (select 1 from dis) as disabled, (select count(*) from fail)::int as failed`,
    [o.endpointId, o.reason, o.limit],
  )
  return rows[0]?.disabled ? (rows[0].failed ?? 0) : null
}
