import { and, eq } from 'drizzle-orm'
import { randomBytes } from 'node:crypto'
import { seesMerchant } from '../auth/ownership.ts'
import type { Principal } from '../auth/principal.ts'
import { merchants, webhookSecrets } from '../db/schema/index.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { openSecret, sealSecret } from '../shared/secret-box.ts'
import type { WebhookSourceName } from './adapter.ts'

// The sealed value is bound to its merchant, source and key id: copied onto another row it will not open.
const context = (merchantId: string, source: string, keyId: string) =>
  `webhook_secret:${merchantId}:${source}:${keyId}`

/** Active, unexpired secrets of a merchant for one source, decrypted (at most two during rotation). */
export async function activeSecrets(
  store: Store,
  masterKey: Uint8Array,
  merchantId: string,
  source: WebhookSourceName,
): Promise<string[]> {
  const rows = await store.db
    .select()
    .from(webhookSecrets)
    .where(
      and(
        eq(webhookSecrets.merchantId, merchantId),
        eq(webhookSecrets.source, source),
        eq(webhookSecrets.active, true),
      ),
    )
  const now = Date.now()
  return rows
    .filter((r) => !r.expiresAt || r.expiresAt.getTime() > now)
    .map((r) => openSecret(masterKey, r.secretCiphertext, context(merchantId, source, r.keyId)))
}

export async function addSecret(
  store: Store,
  masterKey: Uint8Array,
  s: { merchantId: string; source: WebhookSourceName; keyId: string; secret: string; slot: 1 | 2 },
): Promise<void> {
  await store.db.insert(webhookSecrets).values({
    merchantId: s.merchantId,
    source: s.source,
    keyId: s.keyId,
    slot: s.slot,
    secretCiphertext: sealSecret(masterKey, s.secret, context(s.merchantId, s.source, s.keyId)),
  })
}

export interface SecretView {
  readonly keyId: string
  readonly source: string
  readonly slot: number
  readonly active: boolean
  readonly createdAt: string
}

const view = (r: typeof webhookSecrets.$inferSelect): SecretView => ({
  keyId: r.keyId,
  source: r.source,
  slot: r.slot,
  active: r.active,
  createdAt: r.createdAt.toISOString(),
})

/**
 * The merchant a slug names. With `viewer`, a merchant the caller may not manage (any but its own; every one for
 * an influencer) answers exactly like a slug that does not exist.
 */
export async function merchantIdOf(store: Store, slug: string, viewer?: Principal): Promise<string> {
  const [m] = await store.db.select({ id: merchants.id }).from(merchants).where(eq(merchants.slug, slug))
  if (!m || (viewer && !seesMerchant(viewer, m.id)))
    throw new HttpError(404, 'unknown_merchant', `no merchant "${slug}"`)
  return m.id
}

export async function listSecrets(
  store: Store,
  merchantSlug: string,
  viewer: Principal,
): Promise<SecretView[]> {
  const merchantId = await merchantIdOf(store, merchantSlug, viewer)
  const rows = await store.db
    .select()
    .from(webhookSecrets)
    .where(eq(webhookSecrets.merchantId, merchantId))
    .orderBy(webhookSecrets.createdAt)
  return rows.map(view)
}

/**
 * Registers a signing secret for a source. Shopify and Refersion issue their own (pass `secret`); for Stripe
 * paste the endpoint's whsec_…; for our S2S API one is generated and shown once. At most two are active per
 * source: rotation is add the new one, switch the sender, then deactivate the old.
 */
export async function createSecret(
  store: Store,
  masterKey: Uint8Array,
  merchantSlug: string,
  input: { source: WebhookSourceName; secret?: string; keyId?: string },
  viewer: Principal,
): Promise<SecretView & { secret?: string }> {
  const merchantId = await merchantIdOf(store, merchantSlug, viewer)
  const generated = input.secret === undefined
  const secret = input.secret ?? `whsec_${randomBytes(32).toString('base64')}`
  const keyId = input.keyId ?? `k_${randomBytes(6).toString('hex')}`
  try {
    return await store.db.transaction(async (tx) => {
      const active = await tx
        .select({ slot: webhookSecrets.slot })
        .from(webhookSecrets)
        .where(
          and(
            eq(webhookSecrets.merchantId, merchantId),
            eq(webhookSecrets.source, input.source),
            eq(webhookSecrets.active, true),
          ),
        )
        .for('update')
      const used = new Set(active.map((a) => a.slot))
      const slot = !used.has(1) ? 1 : !used.has(2) ? 2 : undefined
      if (slot === undefined)
        throw new HttpError(409, 'two_active_secrets', 'two secrets are already active: deactivate one first')
      const [row] = await tx
        .insert(webhookSecrets)
        .values({
          merchantId,
          source: input.source,
          keyId,
          slot,
          secretCiphertext: sealSecret(masterKey, secret, context(merchantId, input.source, keyId)),
        })
        .returning()
      if (!row) throw new Error('secret not stored')
      return generated ? { ...view(row), secret } : view(row)
    })
  } catch (err) {
    if ((err as { code?: string }).code === '23505')
      throw new HttpError(
        409,
        'secret_conflict',
        'that key id is taken, or another secret was added at the same time',
      )
    throw err
  }
}

export async function deactivateSecret(
  store: Store,
  merchantSlug: string,
  keyId: string,
  viewer: Principal,
): Promise<SecretView> {
  const merchantId = await merchantIdOf(store, merchantSlug, viewer)
  const [row] = await store.db
    .update(webhookSecrets)
    .set({ active: false })
    .where(and(eq(webhookSecrets.merchantId, merchantId), eq(webhookSecrets.keyId, keyId)))
    .returning()
  if (!row) throw new HttpError(404, 'secret_not_found', `no secret "${keyId}" for this merchant`)
  return view(row)
}
