import { createHash, timingSafeEqual } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'

/** Who is calling: the operator (admin key or an admin user's key), a merchant, or an influencer. */
export type Principal =
  | { readonly kind: 'admin'; readonly keyId: string | null }
  | { readonly kind: 'merchant'; readonly merchantId: string; readonly keyId: string }
  | { readonly kind: 'influencer'; readonly influencerId: string; readonly keyId: string }

export interface Authenticator {
  /** Resolves a bearer token (`Authorization` header value or a bare key) to a principal, or throws 401. */
  (authorization: string | null | undefined): Promise<Principal>
  /** Drops cached principals, so a key revoked here is refused at once. */
  forget?(): void
}

export const API_KEY_PREFIX = 'sk_live_'
const sha256 = (s: string) => createHash('sha256').update(s).digest()
const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex')

/** A fresh API key (32 random bytes) and what is stored of it: its SHA-256, never the key. */
export function mintApiKey(): { key: string; hash: string; prefix: string } {
  const key = API_KEY_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
  return { key, hash: sha256Hex(key), prefix: key.slice(0, API_KEY_PREFIX.length + 6) }
}

interface KeyRow {
  id: string
  role: 'admin' | 'merchant' | 'influencer'
  merchant_id: string | null
  influencer_id: string | null
}

// A key's principal is cached briefly so every request does not hit Postgres; a revocation takes effect within
// this long on every host (a revoked key is also refused at once on the host that revoked it: see forget).
const CACHE_MS = 30_000
const TOKEN = /^Bearer[ ]+(\S+)\s*$/i

export function createAuthenticator(d: { store: Store; adminApiKey: string | undefined }): Authenticator {
  const admin = d.adminApiKey === undefined ? undefined : sha256(d.adminApiKey)
  const cache = new LRUCache<string, Principal | false>({ max: 10_000, ttl: CACHE_MS })

  const lookup = async (hash: string): Promise<Principal | false> => {
    const [row] = await d.store.query<KeyRow>(
      `select k.id, u.role, u.merchant_id, u.influencer_id
         from api_keys k join users u on u.id = k.user_id
        where k.key_hash = $1 and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
          and u.disabled_at is null`,
      [hash],
      { prepare: true },
    )
    if (!row) return false
    // Last use is tracked coarsely (once per cache period), off the request's critical path.
    void d.store.query('update api_keys set last_used_at = now() where id = $1', [row.id]).catch(() => {})
    if (row.role === 'merchant' && row.merchant_id)
      return { kind: 'merchant', merchantId: row.merchant_id, keyId: row.id }
    if (row.role === 'influencer' && row.influencer_id)
      return { kind: 'influencer', influencerId: row.influencer_id, keyId: row.id }
    if (row.role === 'admin') return { kind: 'admin', keyId: row.id }
    return false
  }

  const authenticate: Authenticator = async (authorization) => {
    const raw = authorization ?? ''
    const token = TOKEN.exec(raw)?.[1] ?? (raw.startsWith(API_KEY_PREFIX) ? raw.trim() : undefined)
    if (!token) throw new HttpError(401, 'unauthorized', 'missing "Authorization: Bearer <API key>" header')
    // Digests keep timingSafeEqual's inputs equal-length, so the admin key's length never leaks.
    if (admin && timingSafeEqual(sha256(token), admin)) return { kind: 'admin', keyId: null }
    if (!token.startsWith(API_KEY_PREFIX)) throw new HttpError(401, 'unauthorized', 'invalid API key')
    const hash = sha256Hex(token)
    let p = cache.get(hash)
    if (p === undefined) {
      p = await lookup(hash)
      cache.set(hash, p)
    }
    if (!p) throw new HttpError(401, 'unauthorized', 'invalid, revoked or expired API key')
    return p
  }
  authenticate.forget = () => cache.clear()
  return authenticate
}

/** Refuses any principal but the operator: for routes that act across tenants. */
export function requireAdmin(p: Principal): void {
  if (p.kind !== 'admin') throw new HttpError(403, 'forbidden', 'this route needs an admin key')
}
