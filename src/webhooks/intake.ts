import { createHash } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { LRUCache } from 'lru-cache'
import type { Config } from '../config.ts'
import { merchants } from '../db/schema/index.ts'
import type { Store } from '../db/store.ts'
import { verifyClickId } from '../shared/click-id.ts'
import { HttpError } from '../shared/errors.ts'
import type { SourceAdapter } from './adapter.ts'
import { ingest, type IntakeResult } from './pipeline.ts'
import { activeSecrets } from './secrets.ts'

export type { IntakeResult } from './pipeline.ts'

// Headers that authenticate the caller are never stored; the rest are kept for audits and replays.
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'refersion-secret-key', 'proxy-authorization'])

// Deactivating a secret takes effect within this long on every host; merchants are looked up by slug once a minute.
const SECRET_TTL_MS = 5_000
const MERCHANT_TTL_MS = 60_000

export interface WebhookIntake {
  receive(input: {
    adapter: SourceAdapter
    merchantSlug: string
    rawBody: string
    headers: Headers
  }): Promise<IntakeResult>
  /** This host stops using cached secrets at once (other hosts within SECRET_TTL_MS). */
  forgetSecrets(): void
}

/**
 * Verify → normalize → store, exactly once (pipeline.ts). The delivery and its conversions commit in one
 * transaction; a repeated delivery (same provider event id) and a second topic for the same order both find
 * what the first stored, so retries, duplicates and races change nothing; a retry of a delivery whose
 * processing failed (kept as 'failed') completes it.
 */
export function createWebhookIntake(d: { store: Store; config: Config }): WebhookIntake {
  const merchantIds = new LRUCache<string, string>({ max: 10_000, ttl: MERCHANT_TTL_MS })
  const secretsByKey = new LRUCache<string, string[]>({ max: 10_000, ttl: SECRET_TTL_MS })
  // What this host answered for deliveries it stored: a repeat of one gets the same answer from memory, no
  // database work (networks retry hard; a duplicate should cost nothing). The answer is immutable once its
  // transaction committed. Exactly-once does not rest on this cache: first deliveries, and repeats first seen
  // by another host, go to the transaction, where the unique key dedupes.
  const seenHere = new LRUCache<string, IntakeResult>({ max: 200_000 })

  const merchantId = async (slug: string) => {
    const cached = merchantIds.get(slug)
    if (cached) return cached
    const [m] = await d.store.db.select({ id: merchants.id }).from(merchants).where(eq(merchants.slug, slug))
    if (!m) throw new HttpError(404, 'unknown_merchant', `no merchant "${slug}"`)
    merchantIds.set(slug, m.id)
    return m.id
  }

  const secretsFor = async (merchant: string, source: SourceAdapter['source']) => {
    const key = `${merchant}:${source}`
    let secrets = secretsByKey.get(key)
    if (!secrets) {
      secrets = await activeSecrets(d.store, d.config.secrets.masterKey, merchant, source)
      secretsByKey.set(key, secrets)
    }
    return secrets
  }

  return {
    forgetSecrets: () => secretsByKey.clear(),
    async receive({ adapter, merchantSlug, rawBody, headers }) {
      const merchant = await merchantId(merchantSlug)
      const secrets = await secretsFor(merchant, adapter.source)
      if (secrets.length === 0)
        throw new HttpError(
          401,
          'no_secret_configured',
          `no active ${adapter.source} secret for this merchant`,
        )
      const verified = adapter.verify({ rawBody, headers, secrets, now: Date.now() })
      if (!verified.ok) throw new HttpError(401, verified.reason, verified.message)
      const normalized = adapter.normalize({ rawBody, headers, clickIdParam: d.config.links.clickIdParam })
      if (!normalized.ok)
        throw new HttpError(normalized.status, normalized.code, normalized.message, normalized.fields)
      const events = normalized.events
      if (adapter.requiresVerifiedClickId)
        for (const e of events)
          if (!e.clickId || !verifyClickId(e.clickId, d.config.secrets.clickIdKeys).ok)
            throw new HttpError(
              401,
              'invalid_click_id',
              'the click id is missing or does not carry our signature',
            )
      // An event type we do not bill has no id of its own in some payloads: its bytes identify the delivery.
      const externalId =
        events[0]?.externalEventId ?? `sha256:${createHash('sha256').update(rawBody).digest('hex')}`
      const seenKey = `${adapter.source}:${merchant}:${externalId}`
      const key = { source: adapter.source, merchantId: merchant, externalId }
      const seen = seenHere.get(seenKey)
      if (seen) return { ...seen, duplicate: true, created: 0 }
      const result = await ingest(d.store.db, d.config, {
        ...key,
        headers: storableHeaders(headers),
        rawBody,
        events,
      })
      seenHere.set(seenKey, result)
      return result
    },
  }
}

function storableHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of h) if (!SECRET_HEADERS.has(k.toLowerCase())) out[k.toLowerCase()] = v
  return out
}
