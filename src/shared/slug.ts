import { customAlphabet } from 'nanoid'

// Case rule: every slug is lower-case. Random slugs are drawn from a lower-case alphabet and custom
// slugs containing an upper-case letter are rejected (not silently lower-cased), so the stored slug is
// always exactly what the caller sent and a link retyped from a phone in any case can be lower-cased
// by the redirect without ever reaching a different link.

// Digits 2-9 and consonants without l and y: no 0/o, 1/l/i look-alikes, and no vowels, so random
// slugs cannot spell words (offensive or reserved ones included).
export const SLUG_ALPHABET = '23456789bcdfghjkmnpqrstvwxz'
export const RANDOM_SLUG_LENGTH = 7

// 27^7 ≈ 1.05e10 slugs. With n links stored, one draw collides with probability n / 1.05e10:
// 1e-4 at 1M links, 1e-3 at 10M. Callers retry on collision (ON CONFLICT), and five straight
// collisions at 10M links is (1e-3)^5 = 1e-15; over the first 1M links about n²/2N ≈ 48 retries happen.
const randomSlug = customAlphabet(SLUG_ALPHABET, RANDOM_SLUG_LENGTH)

export function generateSlug(): string {
  // Reserved words all contain vowels or are shorter than 7, so this loop never runs twice; it is
  // here so a future alphabet change cannot hand out /l/swagger.
  for (;;) {
    const slug = randomSlug()
    if (!RESERVED_SLUGS.has(slug)) return slug
  }
}

export const SLUG_MIN_LENGTH = 3
export const SLUG_MAX_LENGTH = 64

// Paths we serve or are likely to serve at the root, where a custom domain may one day put slugs.
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'about',
  'account',
  'accounts',
  'admin',
  'api',
  'app',
  'assets',
  'auth',
  'bulk',
  'c',
  'dashboard',
  'docs',
  'favicon.ico',
  'health',
  'healthz',
  'help',
  'l',
  'link',
  'links',
  'login',
  'logout',
  'metrics',
  'new',
  'null',
  'oauth',
  'postback',
  'privacy',
  'ready',
  'readyz',
  'register',
  'robots.txt',
  'settings',
  'signin',
  'signup',
  'sk.js',
  'static',
  'status',
  'support',
  'swagger',
  'terms',
  'undefined',
  'v1',
  'v2',
  'webhook',
  'webhooks',
  'ws',
  'www',
])

export type SlugProblem =
  'type' | 'length' | 'uppercase' | 'charset' | 'start' | 'end' | 'separators' | 'reserved'

export type SlugCheck = { ok: true } | { ok: false; reason: SlugProblem; message: string }

const fail = (reason: SlugProblem, message: string): SlugCheck => ({ ok: false, reason, message })

/** Rules for slugs chosen by a caller; random ones satisfy them by construction. */
export function checkCustomSlug(slug: unknown): SlugCheck {
  if (typeof slug !== 'string') return fail('type', 'slug must be a string')
  if (slug.length < SLUG_MIN_LENGTH || slug.length > SLUG_MAX_LENGTH)
    return fail(
      'length',
      `slug must be ${SLUG_MIN_LENGTH}-${SLUG_MAX_LENGTH} characters (got ${slug.length})`,
    )
  if (/[A-Z]/.test(slug)) {
    const lower = slug.toLowerCase()
    const hint = checkCustomSlug(lower).ok ? `; use "${lower}"` : ''
    return fail('uppercase', `slugs are lower-case only${hint}`)
  }
  if (!/^[a-z0-9_-]+$/.test(slug)) return fail('charset', 'slug may contain only a-z, 0-9, "-" and "_"')
  if (!/^[a-z0-9]/.test(slug)) return fail('start', 'slug must start with a letter or digit')
  // Auto-linkers in bios and chat apps often drop trailing punctuation, which would break the link.
  if (!/[a-z0-9]$/.test(slug)) return fail('end', 'slug must end with a letter or digit')
  if (/[-_]{2}/.test(slug)) return fail('separators', 'slug must not contain "--", "__" or "-_" runs')
  if (RESERVED_SLUGS.has(slug)) return fail('reserved', `"${slug}" is a reserved word`)
  return { ok: true }
}
