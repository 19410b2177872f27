import { HttpError } from '../shared/errors.ts'

// The service checks everything it can before writing, but a concurrent request can still win a race
// for a slug or a route between the check and the insert: the constraint then decides, and the caller
// must get the same 409 the check would have given, never a 500.

interface PgError {
  code: string
  constraint?: string
}

/** drizzle wraps driver errors (DrizzleQueryError.cause); postgres.js says constraint_name, PGlite constraint. */
function pgErrorOf(err: unknown): PgError | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const o = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown; cause?: unknown }
    if (typeof o.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code)) {
      const constraint = o.constraint_name ?? o.constraint
      return typeof constraint === 'string' ? { code: o.code, constraint } : { code: o.code }
    }
    e = o.cause
  }
  return undefined
}

export function translateDbError(err: unknown): unknown {
  if (err instanceof HttpError) return err
  const pg = pgErrorOf(err)
  if (!pg) return err
  if (pg.code === '23505' && pg.constraint === 'tracking_links_slug_unique')
    return new HttpError(409, 'slug_taken', 'this slug is already taken by another link')
  if (pg.code === '23505' && pg.constraint === 'tracking_links_creator_route_uq')
    return new HttpError(
      409,
      'route_taken',
      'a link for this influencer, campaign and asset already exists (each creator/campaign/asset route is unique)',
    )
  if (pg.code === '23505')
    return new HttpError(409, 'conflict', `conflicts with an existing row (${pg.constraint})`)
  if (pg.code === '23503')
    return new HttpError(422, 'reference_not_found', `a referenced row does not exist (${pg.constraint})`)
  if (pg.code === '22P02' || pg.code === '22007' || pg.code === '22008')
    return new HttpError(400, 'invalid_request', 'a value has an invalid format')
  return err
}

/** Runs `fn`, turning constraint violations into the HTTP errors they mean. */
export async function withDbErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw translateDbError(err)
  }
}
