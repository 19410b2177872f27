import { randomBytes } from 'node:crypto'
import { and, desc, eq, type SQL, sql } from 'drizzle-orm'
import { recordAudit } from '../audit/service.ts'
import { type Principal, requireScope } from '../auth/principal.ts'
import { devices, merchants } from '../db/schema/index.ts'
import type { Db, Store } from '../db/store.ts'
import { HttpError, notFound } from '../shared/errors.ts'
import { sealSecret } from '../shared/secret-box.ts'

// Brands' servers that post conversions (POST /api/v1/events/conversion) signed with their own secret. The secret
// is shown once and stored sealed with MASTER_KEY (verifying an HMAC needs the secret itself). Rotation keeps the
// old secret valid for PREVIOUS_SECRET_HOURS, so a fleet can pick up the new one without dropping a request.

export const PREVIOUS_SECRET_HOURS = 24

export interface DeviceDeps {
  readonly store: Store
  readonly masterKey: Uint8Array
}

/** Who acts, for access checks and the audit trail. */
export interface Caller {
  readonly principal: Principal
  readonly ip: string | null
}

export interface DeviceView {
  id: string
  merchantId: string | null
  name: string
  createdAt: string
  lastSeenAt: string | null
  revokedAt: string | null
  previousSecretExpiresAt: string | null
}

/** The sealed secret is bound to its device: copied onto another row it will not open. */
export const deviceSecretContext = (deviceId: string) => `device_secret:${deviceId}`

const mintSecret = () => `whsec_${randomBytes(32).toString('base64')}`
const iso = (d: Date | null) => (d ? d.toISOString() : null)

export const view = (r: typeof devices.$inferSelect): DeviceView => ({
  id: r.id,
  merchantId: r.merchantId,
  name: r.name,
  createdAt: r.createdAt.toISOString(),
  lastSeenAt: iso(r.lastSeenAt),
  revokedAt: iso(r.revokedAt),
  // Once past, the previous secret is dead whatever the row still holds.
  previousSecretExpiresAt:
    r.previousExpiresAt && r.previousExpiresAt.getTime() > Date.now()
      ? r.previousExpiresAt.toISOString()
      : null,
})

/** The merchant a caller's devices belong to; null for the operator (all merchants). */
function merchantScope(p: Principal, write: boolean): string | null {
  if (p.kind === 'influencer')
    throw new HttpError(403, 'forbidden', 'devices belong to merchants: use a merchant or admin key')
  if (write) requireScope(p, 'devices:write')
  else if (p.scopes && !p.scopes.includes('devices:read')) requireScope(p, 'devices:write')
  return p.kind === 'merchant' ? p.merchantId : null
}

const visible = (id: string, merchant: string | null): SQL =>
  merchant === null ? eq(devices.id, id) : and(eq(devices.id, id), eq(devices.merchantId, merchant))!

/** Names are unique per organisation: a clash (checked, or decided by the constraint in a race) is a 409. */
async function nameClash<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
      const pg = e as { code?: string; constraint_name?: string; constraint?: string }
      if (pg.code === '23505' && (pg.constraint_name ?? pg.constraint) === 'devices_org_name_uq')
        throw new HttpError(409, 'name_taken', 'a device with this name exists in the organisation')
    }
    throw err
  }
}

export async function registerDevice(
  d: DeviceDeps,
  input: { name: string; merchantId?: string },
  caller: Caller,
): Promise<DeviceView & { secret: string }> {
  const own = merchantScope(caller.principal, true)
  if (own !== null && input.merchantId !== undefined && input.merchantId !== own) throw notFound('merchant')
  const merchantId = own ?? input.merchantId
  if (!merchantId)
    throw new HttpError(422, 'merchant_required', 'an admin key names the merchant (merchantId)')
  const id = Bun.randomUUIDv7()
  const secret = mintSecret()
  const row = await nameClash(() =>
    d.store.db.transaction(async (tx) => {
      const [m] = await tx
        .select({ orgId: merchants.orgId })
        .from(merchants)
        .where(eq(merchants.id, merchantId))
      if (!m) throw notFound('merchant')
      const [created] = await tx
        .insert(devices)
        .values({
          id,
          orgId: m.orgId,
          merchantId,
          name: input.name.trim(),
          secretCiphertext: sealSecret(d.masterKey, secret, deviceSecretContext(id)),
        })
        .returning()
      const v = view(created!)
      await audit(tx, caller, 'device.registered', m.orgId, v, null, v)
      return created!
    }),
  )
  return { ...view(row), secret }
}

