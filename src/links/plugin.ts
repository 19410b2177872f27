import { Elysia } from 'elysia'
import { needs } from '../auth/ownership.ts'
import { adminErrors, ApiError, principalAuth, scopedDetail } from '../auth/plugin.ts'
import type { Authenticator } from '../auth/principal.ts'
import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import {
  BulkInput,
  BulkResult,
  IdParams,
  LinkBody,
  LinkInput,
  LinkList,
  LinkPatch,
  ListQuery,
  SLUG_RULES,
} from './model.ts'
import { createLinks, getLink, listLinks, setLinkActive, updateLink } from './service.ts'

const errors = { ...adminErrors, 403: ApiError }
const detail = scopedDetail('links')
const WHO_CREATES =
  'A merchant key creates links in its own programs, an influencer key only for itself in programs it is an ' +
  'approved member of; programs and influencers the key cannot see answer like unknown ones (422).'

export const linksPlugin = ({
  store,
  config,
  authenticate,
}: {
  store: Store
  config: Config
  authenticate: Authenticator
}) =>
  new Elysia({ name: 'links', prefix: '/api/v1/links' })
    .use(principalAuth(authenticate))
    .post(
      '/',
      async ({ principal, body, set }) => {
        const [link] = await createLinks({ store, config, principal, items: [body], bulk: false })
        set.status = 201
        return link!
      },
      {
        body: LinkInput,
        response: { 201: LinkBody, ...errors },
        ...needs(
          'links:write',
          detail(
            'Create a tracking link',
            `Random or custom slug; 409 slug_taken / route_taken on collisions. ${SLUG_RULES} ${WHO_CREATES}`,
          ),
        ),
      },
    )
    .post(
      '/bulk',
      async ({ principal, body, set }) => {
        const data = await createLinks({ store, config, principal, items: body.items, bulk: true })
        set.status = 201
        return { data }
      },
      {
        body: BulkInput,
        response: { 201: BulkResult, ...errors },
        ...needs(
          'links:write',
          detail(
            'Create up to 1,000 links atomically',
            `All or nothing: any invalid item fails the whole request, naming items[i], and nothing is written. ${WHO_CREATES}`,
          ),
        ),
      },
    )
    .get('/', ({ principal, query }) => listLinks({ store, config, principal, query }), {
      query: ListQuery,
      response: { 200: LinkList, ...errors },
      ...needs('links:read', detail('List links', 'Newest first; cursor pagination via nextCursor.')),
    })
    .get('/:id', ({ principal, params }) => getLink({ store, config, principal, id: params.id }), {
      params: IdParams,
      response: { 200: LinkBody, ...errors },
      ...needs('links:read', detail('Get a link')),
    })
    .patch(
      '/:id',
      ({ principal, params, body }) => updateLink({ store, config, principal, id: params.id, patch: body }),
      {
        params: IdParams,
        body: LinkPatch,
        response: { 200: LinkBody, ...errors },
        ...needs('links:write', detail('Update destination, UTM, network params, expiry or asset')),
      },
    )
    .post(
      '/:id/deactivate',
      ({ principal, params }) => setLinkActive({ store, config, principal, id: params.id, active: false }),
      {
        params: IdParams,
        response: { 200: LinkBody, ...errors },
        ...needs('links:write', detail('Deactivate a link (soft, idempotent)')),
      },
    )
    .post(
      '/:id/activate',
      ({ principal, params }) => setLinkActive({ store, config, principal, id: params.id, active: true }),
      {
        params: IdParams,
        response: { 200: LinkBody, ...errors },
        ...needs('links:write', detail('Reactivate a deactivated link')),
      },
    )
    .delete(
      '/:id',
      ({ principal, params }) => setLinkActive({ store, config, principal, id: params.id, active: false }),
      {
        params: IdParams,
        response: { 200: LinkBody, ...errors },
        ...needs(
          'links:write',
          detail('Deactivate a link (same as POST /:id/deactivate; rows are never deleted)'),
        ),
      },
    )
