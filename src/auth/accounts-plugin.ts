import { Elysia, t } from 'elysia'
import type { Store } from '../db/store.ts'
import { createApiKey, createUser, revokeApiKey } from './accounts.ts'
import { needs } from './ownership.ts'
import { adminDetail, adminErrors, ApiError, principalAuth } from './plugin.ts'
import { type Authenticator, requireAdmin, SCOPES } from './principal.ts'

// The operator's minimum for handing out scoped keys: a user acting for one merchant or influencer, and keys for
// that user. (Passwords, sessions and self-service are the accounts issue's.)

const Uuid = t.String({ format: 'uuid' })
const UserInput = t.Object({
  email: t.String({ format: 'email', maxLength: 254 }),
  role: t.Union([t.Literal('admin'), t.Literal('merchant'), t.Literal('influencer')]),
  merchantId: t.Optional(Uuid),
  influencerId: t.Optional(Uuid),
  orgId: t.Optional(Uuid),
})
const UserBody = t.Object({
  id: t.String(),
  orgId: t.String(),
  email: t.String(),
  role: t.String(),
  merchantId: t.Nullable(t.String()),
  influencerId: t.Nullable(t.String()),
  createdAt: t.String(),
})
const KeyInput = t.Object({
  name: t.String({ minLength: 1, maxLength: 100 }),
  expiresAt: t.Optional(t.String({ format: 'date-time' })),
  // At least one: an empty list is stored as "no limit", which must not be what a caller asking for none gets.
  scopes: t.Optional(
    t.Array(t.UnionEnum(SCOPES), {
      minItems: 1,
      uniqueItems: true,
      description: `Limit the key to these (${SCOPES.join(', ')}); omit for everything its user may do.`,
    }),
  ),
})
const KeyBody = t.Object({
  id: t.String(),
  userId: t.String(),
  name: t.String(),
  prefix: t.String(),
  key: t.String({ description: 'Shown once; only its SHA-256 is stored.' }),
  expiresAt: t.Nullable(t.String()),
  scopes: t.Array(t.String(), { description: 'Empty: not limited beyond what its user may do.' }),
})

const detail = adminDetail('accounts')
const errors = { ...adminErrors, 403: ApiError }

export const accountsPlugin = ({ store, authenticate }: { store: Store; authenticate: Authenticator }) =>
  new Elysia({ name: 'accounts', prefix: '/api/v1' })
    .use(principalAuth(authenticate))
    .onBeforeHandle(({ principal }) => requireAdmin(principal))
    .post(
      '/users',
      async ({ body, set, principal, clientIp }) => {
        set.status = 201
        return createUser(store, body, { principal, ip: clientIp })
      },
      {
        body: UserInput,
        response: { 201: UserBody, ...errors },
        ...needs(
          'accounts:write',
          detail(
            'Create a user',
            "A merchant or influencer user sees only that merchant's or influencer's data.",
          ),
        ),
      },
    )
    .post(
      '/users/:id/api-keys',
      async ({ params, body, set, principal, clientIp }) => {
        set.status = 201
        return createApiKey(store, params.id, body, { principal, ip: clientIp })
      },
      {
        params: t.Object({ id: Uuid }),
        body: KeyInput,
        response: { 201: KeyBody, ...errors },
        ...needs(
          'accounts:write',
          detail(
            'Create an API key for a user',
            'The key (sk_live_…) is in this response only. `scopes` limits it (403 insufficient_scope elsewhere).',
          ),
        ),
      },
    )
    .delete(
      '/api-keys/:id',
      async ({ params, set, principal, clientIp }) => {
        await revokeApiKey(store, params.id, { principal, ip: clientIp })
        authenticate.forget?.()
        set.status = 204
      },
      {
        params: t.Object({ id: Uuid }),
        ...needs(
          'accounts:write',
          detail('Revoke an API key', 'Refused at once on this host, within 30 s on the others.'),
        ),
      },
    )
