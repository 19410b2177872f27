import { eq, sql } from 'drizzle-orm'
import { devices } from '../db/schema/index.ts'
import type { Store } from '../db/store.ts'
import { openSecret } from '../shared/secret-box.ts'
import { deviceSecretContext } from './registry.ts'

// What the S2S intake needs of a device: whose conversions it reports and which secrets may sign them. Read on
// every signed request (one primary-key lookup, no cache), so a revocation or rotation holds at once on every host.

export type DeviceSigner =
  | { readonly ok: true; readonly merchantId: string; readonly secrets: readonly string[] }
  | { readonly ok: false; readonly reason: 'unknown_device' | 'device_revoked' }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function deviceSigner(
  d: { store: Store; masterKey: Uint8Array },
  deviceId: string,
): Promise<DeviceSigner> {
  if (!UUID.test(deviceId)) return { ok: false, reason: 'unknown_device' }
  const [row] = await d.store.db
    .select({
      merchantId: devices.merchantId,
      revokedAt: devices.revokedAt,
      current: devices.secretCiphertext,
      previous: devices.previousSecretCiphertext,
      previousLive: sql<boolean>`${devices.previousExpiresAt} > now()`,
    })
    .from(devices)
    .where(eq(devices.id, deviceId))
  // A legacy device without a merchant cannot say whose conversions it reports.
  if (!row || !row.merchantId) return { ok: false, reason: 'unknown_device' }
  if (row.revokedAt) return { ok: false, reason: 'device_revoked' }
  const context = deviceSecretContext(deviceId)
  const secrets = [openSecret(d.masterKey, row.current, context)]
  if (row.previous && row.previousLive) secrets.push(openSecret(d.masterKey, row.previous, context))
  return { ok: true, merchantId: row.merchantId, secrets }
}

// last_seen_at is for people ("is this server still posting?"): written at most once a minute per device per host,
// off the request's path.
const SEEN_EVERY_MS = 60_000
const lastWritten = new Map<string, number>()

export function markDeviceSeen(store: Store, deviceId: string, now = Date.now()): void {
  if (now - (lastWritten.get(deviceId) ?? 0) < SEEN_EVERY_MS) return
  if (lastWritten.size > 100_000) lastWritten.clear()
  lastWritten.set(deviceId, now)
  void store.db
    .update(devices)
    .set({ lastSeenAt: sql`now()` })
    .where(eq(devices.id, deviceId))
    .catch(() => lastWritten.delete(deviceId))
}
