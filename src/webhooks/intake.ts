import { createHash } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { LRUCache } from 'lru-cache'
import type { Config } from '../config.ts'
import { merchants } from '../db/schema/index.ts'
import { deviceSigner, markDeviceSeen } from '../devices/service.ts'
import type { Store } from '../db/store.ts'
import { verifyClickId } from '../shared/click-id.ts'
import { HttpError } from '../shared/errors.ts'
import type { SourceAdapter } from './adapter.ts'
import { createIngestBatcher } from './batch.ts'
import type { Delivery, IntakeResult } from './pipeline.ts'
import { activeSecrets } from './secrets.ts'
import { storableText, unstorableFields } from './storable.ts'

export type { IntakeResult } from './pipeline.ts'

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex')

// Headers that authenticate the caller are never stored; the rest are kept for audits and replays.
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'refersion-secret-key', 'proxy-authorization'])

// Deactivating a secret takes effect within this long on every host; merchants are looked up by slug once a minute.
const SECRET_TTL_MS = 5_000
const MERCHANT_TTL_MS = 60_000

/** S2S requests signed by a registered device name it here; the device decides the merchant and the secrets. */
export const DEVICE_HEADER = 'x-skinstack-device'

export interface WebhookIntake {
  receive(input: {
    adapter: SourceAdapter
    /** Null (or empty) only for a device-signed S2S request, whose merchant is the device's. */
    merchantSlug: string | null
    rawBody: string
    headers: Headers
  }): Promise<IntakeResult>
  /**
   * A delivery some other way in has already authenticated (the on-site snippet's origin check): into the same
   * exactly-once pipeline, batched with the webhooks.
   */
  submit(delivery: Delivery): Promise<IntakeResult>
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
  const batcher = createIngestBatcher({ db: d.store.db, config: d.config })

  const merchantId = async (slug: string) => {
    const cached = merchantIds.get(slug)
    if (cached) return cached
    // No slug holds a NUL (or a lone surrogate); Postgres refuses a NUL in a query parameter (a 503).
    if (!storableText(slug)) throw new HttpError(404, 'unknown_merchant', 'no such merchant')
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

  /** The merchant's own secrets (per source) sign the delivery; the slug names the merchant. */
  const merchantSigned = async (
    adapter: SourceAdapter,
    merchantSlug: string | null,
    rawBody: string,
    headers: Headers,
  ) => {
    if (!merchantSlug) throw new HttpError(400, 'missing_merchant', 'the request names no merchant')
    const merchant = await merchantId(merchantSlug)
    const secrets = await secretsFor(merchant, adapter.source)
    if (secrets.length === 0)
      throw new HttpError(401, 'no_secret_configured', `no active ${adapter.source} secret for this merchant`)
    const verified = adapter.verify({ rawBody, headers, secrets, now: Date.now() })
    if (!verified.ok) throw new HttpError(401, verified.reason, verified.message)
    return merchant
  }

  /**
   * A registered device signs with its own secret (or, for 24 h after a rotation, its previous one); read per
   * request, so a revoked device is refused at once on every host. A slug, if one is sent too, must be its merchant's.
   */
  const deviceMerchant = async (
    adapter: SourceAdapter,
    deviceId: string,
    merchantSlug: string | null,
    rawBody: string,
    headers: Headers,
  ) => {
    const signer = await deviceSigner({ store: d.store, masterKey: d.config.secrets.masterKey }, deviceId)
    if (!signer.ok)
      throw new HttpError(
        401,
        signer.reason,
        signer.reason === 'device_revoked' ? 'this device was revoked' : 'unknown device',
      )
    if (merchantSlug && (await merchantId(merchantSlug)) !== signer.merchantId)
      throw new HttpError(
        401,
        'device_merchant_mismatch',
        "the device does not report this merchant's conversions",
      )
    const verified = adapter.verify({ rawBody, headers, secrets: signer.secrets, now: Date.now() })
    if (!verified.ok) throw new HttpError(401, verified.reason, verified.message)
    markDeviceSeen(d.store, deviceId)
    return signer.merchantId
  }

  /**
   * Replay rule for device requests: a webhook-id is answered once. The same id with the same bytes (a retry, or a
   * replay inside the signature's 5-minute window) gets the first answer; the same id with other bytes is a 409.
   * Kept in webhook_events (the unique dedupe key), so it outlives any window or restart.
   */
  const refuseReusedId = async (
    key: { source: string; merchantId: string; externalId: string },
    rawBody: string,
  ) => {
    const [prior] = await d.store.query<{ same: boolean }>(
      `select raw_body = $4 as same from webhook_events where source = $1 and merchant_id = $2 and external_id = $3`,
      [key.source, key.merchantId, key.externalId, rawBody],
    )
    if (prior && !prior.same)
      throw new HttpError(409, 'replayed_id', 'this webhook-id was already used for another request body')
  }

  return {
    forgetSecrets: () => secretsByKey.clear(),
    submit: (delivery) => batcher.submit(delivery),
    async receive({ adapter, merchantSlug, rawBody, headers }) {
      const device = adapter.source === 's2s' ? headers.get(DEVICE_HEADER) : null
      const merchant =
        device !== null
          ? await deviceMerchant(adapter, device, merchantSlug, rawBody, headers)
          : await merchantSigned(adapter, merchantSlug, rawBody, headers)
      const normalized = adapter.normalize({ rawBody, headers, clickIdParam: d.config.links.clickIdParam })
      if (!normalized.ok)
        throw new HttpError(normalized.status, normalized.code, normalized.message, normalized.fields)
      const events = normalized.events
      // What the columns cannot hold is the sender's error (422), not a failure to keep and retry (503).
      if (!storableText(rawBody)) throw new HttpError(400, 'malformed_body', 'the body contains a NUL byte')
      const unstorable = [...new Set(events.flatMap(unstorableFields))]
      if (unstorable.length)
        throw new HttpError(422, 'invalid_fields', `invalid fields: ${unstorable.join(', ')}`, unstorable)
      if (adapter.requiresVerifiedClickId)
        for (const e of events)
          if (!e.clickId || !verifyClickId(e.clickId, d.config.secrets.clickIdKeys).ok)
            throw new HttpError(
              401,
              'invalid_click_id',
              'the click id is missing or does not carry our signature',
            )
      // An event type we do not bill has no id of its own in some payloads: its bytes identify the delivery.
      const ownId =
        events[0]?.externalEventId ?? `sha256:${createHash('sha256').update(rawBody).digest('hex')}`
      // A device's webhook-ids are its own namespace, so two servers of one brand never collide.
      const externalId = device !== null ? `device:${device.toLowerCase()}:${ownId}` : ownId
      const key = { source: adapter.source, merchantId: merchant, externalId }
      // For devices the body is part of the memo key: the same id with other bytes must reach the replay check.
      const seenKey = `${adapter.source}:${merchant}:${externalId}${device !== null ? `:${sha256Hex(rawBody)}` : ''}`
      const seen = seenHere.get(seenKey)
      if (seen) return { ...seen, duplicate: true, created: 0 }
      if (device !== null) await refuseReusedId(key, rawBody)
      const result = await batcher.submit({
        ...key,
        headers: storableHeaders(headers),
        rawBody,
        events,
      })
      // Two different bodies racing under one id: the loser finds the winner's event, and is refused the same way.
      if (device !== null && result.duplicate) await refuseReusedId(key, rawBody)
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
