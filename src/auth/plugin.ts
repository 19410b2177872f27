import { Elysia } from 'elysia'
import { adminKeyCheck } from './service.ts'

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
