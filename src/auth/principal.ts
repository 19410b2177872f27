import { createHash, timingSafeEqual } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { Store } from '../db/store.ts'
import type { Worker } from '../lifecycle.ts'
import { createIpResolver } from '../shared/client-ip.ts'
import { HttpError } from '../shared/errors.ts'
import { deriveJwtKey, looksLikeJwt, verifyAccessToken } from './jwt.ts'

/** What a key may do; a key created without scopes may do everything its owner may. */
export const SCOPES = [
  'links:read',
  'links:write',
  'stats:read',
  'commissions:read',
  'commissions:write',
  'payouts:read',
  'payouts:write',
  'webhooks:read',
  'webhooks:write',
  'devices:read',
  'devices:write',
  'accounts:write',
] as const
export type Scope = (typeof SCOPES)[number]

/**
 * Who is calling: the operator (admin key, an admin user's key or session), a merchant, or an influencer.
 * `keyId` is the API key used, null for the admin key and for a logged-in user's session token (which carries
 * `sessionId` instead); `userId` is absent only for the admin key.
 */
export type Principal = (
  | { readonly kind: 'admin' }
  | { readonly kind: 'merchant'; readonly merchantId: string }
  | { readonly kind: 'influencer'; readonly influencerId: string }
) & {
  readonly keyId: string | null
  readonly userId?: string
  readonly sessionId?: string
  /** Absent: every scope the owner's role allows. */
  readonly scopes?: readonly Scope[]
}

export interface Authenticator {
  /** Resolves a bearer token (`Authorization` header value or a bare key) to a principal, or throws 401. */
  (authorization: string | null | undefined): Promise<Principal>
  /** Drops cached principals, so a key revoked here is refused at once. */
  forget?(): void
  /** The caller's address: the peer, or the forwarded client behind configured trusted proxies. */
  clientIp?(peer: string | undefined, forwardedFor: string | null): string | undefined
}

/** A host's authenticator: also LISTENs for revocations made anywhere (its worker) and signs nothing itself. */
export interface HostAuthenticator extends Authenticator {
  forget(): void
  clientIp(peer: string | undefined, forwardedFor: string | null): string | undefined
  /** LISTENs on api_key_changed: a key revoked (or a user disabled, a session ended) on any host is dropped here. */
  readonly worker: Worker
}

/** Where revocations are announced: the key's sha256 hex, 'session:<id>', or '*' (drop everything). */
export const AUTH_CHANGED_CHANNEL = 'api_key_changed'

export const API_KEY_PREFIX = 'sk_live_'
const sha256 = (s: string) => createHash('sha256').update(s).digest()
const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex')

/** A fresh API key (32 random bytes) and what is stored of it: its SHA-256, never the key. */
export function mintApiKey(): { key: string; hash: string; prefix: string } {
  const key = API_KEY_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
  return { key, hash: sha256Hex(key), prefix: key.slice(0, API_KEY_PREFIX.length + 6) }
}

interface UserRow {
  user_id: string
  role: 'admin' | 'merchant' | 'influencer'
  merchant_id: string | null
  influencer_id: string | null
}

interface KeyRow extends UserRow {
  id: string
  scopes: Scope[]
}

/** The principal a user acts as, by its role; false for a row whose scope went missing. */
function principalOf(row: UserRow, via: { keyId: string | null; sessionId?: string; scopes?: Scope[] }) {
  const scoped = via.scopes?.length ? { scopes: via.scopes } : {}
  const session = via.sessionId ? { sessionId: via.sessionId } : {}
  const base = { keyId: via.keyId, userId: row.user_id, ...session, ...scoped }
  if (row.role === 'merchant' && row.merchant_id)
    return { kind: 'merchant' as const, merchantId: row.merchant_id, ...base }
  if (row.role === 'influencer' && row.influencer_id)
    return { kind: 'influencer' as const, influencerId: row.influencer_id, ...base }
  if (row.role === 'admin') return { kind: 'admin' as const, ...base }
  return false
}

// A key's (or session's) principal is cached briefly so every request does not hit Postgres. Revocations reach
// every host at once by NOTIFY (the worker); this TTL only bounds the damage if that connection is down.
const CACHE_MS = 30_000
const TOKEN = /^Bearer[ ]+(\S+)\s*$/i