export async function listDevices(d: DeviceDeps, query: { merchantId?: string }, p: Principal) {
  const own = merchantScope(p, false)
  const merchant = own ?? query.merchantId ?? null
  if (own !== null && query.merchantId !== undefined && query.merchantId !== own) return []
  const rows = await d.store.db
    .select()
    .from(devices)
    .where(merchant === null ? undefined : eq(devices.merchantId, merchant))
    .orderBy(desc(devices.createdAt), desc(devices.id))
  return rows.map(view)
}

/** Locks a device the caller may see, or answers 404 (another merchant's device is as good as absent). */
async function lockVisible(tx: Db, id: string, caller: Caller) {
  const merchant = merchantScope(caller.principal, true)
  const [row] = await tx.select().from(devices).where(visible(id, merchant)).for('update')
  if (!row) throw notFound('device')
  return row
}

export async function renameDevice(d: DeviceDeps, id: string, name: string, caller: Caller) {
  return nameClash(() =>
    d.store.db.transaction(async (tx) => {
      const before = await lockVisible(tx, id, caller)
      const [after] = await tx
        .update(devices)
        .set({ name: name.trim() })
        .where(eq(devices.id, id))
        .returning()
      await audit(tx, caller, 'device.renamed', before.orgId, view(after!), view(before), view(after!))
      return view(after!)
    }),
  )
}

/** Idempotent: revoking a revoked device changes nothing. Its signed requests are refused from now on. */
export async function revokeDevice(d: DeviceDeps, id: string, caller: Caller) {
  return d.store.db.transaction(async (tx) => {
    const before = await lockVisible(tx, id, caller)
    if (before.revokedAt) return view(before)
    const [after] = await tx
      .update(devices)
      .set({ revokedAt: sql`now()`, previousSecretCiphertext: null, previousExpiresAt: null })
      .where(eq(devices.id, id))
      .returning()
    await audit(tx, caller, 'device.revoked', before.orgId, view(after!), view(before), view(after!))
    return view(after!)
  })
}

/** A new secret, shown once; the current one becomes the previous, accepted for PREVIOUS_SECRET_HOURS more. */
export async function rotateDeviceSecret(d: DeviceDeps, id: string, caller: Caller) {
  const secret = mintSecret()
  return d.store.db.transaction(async (tx) => {
    const before = await lockVisible(tx, id, caller)
    if (before.revokedAt)
      throw new HttpError(409, 'device_revoked', 'a revoked device cannot get a new secret')
    const [after] = await tx
      .update(devices)
      .set({
        previousSecretCiphertext: before.secretCiphertext,
        previousExpiresAt: sql`now() + make_interval(hours => ${PREVIOUS_SECRET_HOURS})`,
        secretCiphertext: sealSecret(d.masterKey, secret, deviceSecretContext(id)),
      })
      .where(eq(devices.id, id))
      .returning()
    await audit(tx, caller, 'device.rotated', before.orgId, view(after!), view(before), view(after!))
    return { ...view(after!), secret }
  })
}

// The views never hold a secret; scrub() in the audit service would drop one anyway.
function audit(
  tx: Db,
  caller: Caller,
  action: string,
  orgId: string,
  target: DeviceView,
  before: DeviceView | null,
  after: DeviceView,
) {
  return recordAudit(tx, {
    actor: caller.principal,
    action,
    targetType: 'device',
    targetId: target.id,
    orgId,
    ip: caller.ip,
    before: before ? { ...before } : null,
    after: { ...after },
  })
}
