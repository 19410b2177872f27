import { Elysia, t } from 'elysia'
import { adminKeyCheck } from './service.ts'
import type { Authenticator } from './principal.ts'

/**
 * Guards every route of the plugin that `.use()`s it (scoped: the parent only, never siblings).
 * Unnamed on purpose: Elysia deduplicates named plugins, and a second feature using the guard would
 * silently lose it. Runs at transform, before body validation, so anonymous callers learn nothing
 * about the schema.
 */
export const adminAuth = ({ adminApiKey }: { adminApiKey: string | undefined }) => {
  const check = adminKeyCheck(adminApiKey)
  return new Elysia().onTransform({ as: 'scoped' }, ({ request, set }) => {
    try {
      check(request.headers.get('authorization'))
    } catch (err) {
      set.headers['www-authenticate'] = 'Bearer'
      throw err
    }
  })
}

/** The error body every /api route answers with, for route schemas. */
export const ApiError = t.Object({
  error: t.Object({ code: t.String(), message: t.String(), details: t.Optional(t.Unknown()) }),
})

/** Responses every admin-key route may give besides its own. */
export const adminErrors = { 400: ApiError, 401: ApiError, 404: ApiError, 409: ApiError, 422: ApiError }

/** OpenAPI detail for an admin-key route of the given tag. */
export const adminDetail =
  (tag: string) =>
  (summary: string, description = '') => ({
    tags: [tag],
    security: [{ bearer: [] }],
    summary,
    description: `${description} Requires \`Authorization: Bearer <ADMIN_API_KEY>\`.`.trim(),
  })

/**
 * Resolves the caller of every route of the plugin that `.use()`s it into `principal`, or answers 401. Runs as a
 * derive (before body validation), so anonymous callers learn nothing about the schema. Unnamed, like adminAuth.
 */
export const principalAuth = (authenticate: Authenticator) =>
  new Elysia().derive({ as: 'scoped' }, async ({ request, set, server }) => {
    try {
      const principal = await authenticate(request.headers.get('authorization'))
      const peer = server?.requestIP(request)?.address
      const clientIp = authenticate.clientIp?.(peer, request.headers.get('x-forwarded-for')) ?? peer ?? null
      return { principal, clientIp }
    } catch (err) {
      set.headers['www-authenticate'] = 'Bearer'
      throw err
    }
  })

/** OpenAPI detail for a route any API key may call, scoped to what the key's owner may see. */
export const scopedDetail =
  (tag: string) =>
  (summary: string, description = '') => ({
    tags: [tag],
    security: [{ bearer: [] }],
    summary,
    description:
      `${description} Any API key: an influencer's sees only their own data, a merchant's only its programs'; other tenants' ids answer 404.`.trim(),
  })
