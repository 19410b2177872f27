import { describe, expect, test } from 'bun:test'
import type { ClickIdKey } from '../../src/config.ts'
import {
  createClickIdSigner,
  signClickId,
  uuidBytesToString,
  uuidV7Time,
  verifyClickId,
} from '../../src/shared/click-id.ts'

const k1: ClickIdKey = { kid: 'k1', secret: new Uint8Array(32).fill(1) }
const k2: ClickIdKey = { kid: 'k2', secret: new Uint8Array(32).fill(2) }

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const flip = (t: string, i: number) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1)
// The last of 22 base64url characters carries 2 data bits and 4 spare ones: flipping its lowest bit changes only a spare one.
const nextSpare = (c: string) => B64[B64.indexOf(c) ^ 1] ?? 'A'

describe('click ids', () => {
  test('round trip with the issue time taken from the uuid v7', () => {
    const id = Bun.randomUUIDv7()
    const token = signClickId(k1, id)
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}\.k1\.[A-Za-z0-9_-]{22}$/)
    const r = verifyClickId(token, [k1])
    expect(r).toEqual({ ok: true, value: { clickId: id, kid: 'k1', issuedAt: new Date(uuidV7Time(id)) } })
    expect(Math.abs(uuidV7Time(id) - Date.now())).toBeLessThan(5000)
  })

  test('old keys still verify after rotation', () => {
    const token = signClickId(k1, Bun.randomUUIDv7())
    expect(verifyClickId(token, [k2, k1]).ok).toBe(true)
    expect(verifyClickId(token, [k2])).toEqual({ ok: false, problem: 'unknown_key' })
  })

  test.each([
    ['tampered uuid', (t: string) => flip(t, 5), 'bad_signature'],
    ['tampered mac', (t: string) => flip(t, t.length - 5), 'bad_signature'],
    [
      'non-canonical mac spelling',
      (t: string) => `${t.slice(0, -1)}${nextSpare(t.at(-1) ?? 'A')}`,
      'malformed',
    ],
    ['kid swapped', (t: string) => t.replace('.k1.', '.k2.'), 'bad_signature'],
    ['missing part', (t: string) => t.split('.').slice(0, 2).join('.'), 'malformed'],
    ['extra part', (t: string) => `${t}.x`, 'malformed'],
    ['not base64url', (t: string) => `!!${t.slice(2)}`, 'malformed'],
    ['empty', () => '', 'malformed'],
    ['huge', () => 'a'.repeat(10_000), 'malformed'],
  ])('%s is refused', (_label, mutate, problem) => {
    const token = signClickId(k1, Bun.randomUUIDv7())
    expect(verifyClickId(mutate(token), [k1, k2])).toEqual({ ok: false, problem: problem as never })
  })

  test('expiry by the program window and ids from the future', () => {
    const id = Bun.randomUUIDv7()
    const token = signClickId(k1, id)
    const issued = uuidV7Time(id)
    expect(verifyClickId(token, [k1], { now: issued + 7 * 86_400_000, maxAgeMs: 7 * 86_400_000 }).ok).toBe(
      true,
    )
    expect(
      verifyClickId(token, [k1], { now: issued + 7 * 86_400_000 + 1, maxAgeMs: 7 * 86_400_000 }),
    ).toEqual({
      ok: false,
      problem: 'expired',
    })
    expect(verifyClickId(token, [k1], { now: issued - 120_000 })).toEqual({
      ok: false,
      problem: 'from_future',
    })
  })

  test('a random uuid v4 is not a click id', () => {
    const bogus = signClickId(k1, crypto.randomUUID())
    expect(verifyClickId(bogus, [k1])).toEqual({ ok: false, problem: 'malformed' })
  })
})

test('the redirect signer produces exactly what signClickId does', () => {
  const sign = createClickIdSigner(k1)
  for (let i = 0; i < 50; i++) {
    const bytes = Bun.randomUUIDv7('buffer')
    const id = uuidBytesToString(bytes)
    expect(sign(bytes)).toBe(signClickId(k1, id))
    expect(verifyClickId(sign(bytes), [k1])).toMatchObject({ ok: true, value: { clickId: id } })
  }
})
