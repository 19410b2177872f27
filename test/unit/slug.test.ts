import { describe, expect, test } from 'bun:test'
import {
  checkCustomSlug,
  generateSlug,
  RANDOM_SLUG_LENGTH,
  RESERVED_SLUGS,
  SLUG_ALPHABET,
} from '../../src/shared/slug.ts'

describe('generateSlug', () => {
  test('7 characters from the look-alike-free alphabet, valid as custom slugs too', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 10_000; i++) {
      const s = generateSlug()
      expect(s).toHaveLength(RANDOM_SLUG_LENGTH)
      expect(s).toMatch(/^[23456789bcdfghjkmnpqrstvwxz]{7}$/)
      expect(checkCustomSlug(s)).toEqual({ ok: true })
      seen.add(s)
    }
    expect(seen.size).toBeGreaterThan(9_990)
  })

  test('the alphabet has no look-alikes or vowels', () => {
    for (const c of '01ilo5aeiouyIO') if (c !== '5') expect(SLUG_ALPHABET).not.toContain(c)
    expect(new Set(SLUG_ALPHABET).size).toBe(SLUG_ALPHABET.length)
  })
})

describe('checkCustomSlug', () => {
  test.each(['glow-serum', 'abc', 'a1_b2', '123', 'x'.repeat(64), 'swagger-sale', 'api2'])(
    'accepts %p',
    (slug) => {
      expect(checkCustomSlug(slug)).toEqual({ ok: true })
    },
  )

  test.each([
    ['ab', 'length'],
    ['', 'length'],
    ['x'.repeat(65), 'length'],
    ['Glow-Serum', 'uppercase'],
    ['ABC', 'uppercase'],
    ['glow serum', 'charset'],
    ['glow.serum', 'charset'],
    ['glow/serum', 'charset'],
    ['glöw', 'charset'],
    ['%2e%2e', 'charset'],
    ['-glow', 'start'],
    ['_glow', 'start'],
    ['glow-', 'end'],
    ['glow_', 'end'],
    ['glow--serum', 'separators'],
    ['glow__serum', 'separators'],
    ['glow-_serum', 'separators'],
    ['api', 'reserved'],
    ['swagger', 'reserved'],
    ['healthz', 'reserved'],
    ['dashboard', 'reserved'],
    ['webhooks', 'reserved'],
    ['sk.js', 'charset'],
  ])('refuses %p (%s)', (slug, reason) => {
    const r = checkCustomSlug(slug)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toBe(reason as never)
  })

  test('upper-case gets a lower-case suggestion when that would be valid', () => {
    expect(checkCustomSlug('Glow-Serum')).toMatchObject({ message: expect.stringContaining('"glow-serum"') })
    expect(checkCustomSlug('API')).toMatchObject({ message: 'slugs are lower-case only' })
  })

  test('reserved words include every route prefix we serve', () => {
    for (const w of ['api', 'swagger', 'ws', 'l', 'c', 'healthz', 'readyz', 'metrics', 'admin', 'static'])
      expect(RESERVED_SLUGS.has(w)).toBe(true)
  })

  test('random strings never throw and pass only when they match the rules', () => {
    const chars = 'abcXYZ019-_ ./%?#&\u0000\n\u00e9\u{1F600}'
    for (let i = 0; i < 20_000; i++) {
      const len = Math.floor(Math.random() * 70)
      let s = ''
      for (let j = 0; j < len; j++) s += chars[Math.floor(Math.random() * chars.length)]
      const r = checkCustomSlug(s)
      const expected =
        /^[a-z0-9](?:[a-z0-9]|[-_](?![-_]))*$/.test(s) &&
        /[a-z0-9]$/.test(s) &&
        s.length >= 3 &&
        s.length <= 64 &&
        !RESERVED_SLUGS.has(s)
      expect(r.ok).toBe(expected)
    }
  })
})
