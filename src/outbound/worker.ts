import type { Store } from '../db/store.ts'
import { OUTBOUND_WAKE_CHANNEL } from '../events/types.ts'
import type { Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { openSecret } from '../shared/secret-box.ts'
import { DEFAULT_HORIZON_MS, DEFAULT_SCHEDULE_MS, nextAttemptAt } from './retry.ts'
import { type Claimed, claimDue, disableEndpoint, recordAttempt } from './outbox.ts'
import { type AttemptResult, sendWebhook } from './send.ts'
import { secretContext, webhookHeaders } from './sign.ts'

// The outbox's delivery side. Every host may run it: a claim takes due rows with FOR UPDATE SKIP LOCKED and
// leases them (next_attempt_at moves past the attempt's timeout) in one short statement, so no transaction is
// held open across HTTP and two hosts never send the same row at once. A host that dies mid-attempt leaves the
// row to be claimed again when its lease runs out: delivery is at least once, and the receiver dedupes by
// webhook-id.

export interface OutboundWorkerOptions {
  readonly store: Store
  readonly log: Logger
  readonly masterKey: Uint8Array
  /** Safety net beside the wake-up NOTIFY (missed while reconnecting, or due retries). */
  readonly pollMs?: number
  readonly scheduleMs?: readonly number[]
  readonly horizonMs?: number
  /** Failed attempts in a row after which the endpoint is disabled and its pending deliveries failed. */
  readonly disableAfter?: number
  readonly concurrency?: number
  readonly timeoutMs?: number
  readonly fetch?: typeof fetch
}

export const DEFAULT_DISABLE_AFTER = 50

export function outboundWorker(o: OutboundWorkerOptions): Worker & { wake(): void } {
  const pollMs = o.pollMs ?? 1_000
  const concurrency = o.concurrency ?? 4
  const timeoutMs = o.timeoutMs ?? 10_000
  const disableAfter = o.disableAfter ?? DEFAULT_DISABLE_AFTER
  // Longer than any attempt can take, so a lease only runs out when its host is gone.
  const leaseMs = timeoutMs + 30_000
  const inflight = new Set<Promise<void>>()
  let stopped = true
  let running: Promise<void> | undefined
  let again = false
  let timer: ReturnType<typeof setInterval> | undefined
  let unlisten: (() => Promise<void>) | undefined

  const attempt = async (row: Claimed) => {
    const attemptedAt = new Date()
    let r: AttemptResult
    try {
      const secret = openSecret(o.masterKey, row.secret_ciphertext, secretContext(row.endpoint_id))
      // Compact JSON: the body is signed byte for byte, so it is rendered once and sent as is.
      const body = JSON.stringify(JSON.parse(row.payload))
      const headers = webhookHeaders(secret, row.id, body)
      r = await sendWebhook({ url: row.url, headers, body, timeoutMs, fetch: o.fetch })
    } catch (err) {
      const error = `not sent: ${(err as Error).message}`
      r = { ok: false, statusCode: null, error, durationMs: 0, snippet: null }
    }
    const next = r.ok
      ? null
      : nextAttemptAt({
          attempts: row.attempts + 1,
          createdAt: new Date(row.created_at),
          now: new Date(),
          scheduleMs: o.scheduleMs ?? DEFAULT_SCHEDULE_MS,
          horizonMs: o.horizonMs ?? DEFAULT_HORIZON_MS,
        })
    const status = r.ok ? 'delivered' : next ? 'pending' : 'failed'
    try {
      const ep = await recordAttempt(o.store, {
        ...r,
        deliveryId: row.id,
        lease: new Date(row.next_attempt_at),
        attemptedAt,
        status,
        next,
      })
      if (!ep || r.ok || ep.failures < disableAfter) return
      const reason = `${ep.failures} failed attempts in a row (last: ${r.error ?? 'unknown'})`
      const failed = await disableEndpoint(o.store, { endpointId: ep.id, limit: disableAfter, reason })
      if (failed !== null)
        o.log.warn({ endpointId: ep.id, reason, failed }, 'outbound webhook endpoint disabled')
    } catch (err) {
      // The lease runs out and the delivery is tried again: at least once, never silently dropped.
      o.log.error({ err, deliveryId: row.id }, 'outbound attempt not recorded')
    }
  }

  // Fills free slots until nothing is due; a finishing attempt kicks again, so slots refill at once.
  const drain = async () => {
    while (!stopped) {
      const free = concurrency - inflight.size
      if (free <= 0) return
      const now = new Date()
      const rows = await claimDue(o.store, {
        now,
        leaseUntil: new Date(now.getTime() + leaseMs),
        limit: free,
      })
      for (const row of rows) {
        const p: Promise<void> = attempt(row).finally(() => {
          inflight.delete(p)
          kick()
        })
        inflight.add(p)
      }
      if (rows.length < free) return
    }
  }

  const kick = () => {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = (async () => {
      do {
        again = false
        await drain()
      } while (again && !stopped)
    })()
      .catch((err) => o.log.error({ err }, 'outbound delivery pass failed; retrying on the next poll'))
      .finally(() => {
        running = undefined
        if (again) kick()
      })
  }

  return {
    name: 'outbound-webhooks',
    async start() {
      stopped = false
      unlisten = await o.store.listen(OUTBOUND_WAKE_CHANNEL, kick, kick)
      timer = setInterval(kick, pollMs)
      timer.unref?.()
      kick()
    },
    async stop() {
      stopped = true
      clearInterval(timer)
      await unlisten?.()
      // Attempts already sent are recorded before stop returns: nothing is left half-done.
      await running
      await Promise.all([...inflight])
    },
    wake: kick,
  }
}