export function createAuthenticator(d: {
  store: Store
  adminApiKey: string | undefined
  trustedProxies?: readonly string[]
  /** Verifies session tokens (the key is derived from it); without it, only API keys are accepted. */
  masterKey?: Uint8Array
}): HostAuthenticator {
  const admin = d.adminApiKey === undefined ? undefined : sha256(d.adminApiKey)
  const jwtKey = d.masterKey ? deriveJwtKey(d.masterKey) : undefined
  const cache = new LRUCache<string, Principal | false>({ max: 10_000, ttl: CACHE_MS })
  // Bumped by every invalidation: a lookup that started before one must not cache what it read (it may have read
  // the row just before the revocation committed, and the NOTIFY that would drop it has already been handled).
  let epoch = 0
  type Found = Principal | false | { principal: Principal; ttlMs: number }
  const cached = async (key: string, lookup: () => Promise<Found>) => {
    let p = cache.get(key)
    if (p === undefined) {
      const started = epoch
      const found = await lookup()
      p = found && 'ttlMs' in found ? found.principal : found
      // A key that expires sooner than the cache period leaves the cache when it expires (no NOTIFY for that).
      const ttl = found && 'ttlMs' in found ? Math.max(1, Math.min(CACHE_MS, found.ttlMs)) : CACHE_MS
      if (started === epoch) cache.set(key, p, { ttl })
    }
    return p
  }

  const keyLookup = async (hash: string): Promise<Found> => {
    const [row] = await d.store.query<KeyRow & { ttl_ms: number | null }>(
      `select k.id, k.user_id, k.scopes, u.role, u.merchant_id, u.influencer_id,
              (extract(epoch from k.expires_at - now()) * 1000)::float8 as ttl_ms
         from api_keys k join users u on u.id = k.user_id
        where k.key_hash = $1 and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
          and u.disabled_at is null`,
      [hash],
      { prepare: true },
    )
    if (!row) return false
    // Last use is tracked coarsely (once per cache period), off the request's critical path.
    void d.store.query('update api_keys set last_used_at = now() where id = $1', [row.id]).catch(() => {})
    const principal = principalOf(row, { keyId: row.id, scopes: row.scopes })
    return principal && row.ttl_ms !== null ? { principal, ttlMs: Number(row.ttl_ms) } : principal
  }

  // A session token is only as good as its session: logout, refresh-token reuse and password changes end it.
  const sessionLookup = async (sid: string, userId: string): Promise<Principal | false> => {
    const [row] = await d.store.query<UserRow>(
      `select s.user_id, u.role, u.merchant_id, u.influencer_id
         from sessions s join users u on u.id = s.user_id
        where s.id = $1 and s.revoked_at is null and s.expires_at > now() and u.disabled_at is null`,
      [sid],
      { prepare: true },
    )
    if (!row || row.user_id !== userId) return false
    return principalOf(row, { keyId: null, sessionId: sid })
  }

  const sessionPrincipal = async (token: string): Promise<Principal> => {
    const claims = jwtKey ? verifyAccessToken(jwtKey, token) : null
    if (!claims) throw new HttpError(401, 'unauthorized', 'invalid or expired session token')
    // Tokens we sign always carry uuids; checking keeps anything else away from a uuid column.
    if (!UUID.test(claims.sid) || !UUID.test(claims.sub))
      throw new HttpError(401, 'unauthorized', 'invalid session token')
    const p = await cached(`session:${claims.sid}`, () => sessionLookup(claims.sid, claims.sub))
    if (!p) throw new HttpError(401, 'unauthorized', 'the session has ended')
    return p
  }

  const authenticate = (async (authorization) => {
    const raw = authorization ?? ''
    const bare = raw.trim()
    const token =
      TOKEN.exec(raw)?.[1] ?? (bare.startsWith(API_KEY_PREFIX) || looksLikeJwt(bare) ? bare : undefined)
    if (!token)
      throw new HttpError(
        401,
        'unauthorized',
        'missing "Authorization: Bearer <API key or session token>" header',
      )
    // Digests keep timingSafeEqual's inputs equal-length, so the admin key's length never leaks.
    if (admin && timingSafeEqual(sha256(token), admin)) return { kind: 'admin', keyId: null }
    if (looksLikeJwt(token)) return sessionPrincipal(token)
    if (!token.startsWith(API_KEY_PREFIX)) throw new HttpError(401, 'unauthorized', 'invalid API key')
    const hash = sha256Hex(token)
    const p = await cached(hash, () => keyLookup(hash))
    if (!p) throw new HttpError(401, 'unauthorized', 'invalid, revoked or expired API key')
    return p
  }) as HostAuthenticator

  const dropAll = () => {
    epoch++
    cache.clear()
  }
  const drop = (payload: string) => {
    epoch++
    if (payload === '*') cache.clear()
    else cache.delete(payload)
  }
  let unlisten: (() => Promise<void>) | undefined
  const ips = createIpResolver(d.trustedProxies ?? [])
  return Object.assign(authenticate, {
    forget: dropAll,
    clientIp: (peer: string | undefined, forwardedFor: string | null) => ips.clientIp(peer, forwardedFor),
    worker: {
      name: 'auth-revocations',
      async start() {
        // onReady runs on every (re)connect: NOTIFYs sent while the connection was down are lost, so start over.
        unlisten = await d.store.listen(AUTH_CHANGED_CHANNEL, drop, dropAll)
      },
      async stop() {
        await unlisten?.()
        unlisten = undefined
      },
    },
  })
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Refuses a key that was created without `scope` (403: the key is known, it just may not do this). */
export function requireScope(p: Principal, scope: Scope): void {
  if (p.scopes && !p.scopes.includes(scope))
    throw new HttpError(403, 'insufficient_scope', `this API key lacks the ${scope} scope`)
}

/** Refuses any principal but the operator: for routes that act across tenants. */
export function requireAdmin(p: Principal): void {
  if (p.kind !== 'admin') throw new HttpError(403, 'forbidden', 'this route needs an admin key')
}
