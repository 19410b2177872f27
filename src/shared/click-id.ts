import { createHmac, timingSafeEqual } from 'node:crypto'
import type { ClickIdKey } from '../config.ts'

// A click id is `<uuid v7, base64url>.<kid>.<HMAC-SHA256(kid.uuid), 16 bytes, base64url>`: ~50 URL-safe
// characters. The uuid is the clicks row id and carries the issue time (v7's first 48 bits are Unix ms),
// so a network echoing the id back in a postback leads us to the exact click, and anyone holding the
// key can check it offline without a database.

export interface VerifiedClickId {
  readonly clickId: string
  readonly kid: string
  readonly issuedAt: Date
}

export type ClickIdProblem = 'malformed' | 'unknown_key' | 'bad_signature' | 'expired' | 'from_future'

const MAC_BYTES = 16

function mac(secret: Uint8Array, kid: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(kid).update('.').update(payload).digest().subarray(0, MAC_BYTES)
}

export function uuidToBase64url(uuid: string): string {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url')
}

function base64urlToUuid(b64: string): string | undefined {
  const bytes = Buffer.from(b64, 'base64url')
  if (bytes.length !== 16 || bytes.toString('base64url') !== b64) return undefined
  const h = bytes.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Unix ms from a v7 uuid's first 48 bits. */
export function uuidV7Time(uuid: string): number {
  return Number.parseInt(uuid.slice(0, 8) + uuid.slice(9, 13), 16)
}

export function signClickId(key: ClickIdKey, clickId: string): string {
  const payload = uuidToBase64url(clickId)
  return `${payload}.${key.kid}.${mac(key.secret, key.kid, payload).toString('base64url')}`
}

/**
 * The redirect's signer: the HMAC state after absorbing the key and "kid." is computed once and copied per
 * click, and the id arrives as raw bytes, so signing costs ~0.3 µs instead of ~1.2 µs. Same output as
 * signClickId.
 */
export function createClickIdSigner(key: ClickIdKey) {
  const keyed = new Bun.CryptoHasher('sha256', key.secret)
  keyed.update(`${key.kid}.`)
  const middle = `.${key.kid}.`
  return (uuidBytes: Buffer): string => {
    const payload = uuidBytes.toString('base64url')
    const h = keyed.copy()
    h.update(payload)
    return payload + middle + (h.digest() as Buffer).subarray(0, MAC_BYTES).toString('base64url')
  }
}

/** 16 uuid bytes → the canonical 8-4-4-4-12 text form. */
export function uuidBytesToString(b: Buffer): string {
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/**
 * Checks a click id against any configured key (rotation keeps old ids valid). `maxAgeMs` is the program's
 * attribution window: an older id is genuine but no longer billable, so it reports 'expired'.
 */
export function verifyClickId(
  token: string,
  keys: readonly ClickIdKey[],
  opts: { now?: number; maxAgeMs?: number; clockSkewMs?: number } = {},
): { ok: true; value: VerifiedClickId } | { ok: false; problem: ClickIdProblem } {
  if (token.length > 128) return { ok: false, problem: 'malformed' }
  const [payload, kid, sig, extra] = token.split('.')
  if (!payload || !kid || !sig || extra !== undefined) return { ok: false, problem: 'malformed' }
  const clickId = base64urlToUuid(payload)
  if (!clickId || clickId[14] !== '7') return { ok: false, problem: 'malformed' }
  const key = keys.find((k) => k.kid === kid)
  if (!key) return { ok: false, problem: 'unknown_key' }
  const given = Buffer.from(sig, 'base64url')
  // Only the canonical spelling: base64url's last character carries spare bits, and a second spelling of the
  // same bytes would let one click id pass as two.
  if (given.length !== MAC_BYTES || given.toString('base64url') !== sig)
    return { ok: false, problem: 'malformed' }
  if (!timingSafeEqual(given, mac(key.secret, kid, payload))) return { ok: false, problem: 'bad_signature' }
  const issued = uuidV7Time(clickId)
  const now = opts.now ?? Date.now()
  if (issued > now + (opts.clockSkewMs ?? 60_000)) return { ok: false, problem: 'from_future' }
  if (opts.maxAgeMs !== undefined && now - issued > opts.maxAgeMs) return { ok: false, problem: 'expired' }
  return { ok: true, value: { clickId, kid, issuedAt: new Date(issued) } }
}
