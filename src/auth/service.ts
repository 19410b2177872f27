import { createHash, timingSafeEqual } from 'node:crypto'
import { HttpError } from '../shared/errors.ts'

// Until accounts and scoped API keys exist, one admin key from config grants every /api route.

const digest = (s: string) => createHash('sha256').update(s).digest()

export interface AdminKeyCheck {
  /** Throws a 401 HttpError unless `authorization` is `Bearer <the admin key>`. */
  (authorization: string | null | undefined): void
}

export function adminKeyCheck(adminApiKey: string | undefined): AdminKeyCheck {
  // Comparing SHA-256 digests keeps timingSafeEqual's inputs equal-length, so the key's length never leaks.
  const expected = adminApiKey === undefined ? undefined : digest(adminApiKey)
  return (authorization) => {
    if (!expected)
      throw new HttpError(
        401,
        'api_disabled',
        'the API is disabled: set ADMIN_API_KEY (at least 24 characters) to enable it',
      )
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '')
    if (!match?.[1])
      throw new HttpError(401, 'unauthorized', 'missing "Authorization: Bearer <ADMIN_API_KEY>" header')
    if (!timingSafeEqual(digest(match[1]), expected))
      throw new HttpError(401, 'unauthorized', 'invalid API key')
  }
}
