import { createHash } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { LRUCache } from 'lru-cache'
import type { Config } from '../config.ts'
import { conversions, merchants, webhookEvents } from '../db/schema/index.ts'
import type { Db, Store } from '../db/store.ts'
import { verifyClickId } from '../shared/click-id.ts'
import { HttpError } from '../shared/errors.ts'
import type { SourceAdapter } from './adapter.ts'
import { storeConversion } from './conversions.ts'
import { settleConversion } from '../attribution/service.ts'
import { activeSecrets } from './secrets.ts'

export interface IntakeResult {
  readonly duplicate: boolean
  readonly eventId: string
  readonly conversionIds: string[]
}

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
 * Verify → normalize → store, exactly once. The delivery and its conversions commit in one transaction; a
 * repeated delivery (same provider event id) and a second topic for the same order both find what the first
 * stored, so retries, duplicates and races change nothing.
 */
export function createWebhookIntake(d: { store: Store; config: Config }): WebhookIntake {
  const merchantIds = new LRUCache<string, string>({ max: 10_000, ttl: MERCHANT_TTL_MS })
  const secretsByKey = new LRUCache<string, string[]>({ max: 10_000, ttl: SECRET_TTL_MS })
  // Deliveries this host has stored: a repeat of one is answered from a single read, no transaction. Others
  // (first deliveries, or repeats first seen by another host) go straight to the transaction, which dedupes too.
  const seenHere = new LRUCache<string, true>({ max: 200_000 })

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
      if (seenHere.has(seenKey)) {
        const seen = await duplicateOf(d.store.db, adapter.source, merchant, externalId)
        if (seen) return seen
      }
      const result = await d.store.db.transaction(async (tx): Promise<IntakeResult> => {
        const [event] = await tx
          .insert(webhookEvents)
          .values({
            source: adapter.source,
            externalId,
            merchantId: merchant,
            headers: storableHeaders(headers),
            rawBody,
            signatureValid: true,
            status: events.length ? 'processed' : 'ignored',
            attempts: 1,
            processedAt: new Date(),
          })
          .onConflictDoNothing()
          .returning({ id: webhookEvents.id })
        if (!event) {
          const raced = await duplicateOf(tx, adapter.source, merchant, externalId)
          if (!raced) throw new Error('duplicate delivery vanished')
          return raced
        }
        const conversionIds: string[] = []
        for (const e of events) {
          const stored = await storeConversion(tx, { config: d.config, adapter }, merchant, event.id, e)
          // Attribution, commissions and ledger commit with the delivery, or not at all.
          if (stored.created) await settleConversion(tx, stored.id)
          conversionIds.push(stored.id)
        }
        return { duplicate: false, eventId: event.id, conversionIds }
      })
      seenHere.set(seenKey, true)
      return result
    },
  }
}

/** The first delivery of this event and its conversions, in one round trip; undefined if never stored. */
async function duplicateOf(
  tx: Db,
  source: SourceAdapter['source'],
  merchantId: string,
  externalId: string,
): Promise<IntakeResult | undefined> {
  const rows = await tx
    .select({ eventId: webhookEvents.id, conversionId: conversions.id })
    .from(webhookEvents)
    .leftJoin(conversions, eq(conversions.webhookEventId, webhookEvents.id))
    .where(
      and(
        eq(webhookEvents.source, source),
        eq(webhookEvents.merchantId, merchantId),
        eq(webhookEvents.externalId, externalId),
      ),
    )
    // v7 ids sort by creation: the same order the first delivery answered with.
    .orderBy(conversions.id)
  const first = rows[0]
  if (!first) return undefined
  const conversionIds = rows.flatMap((r) => (r.conversionId ? [r.conversionId] : []))
  return { duplicate: true, eventId: first.eventId, conversionIds }
}

function storableHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of h) if (!SECRET_HEADERS.has(k.toLowerCase())) out[k.toLowerCase()] = v
  return out
}
