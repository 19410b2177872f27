import { Elysia } from 'elysia'
import { adminAuth, adminDetail, adminErrors } from '../auth/plugin.ts'
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

const errors = adminErrors
const detail = adminDetail('links')

export const linksPlugin = ({ store, config }: { store: Store; config: Config }) =>
  new Elysia({ name: 'links', prefix: '/api/v1/links' })
    .use(adminAuth({ adminApiKey: config.secrets.adminApiKey }))
    .post(
      '/',
      async ({ body, set }) => {
        const [link] = await createLinks({ store, config, items: [body], bulk: false })
        set.status = 201
        return link!
      },
      {
        body: LinkInput,
        response: { 201: LinkBody, ...errors },
        detail: detail(
          'Create a tracking link',
          `Random or custom slug; 409 slug_taken / route_taken on collisions. ${SLUG_RULES}`,
        ),
      },
    )
    .post(
      '/bulk',
      async ({ body, set }) => {
        const data = await createLinks({ store, config, items: body.items, bulk: true })
        set.status = 201
        return { data }
      },
      {
        body: BulkInput,
        response: { 201: BulkResult, ...errors },
        detail: detail(
          'Create up to 1,000 links atomically',
          'All or nothing: any invalid item fails the whole request, naming items[i], and nothing is written.',
        ),
      },
    )
    .get('/', ({ query }) => listLinks({ store, config, query }), {
      query: ListQuery,
      response: { 200: LinkList, ...errors },
      detail: detail('List links', 'Newest first; cursor pagination via nextCursor.'),
    })
    .get('/:id', ({ params }) => getLink({ store, config, id: params.id }), {
      params: IdParams,
      response: { 200: LinkBody, ...errors },
      detail: detail('Get a link'),
    })
    .patch('/:id', ({ params, body }) => updateLink({ store, config, id: params.id, patch: body }), {
      params: IdParams,
      body: LinkPatch,
      response: { 200: LinkBody, ...errors },
      detail: detail('Update destination, UTM, network params, expiry or asset'),
    })
    .post('/:id/deactivate', ({ params }) => setLinkActive({ store, config, id: params.id, active: false }), {
      params: IdParams,
      response: { 200: LinkBody, ...errors },
      detail: detail('Deactivate a link (soft, idempotent)'),
    })
    .post('/:id/activate', ({ params }) => setLinkActive({ store, config, id: params.id, active: true }), {
      params: IdParams,
      response: { 200: LinkBody, ...errors },
      detail: detail('Reactivate a deactivated link'),
    })
    .delete('/:id', ({ params }) => setLinkActive({ store, config, id: params.id, active: false }), {
      params: IdParams,
      response: { 200: LinkBody, ...errors },
      detail: detail('Deactivate a link (same as POST /:id/deactivate; rows are never deleted)'),
    })
