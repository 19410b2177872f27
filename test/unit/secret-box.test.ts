import { describe, expect, test } from 'bun:test'
import { openSecret, SecretBoxError, sealSecret } from '../../src/shared/secret-box.ts'

const key = new Uint8Array(32).fill(7)
const ctx = 'webhook_secret:merchant-1:shopify:1'

describe('secret box', () => {
  test('round trip; every seal differs', () => {
    const a = sealSecret(key, 'whsec_abc', ctx)
    const b = sealSecret(key, 'whsec_abc', ctx)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
    expect(openSecret(key, a, ctx)).toBe('whsec_abc')
    expect(Buffer.from(a).includes(Buffer.from('whsec_abc'))).toBe(false)
  })

  test.each([
    ['wrong key', (s: Uint8Array) => openSecret(new Uint8Array(32).fill(8), s, ctx)],
    ['wrong context', (s: Uint8Array) => openSecret(key, s, 'webhook_secret:merchant-2:shopify:1')],
    [
      'tampered byte',
      (s: Uint8Array) => {
        const t = new Uint8Array(s)
        t[t.length - 1] = (t[t.length - 1] ?? 0) ^ 1
        return openSecret(key, t, ctx)
      },
    ],
    ['truncated', (s: Uint8Array) => openSecret(key, s.subarray(0, 20), ctx)],
  ])('%s fails to open', (_label, attempt) => {
    const sealed = sealSecret(key, 'whsec_abc', ctx)
    expect(() => attempt(sealed)).toThrow(SecretBoxError)
  })
})
