import { t } from 'elysia'

const Uuid = t.String({ format: 'uuid' })
const Name = t.String({ minLength: 1, maxLength: 100, pattern: '\\S' })

export const DeviceParams = t.Object({ id: Uuid })
export const DeviceInput = t.Object({
  name: Name,
  merchantId: t.Optional(Uuid),
})
export const DevicePatch = t.Object({ name: Name })
export const DeviceQuery = t.Object({ merchantId: t.Optional(Uuid) })

export const DeviceBody = t.Object({
  id: t.String(),
  merchantId: t.Nullable(t.String()),
  name: t.String(),
  createdAt: t.String(),
  lastSeenAt: t.Nullable(t.String()),
  revokedAt: t.Nullable(t.String()),
  previousSecretExpiresAt: t.Nullable(
    t.String({ description: 'Until then the secret before the last rotation is accepted too.' }),
  ),
})
export const DeviceList = t.Array(DeviceBody)
export const DeviceWithSecret = t.Composite([
  DeviceBody,
  t.Object({
    secret: t.String({ description: 'whsec_…: shown in this response only; sign requests with it.' }),
  }),
])

export type DeviceInput = typeof DeviceInput.static
