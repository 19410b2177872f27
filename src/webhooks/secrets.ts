import { and, eq } from 'drizzle-orm'
import { webhookSecrets } from '../db/schema/index.ts'
import type { Store } from '../db/store.ts'
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
