import { Elysia } from 'elysia'
import { needs } from '../auth/ownership.ts'
import { adminErrors, ApiError, principalAuth, scopedDetail } from '../auth/plugin.ts'
import type { Authenticator } from '../auth/principal.ts'
import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import {
  DeliveryBody,
  DeliveryList,
  DeliveryQuery,
  EndpointBody,
  EndpointInput,
  EndpointList,
  EndpointPatch,
  EndpointWithSecret,
  IdParams,
  ListQuery,
} from './model.ts'
import {
  createEndpoint,
  deleteEndpoint,
  endpointView,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  redeliver,
  rotateSecret,
  updateEndpoint,
} from './service.ts'

const errors = { ...adminErrors, 403: ApiError }
const detail = scopedDetail('webhook endpoints')

export const outboundPlugin = (o: { store: Store; config: Config; authenticate: Authenticator }) => {
  const db = o.store.db
  const deps = { db, masterKey: o.config.secrets.masterKey, allowHttp: o.config.outboundWebhooks.allowHttp }
  return new Elysia({ name: 'outbound-webhooks', prefix: '/api/v1' })
    .use(principalAuth(o.authenticate))
    .post(
      '/webhook-endpoints',
      async ({ principal, body, set }) => {
        set.status = 201
        return createEndpoint(deps, principal, body)
      },
      {
        body: EndpointInput,
        response: { 201: EndpointWithSecret, ...errors },
        ...needs(
          'webhooks:write',
          detail(
            'Subscribe an endpoint to events',
            'Deliveries are signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature ' +
              'v1,HMAC-SHA256) with the whsec_ secret returned here once, retried with backoff for 24 h. An ' +
              'admin key names the owner (merchantId or influencerId).',
          ),
        ),
      },
    )
    .get('/webhook-endpoints', ({ principal, query }) => listEndpoints(db, principal, query), {
      query: ListQuery,
      response: { 200: EndpointList, ...errors },
      ...needs('webhooks:read', detail('List webhook endpoints', 'Newest first.')),
    })
    .get(
      '/webhook-endpoints/:id',
      async ({ principal, params }) => endpointView(await getEndpoint(db, principal, params.id)),
      {
        params: IdParams,
        response: { 200: EndpointBody, ...errors },
        ...needs('webhooks:read', detail('Get an endpoint')),
      },
    )
    .patch(
      '/webhook-endpoints/:id',
      ({ principal, params, body }) => updateEndpoint(deps, principal, params.id, body),
      {
        params: IdParams,
        body: EndpointPatch,
        response: { 200: EndpointBody, ...errors },
        ...needs(
          'webhooks:write',
          detail(
            'Change an endpoint',
            'enabled: true re-enables one disabled after repeated failures (its count starts again).',
          ),
        ),
      },
    )
    .delete(
      '/webhook-endpoints/:id',
      async ({ principal, params, set }) => {
        await deleteEndpoint(db, principal, params.id)
        set.status = 204
      },
      { params: IdParams, ...needs('webhooks:write', detail('Delete an endpoint and its delivery log')) },
    )
    .post(
      '/webhook-endpoints/:id/rotate-secret',
      ({ principal, params }) => rotateSecret(deps, principal, params.id),
      {
        params: IdParams,
        response: { 200: EndpointWithSecret, ...errors },
        ...needs(
          'webhooks:write',
          detail('Replace the signing secret', 'The old secret stops at once; the new one is shown once.'),
        ),
      },
    )
    .get(
      '/webhook-endpoints/:id/deliveries',
      ({ principal, params, query }) => listDeliveries(db, principal, params.id, query),
      {
        params: IdParams,
        query: DeliveryQuery,
        response: { 200: DeliveryList, ...errors },
        ...needs(
          'webhooks:read',
          detail('The delivery log', 'Newest first, each delivery with its attempts and status codes.'),
        ),
      },
    )
    .post(
      '/webhook-deliveries/:id/redeliver',
      async ({ principal, params, set }) => {
        set.status = 202
        return redeliver(db, principal, params.id)
      },
      {
        params: IdParams,
        response: { 202: DeliveryBody, ...errors },
        ...needs(
          'webhooks:write',
          detail(
            'Send a delivered or failed delivery again',
            'Now, with the same webhook-id. 409 while it is still pending or when its endpoint is disabled.',
          ),
        ),
      },
    )
}
