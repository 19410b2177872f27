import { Elysia, t } from 'elysia'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { deriveJwtKey } from './jwt.ts'
import { needs } from './ownership.ts'
import { ApiError, principalAuth } from './plugin.ts'
import type { Authenticator } from './principal.ts'
import {
  login,
  logout,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  refreshSession,
  type RequestMeta,
  setPassword,
} from './sessions.ts'

const Tokens = t.Object({
  accessToken: t.String({ description: 'Session JWT (HS256), valid for expiresIn seconds.' }),
  refreshToken: t.String({
    description: 'skr_…: trades for new tokens at /auth/refresh, once; a second use ends the session.',
  }),
  tokenType: t.Literal('Bearer'),
  expiresIn: t.Number(),
})
const LoginInput = t.Object({
  // No format check: a malformed email gets the same 401 as an unknown one.
  email: t.String({ minLength: 1, maxLength: 254 }),
  password: t.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
})
const RefreshInput = t.Object({ refreshToken: t.String({ maxLength: 200 }) })
const LogoutInput = t.Object({ refreshToken: t.Optional(t.String({ maxLength: 200 })) })
const PasswordInput = t.Object({
  password: t.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  currentPassword: t.Optional(t.String({ maxLength: PASSWORD_MAX_LENGTH })),
})
const errors = { 400: ApiError, 401: ApiError, 403: ApiError, 404: ApiError, 422: ApiError }
const tags = ['auth']

/** Login, refresh and logout (no credentials needed but the ones in the body), and setting a password. */
export const loginPlugin = (d: {
  store: Store
  authenticate: Authenticator
  masterKey: Uint8Array
  ipHashSalt: Uint8Array
}) => {
  const deps = { store: d.store, jwtKey: deriveJwtKey(d.masterKey), ipHashSalt: d.ipHashSalt }
  const meta = (request: Request, server: { requestIP(r: Request): { address: string } | null } | null) => {
    const peer = server?.requestIP(request)?.address
    const ip = d.authenticate.clientIp?.(peer, request.headers.get('x-forwarded-for')) ?? peer ?? null
    return { ip, userAgent: request.headers.get('user-agent') } satisfies RequestMeta
  }

  // Every host drops an ended session on its NOTIFY; the host that ended it does not wait for its own.
  const forgetIfEnded = (err: unknown) => {
    if (err instanceof HttpError && err.code === 'refresh_token_reused') d.authenticate.forget?.()
  }

  const passwords = new Elysia({ name: 'auth-passwords' }).use(principalAuth(d.authenticate)).post(
    '/api/v1/users/:id/password',
    async ({ params, body, principal, clientIp, set }) => {
      await setPassword(deps, params.id, body, { principal, ip: clientIp })
      d.authenticate.forget?.()
      set.status = 204
    },
    {
      params: t.Object({ id: t.String({ format: 'uuid' }) }),
      body: PasswordInput,
      response: { 204: t.Void(), ...errors },
      // Scoped like every account action. A user's own session carries no scopes (they limit API keys only), so
      // it is never refused for lacking this one: setting one's own password is not a key's business.
      ...needs('accounts:write', {
        tags,
        security: [{ bearer: [] }],
        summary: "Set a user's password",
        description: `An admin for any user; a user for itself from a logged-in session, with currentPassword once it has one. At least ${PASSWORD_MIN_LENGTH} characters. Ends the user's other sessions.`,
      }),
    },
  )

  return new Elysia({ name: 'auth-login' })
    .post('/api/v1/auth/login', ({ body, request, server }) => login(deps, body, meta(request, server)), {
      body: LoginInput,
      response: { 200: Tokens, ...errors },
      detail: {
        tags,
        summary: 'Log in with email and password',
        description: 'A wrong email and a wrong password get the same 401 in the same time.',
      },
    })
    .post(
      '/api/v1/auth/refresh',
      async ({ body, request, server }) => {
        try {
          return await refreshSession(deps, body.refreshToken, meta(request, server))
        } catch (err) {
          forgetIfEnded(err)
          throw err
        }
      },
      {
        body: RefreshInput,
        response: { 200: Tokens, ...errors },
        detail: {
          tags,
          summary: 'Trade a refresh token for new tokens',
          description: 'The refresh token is replaced; presenting an old one again ends the session (401).',
        },
      },
    )
    .post(
      '/api/v1/auth/logout',
      async ({ body, request, server, set }) => {
        const header = request.headers.get('authorization')
        // A stale or foreign token in the header does not stop a logout by refresh token.
        const principal = header ? await d.authenticate(header).catch(() => undefined) : undefined
        try {
          await logout(deps, { refreshToken: body?.refreshToken, principal }, meta(request, server))
        } catch (err) {
          forgetIfEnded(err)
          throw err
        }
        d.authenticate.forget?.()
        set.status = 204
      },
      {
        body: t.Optional(LogoutInput),
        response: { 204: t.Void(), ...errors },
        detail: {
          tags,
          summary: 'End a session',
          description:
            'By its refresh token in the body, or by the session token in Authorization. Its access tokens stop working on every host at once.',
        },
      },
    )
    .use(passwords)
}
