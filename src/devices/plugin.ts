import { Elysia } from 'elysia'
import { adminErrors, ApiError, principalAuth, scopedDetail } from '../auth/plugin.ts'
import type { Authenticator } from '../auth/principal.ts'
import type { Store } from '../db/store.ts'
import {
  DeviceBody,
  DeviceInput,
  DeviceList,
  DeviceParams,
  DevicePatch,
  DeviceQuery,
  DeviceWithSecret,
} from './model.ts'
import {
  listDevices,
  PREVIOUS_SECRET_HOURS,
  registerDevice,
  renameDevice,
  revokeDevice,
  rotateDeviceSecret,
} from './service.ts'

const errors = { ...adminErrors, 403: ApiError }
const detail = scopedDetail('devices')

/** The device registry: a merchant's key manages that merchant's devices; an admin's, any merchant's. */
export const devicesPlugin = (d: { store: Store; masterKey: Uint8Array; authenticate: Authenticator }) => {
  const deps = { store: d.store, masterKey: d.masterKey }
  return new Elysia({ name: 'devices', prefix: '/api/v1/devices' })
    .use(principalAuth(d.authenticate))
    .post(
      '/',
      async ({ body, principal, clientIp, set }) => {
        set.status = 201
        return registerDevice(deps, body, { principal, ip: clientIp })
      },
      {
        body: DeviceInput,
        response: { 201: DeviceWithSecret, ...errors },
        detail: detail(
          "Register a brand's server that posts conversions",
          'Returns the signing secret (whsec_…) once. Sign POST /api/v1/events/conversion Standard Webhooks style ' +
            'and send `X-SkinStack-Device: <id>`. Names are unique per organisation (409). An admin key names merchantId.',
        ),
      },
    )
    .get('/', ({ query, principal }) => listDevices(deps, query, principal), {
      query: DeviceQuery,
      response: { 200: DeviceList, ...errors },
      detail: detail('List devices (never their secrets)', 'Newest first, with when each was last seen.'),
    })
    .patch(
      '/:id',
      ({ params, body, principal, clientIp }) =>
        renameDevice(deps, params.id, body.name, { principal, ip: clientIp }),
      {
        params: DeviceParams,
        body: DevicePatch,
        response: { 200: DeviceBody, ...errors },
        detail: detail('Rename a device'),
      },
    )
    .post(
      '/:id/revoke',
      ({ params, principal, clientIp }) => revokeDevice(deps, params.id, { principal, ip: clientIp }),
      {
        params: DeviceParams,
        response: { 200: DeviceBody, ...errors },
        detail: detail('Revoke a device', 'Its signed requests are refused (401) at once, on every host.'),
      },
    )
    .post(
      '/:id/rotate',
      ({ params, principal, clientIp }) => rotateDeviceSecret(deps, params.id, { principal, ip: clientIp }),
      {
        params: DeviceParams,
        response: { 200: DeviceWithSecret, ...errors },
        detail: detail(
          "Rotate a device's signing secret",
          `The new secret is in this response only; the previous one is still accepted for ${PREVIOUS_SECRET_HOURS} h.`,
        ),
      },
    )
}
