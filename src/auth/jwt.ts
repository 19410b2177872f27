import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'

// Session access tokens: compact JWS, HS256, signed with a key derived from MASTER_KEY (HKDF-SHA256, fixed info),
// so no new configuration exists and rotating MASTER_KEY logs everyone out. Written on node:crypto rather than
// @elysiajs/jwt: the authenticator verifies tokens outside any Elysia context (principal.ts, the /ws first
// message) and that plugin only exposes sign/verify as a request decorator. We issue exactly one header, so
// verification compares the header segment byte for byte: no `alg` negotiation, no `none`, no key confusion.

export const ACCESS_TOKEN_SECONDS = 15 * 60
const ISSUER = 'skinstack'
const AUDIENCE = 'skinstack-api'
// Changing this string invalidates every session token at once (a deliberate lever, not a setting).
const HKDF_INFO = 'skinstack/session-jwt/hs256/v1'
// Tolerated clock difference between hosts for iat.
const SKEW_SECONDS = 60

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url')
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))

export interface AccessClaims {
  /** The user id. */
  readonly sub: string
  /** The session (sessions.id) the token was minted for: logout and password changes revoke it. */
  readonly sid: string
  readonly role: 'admin' | 'merchant' | 'influencer'
  readonly merchantId?: string
  readonly influencerId?: string
  readonly iat: number
  readonly exp: number
  readonly iss: string
  readonly aud: string
}

export type ClaimsInput = Pick<AccessClaims, 'sub' | 'sid' | 'role' | 'merchantId' | 'influencerId'>

/** The HS256 key, derived once per host from the 32-byte master key. */
export function deriveJwtKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, new Uint8Array(0), HKDF_INFO, 32))
}

const mac = (key: Buffer, signingInput: string) => createHmac('sha256', key).update(signingInput).digest()

export function signAccessToken(key: Buffer, input: ClaimsInput, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000)
  const claims: AccessClaims = {
    ...input,
    iat,
    exp: iat + ACCESS_TOKEN_SECONDS,
    iss: ISSUER,
    aud: AUDIENCE,
  }
  const body = `${HEADER}.${b64url(JSON.stringify(claims))}`
  return `${body}.${b64url(mac(key, body))}`
}

/** A JWT's shape (three base64url segments, a JSON header): worth verifying rather than treating as an API key. */
export const looksLikeJwt = (token: string) => /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/.test(token)

/** The claims of a token we signed that is still valid, or null (forged, altered, expired, not ours). */
export function verifyAccessToken(key: Buffer, token: string, nowMs = Date.now()): AccessClaims | null {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[0] !== HEADER) return null
  const [header, payload = '', signature = ''] = parts
  // Compared as text: base64url decoding ignores stray trailing bits, so several strings would decode to one MAC.
  const given = Buffer.from(signature)
  const expected = Buffer.from(b64url(mac(key, `${header}.${payload}`)))
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  let c: Partial<AccessClaims>
  try {
    c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return null
  }
  const now = Math.floor(nowMs / 1000)
  if (typeof c !== 'object' || c === null) return null
  if (c.iss !== ISSUER || c.aud !== AUDIENCE) return null
  if (typeof c.sub !== 'string' || typeof c.sid !== 'string' || typeof c.role !== 'string') return null
  if (typeof c.exp !== 'number' || typeof c.iat !== 'number') return null
  if (c.exp <= now || c.iat > now + SKEW_SECONDS) return null
  return c as AccessClaims
}
