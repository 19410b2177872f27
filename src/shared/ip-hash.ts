import { createHmac } from 'node:crypto'
import { isIP } from 'node:net'

// Raw client addresses are never stored: clicks and conversions keep a salted hash, the same function on
// both sides, so a shopper's click and their later purchase can be matched without knowing the address.

/** "::FFFF:10.0.0.1" → "10.0.0.1", IPv6 lower-cased; undefined for anything that is not an address. */
export function canonicalIp(ip: string): string | undefined {
  const t = ip.trim()
  const v4 = t.toLowerCase().startsWith('::ffff:') && isIP(t.slice(7)) === 4 ? t.slice(7) : t
  const kind = isIP(v4)
  if (kind === 4) return v4
  if (kind === 6) return v4.toLowerCase()
  return undefined
}

/** HMAC-SHA256 of the canonical address under IP_HASH_SALT, 32 hex characters; null for a non-address. */
export function hashIp(salt: Uint8Array, ip: string): string | null {
  const c = canonicalIp(ip)
  return c === undefined ? null : createHmac('sha256', salt).update(c).digest('hex').slice(0, 32)
}
