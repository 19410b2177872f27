import { and, desc, eq, lt } from 'drizzle-orm'
import type { Principal } from '../auth/principal.ts'
import { type WebhookEndpoint, webhookDeliveries, webhookEndpoints } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import type { EventType } from '../events/types.ts'
import { HttpError } from '../shared/errors.ts'
import { sealSecret } from '../shared/secret-box.ts'
import { getEndpoint, isUuid, notFound, ownedBy } from './queries.ts'
import { newSigningSecret, secretContext } from './sign.ts'

// Endpoints merchants and influencers subscribe. Every read and write is scoped to the caller: a merchant's
// key sees its merchant's endpoints, an influencer's their own, an admin's all; anything else is a 404, never
// a 403, so ids of other tenants' endpoints reveal nothing.

export interface OutboundDeps {
  readonly db: Db
  readonly masterKey: Uint8Array
  readonly allowHttp: boolean
}

export function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    merchantId: e.merchantId,
    influencerId: e.influencerId,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.disabledAt === null,
    disabledAt: e.disabledAt?.toISOString() ?? null,
    disabledReason: e.disabledReason,
    consecutiveFailures: e.consecutiveFailures,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  }
}

/** https only (http too when allowed), at most 2,048 characters, no user:password (it would be logged). */
export function checkUrl(raw: string, allowHttp: boolean): string {
  const bad = (message: string) => new HttpError(400, 'invalid_url', message)
  if (raw.length > 2048) throw bad('url is longer than 2048 characters')
  if (!URL.canParse(raw)) throw bad('url is not an absolute URL')
  const u = new URL(raw)
  if (u.protocol === 'http:' && !allowHttp)
    throw new HttpError(400, 'https_required', 'webhook endpoints must use https://')
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw bad('url must be https://')
  if (u.username || u.password) throw bad('url must not carry credentials')
  if (!u.hostname) throw bad('url has no host')
  return u.href
}

/** Who will own a new endpoint: the caller's own merchant or influencer; an admin must name one. */
function ownerOf(p: Principal, input: { merchantId?: string; influencerId?: string }) {
  if (p.kind === 'admin') {
    if (!input.merchantId === !input.influencerId)
      throw new HttpError(400, 'owner_required', 'name exactly one of merchantId and influencerId')
    return { merchantId: input.merchantId ?? null, influencerId: input.influencerId ?? null }
  }
  const own = p.kind === 'merchant' ? { merchantId: p.merchantId } : { influencerId: p.influencerId }
  const foreign =
    (input.merchantId !== undefined && input.merchantId !== own.merchantId) ||
    (input.influencerId !== undefined && input.influencerId !== own.influencerId)
  if (foreign) throw new HttpError(404, 'owner_not_found', 'no such merchant or influencer')
  return { merchantId: own.merchantId ?? null, influencerId: own.influencerId ?? null }
}

/** Creates an endpoint with a fresh signing secret, sealed to the endpoint's id; the secret is returned once. */
export async function createEndpoint(
  d: OutboundDeps,
  p: Principal,
  input: {
    url: string
    events: EventType[]
    description?: string
    merchantId?: string
    influencerId?: string
  },
) {
  const id = Bun.randomUUIDv7()
  const secret = newSigningSecret()
  const [row] = await d.db
    .insert(webhookEndpoints)
    .values({
      id,
      ...ownerOf(p, input),
      url: checkUrl(input.url, d.allowHttp),
      description: input.description ?? null,
      events: input.events,
      secretCiphertext: sealSecret(d.masterKey, secret, secretContext(id)),
    })
    .returning()
  if (!row) throw new Error('endpoint not stored')
  return { ...endpointView(row), secret }
}

/** Newest first (v7 ids sort by creation); the cursor is the last id of the previous page. */
export async function listEndpoints(db: Db, p: Principal, q: { cursor?: string; limit?: number } = {}) {
  if (q.cursor !== undefined && !isUuid(q.cursor)) throw new HttpError(400, 'invalid_query', 'bad cursor')
  const limit = q.limit ?? 50
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(and(ownedBy(p), q.cursor ? lt(webhookEndpoints.id, q.cursor) : undefined))
    .orderBy(desc(webhookEndpoints.id))
    .limit(limit + 1)
  const page = rows.slice(0, limit)
  return {
    data: page.map(endpointView),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  }
}

export async function updateEndpoint(
  d: OutboundDeps,
  p: Principal,
  id: string,
  patch: { url?: string; events?: EventType[]; description?: string | null; enabled?: boolean },
) {
  const cur = await getEndpoint(d.db, p, id)
  const enable = patch.enabled === true && cur.disabledAt !== null
  const disable = patch.enabled === false && cur.disabledAt === null
  return d.db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        ...(patch.url !== undefined && { url: checkUrl(patch.url, d.allowHttp) }),
        ...(patch.events !== undefined && { events: patch.events }),
        ...(patch.description !== undefined && { description: patch.description }),
        // Re-enabling starts a new count: the old failures led to the disabling, not to the next one.
        ...(enable && { disabledAt: null, disabledReason: null, consecutiveFailures: 0 }),
        ...(disable && { disabledAt: new Date(), disabledReason: 'disabled through the API' }),
      })
      .where(eq(webhookEndpoints.id, cur.id))
      .returning()
    if (!row) throw notFound(id)
    // A disabled endpoint is sent nothing: what was waiting fails (redeliver it once re-enabled).
    if (disable)
      await tx
        .update(webhookDeliveries)
        .set({ status: 'failed', lastError: 'endpoint disabled through the API' })
        .where(and(eq(webhookDeliveries.endpointId, cur.id), eq(webhookDeliveries.status, 'pending')))
    return endpointView(row)
  })
}

export async function deleteEndpoint(db: Db, p: Principal, id: string): Promise<void> {
  const cur = await getEndpoint(db, p, id)
  // Deliveries and their attempts go with it (ON DELETE CASCADE).
  await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, cur.id))
}

/** A new secret replaces the old one at once (the old one stops verifying); returned once, like at creation. */
export async function rotateSecret(d: OutboundDeps, p: Principal, id: string) {
  const cur = await getEndpoint(d.db, p, id)
  const secret = newSigningSecret()
  const [row] = await d.db
    .update(webhookEndpoints)
    .set({ secretCiphertext: sealSecret(d.masterKey, secret, secretContext(cur.id)) })
    .where(eq(webhookEndpoints.id, cur.id))
    .returning()
  if (!row) throw notFound(id)
  return { ...endpointView(row), secret }
}
