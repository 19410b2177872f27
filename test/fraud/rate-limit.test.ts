import { describe, expect, test } from 'bun:test'
import { createRateLimiter, createWindowCounter, surfaceOf } from '../../src/fraud/rate-limit.ts'

const MIN = 60_000
// A clock starting on a minute boundary, moved by hand.
const clock = () => {
  let t = 1_800_000_000_000 - (1_800_000_000_000 % MIN)
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('surfaceOf', () => {
  test.each([
    ['/api/v1/links', 'api'],
    ['/api/v1/fraud/flags', 'api'],
    ['/api/v1/events/conversion', 'webhooks'],
    ['/webhooks/shopify/glow-labs', 'webhooks'],
    ['/postback/glow-labs', 'webhooks'],
    ['/v1/events/pageview', 'webhooks'],
    ['/sk.js', null],
    ['/l/glow-serum', null],
    ['/c/ava/glow', null],
    ['/healthz', null],
    ['/readyz', null],
    ['/metrics', null],
    ['/ws', null],
    ['/dashboard', null],
    ['/swagger', null],
    ['/apix', null],
  ])('%s → %p', (path, surface) => {
    expect(surfaceOf(path)).toBe(surface as ReturnType<typeof surfaceOf>)
  })
})

describe('sliding window counter', () => {
  test('a fresh client gets the whole budget, then 429 with the wait until one more fits', () => {
    const c = clock()
    const take = createWindowCounter({ now: c.now })
    const verdicts = Array.from({ length: 4 }, () => take(['k'], 3))
    expect(verdicts.map((v) => [v.allowed, v.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ])
    // 3 in this minute: the next minute opens with all 3 weighing fully, so one more fits once a third has faded.
    expect(verdicts[3]?.retryAfterSeconds).toBe(80)
    expect(verdicts[2]?.resetSeconds).toBe(120)
  })

  test.each([
    // [ms into the next minute, allowed]: 3 requests in the previous minute weigh 3 × (1 − e/60 s).
    [0, false],
    [19_000, false],
    [20_000, true],
    [45_000, true],
  ])('the previous minute fades: %p ms into the next one → %p', (ms, allowed) => {
    const c = clock()
    const take = createWindowCounter({ now: c.now })
    for (let i = 0; i < 3; i++) take(['k'], 3)
    c.advance(MIN + ms)
    expect(take(['k'], 3).allowed).toBe(allowed)
  })

  test('no 2× burst at a window edge (a fixed window would allow 6 here)', () => {
    const c = clock()
    const take = createWindowCounter({ now: c.now })
    c.advance(59_000)
    let ok = 0
    for (let i = 0; i < 3; i++) ok += take(['k'], 3).allowed ? 1 : 0
    c.advance(2_000)
    for (let i = 0; i < 3; i++) ok += take(['k'], 3).allowed ? 1 : 0
    expect(ok).toBe(3)
  })

  test('a refused request charges nothing; two idle minutes forget everything', () => {
    const c = clock()
    const take = createWindowCounter({ now: c.now })
    for (let i = 0; i < 10; i++) take(['k'], 2)
    c.advance(2 * MIN)
    expect(take(['k'], 2)).toMatchObject({ allowed: true, remaining: 1 })
  })

  test('all keys must have room, and a refusal charges none of them', () => {
    const c = clock()
    const take = createWindowCounter({ now: c.now })
    take(['ip', 'key-a'], 2)
    take(['ip', 'key-a'], 2)
    expect(take(['ip', 'key-b'], 2).allowed).toBe(false) // the address is spent, whatever the key
    expect(take(['key-b'], 2)).toMatchObject({ allowed: true, remaining: 1 }) // key-b was not charged
  })
})

describe('createRateLimiter', () => {
  const req = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    new Request(`http://localhost${path}`, { method, headers })
  const limiter = (trustedProxies: string[] = []) =>
    createRateLimiter({ apiPerMinute: 2, webhooksPerMinute: 3, trustedProxies })

  test('in-process requests (no peer), preflights and unlimited paths are not counted', () => {
    const l = limiter()
    expect(l.check(req('/api/v1/links'), undefined)).toBeUndefined()
    expect(l.check(req('/api/v1/links', {}, 'OPTIONS'), '10.0.0.1')).toBeUndefined()
    expect(l.check(req('/l/glow-serum'), '10.0.0.1')).toBeUndefined()
    expect(l.check(req('/api/v1/links?x=/api/'), '10.0.0.1')?.verdict.limit).toBe(2)
  })

  test('a limit of 0 turns the surface off', () => {
    const l = createRateLimiter({ apiPerMinute: 0, webhooksPerMinute: 1, trustedProxies: [] })
    expect(l.check(req('/api/v1/links'), '10.0.0.1')).toBeUndefined()
    expect(l.check(req('/webhooks/shopify/x', {}, 'POST'), '10.0.0.1')?.verdict.limit).toBe(1)
  })

  test('X-Forwarded-For from an untrusted peer is ignored; from a trusted proxy it names the client', () => {
    const open = limiter()
    for (const xff of ['1.1.1.1', '2.2.2.2'])
      open.check(req('/api/v1/x', { 'x-forwarded-for': xff }), '9.9.9.9')
    expect(open.check(req('/api/v1/x', { 'x-forwarded-for': '3.3.3.3' }), '9.9.9.9')?.verdict.allowed).toBe(
      false,
    )
    const proxied = limiter(['10.0.0.0/8'])
    for (const xff of ['1.1.1.1', '1.1.1.1'])
      proxied.check(req('/api/v1/x', { 'x-forwarded-for': xff }), '10.0.0.5')
    expect(
      proxied.check(req('/api/v1/x', { 'x-forwarded-for': '2.2.2.2' }), '10.0.0.5')?.verdict.allowed,
    ).toBe(true)
    expect(
      proxied.check(req('/api/v1/x', { 'x-forwarded-for': '1.1.1.1' }), '10.0.0.5')?.verdict.allowed,
    ).toBe(false)
  })

  test('rotating API keys from one address buys nothing; the intake has its own budget', () => {
    const l = limiter()
    const auth = (k: string) => ({ authorization: `Bearer sk_live_${k}` })
    expect(l.check(req('/api/v1/x', auth('a')), '9.9.9.9')?.verdict.allowed).toBe(true)
    expect(l.check(req('/api/v1/x', auth('b')), '9.9.9.9')?.verdict.allowed).toBe(true)
    expect(l.check(req('/api/v1/x', auth('c')), '9.9.9.9')?.verdict.allowed).toBe(false)
    // One key from many addresses is limited too.
    expect(l.check(req('/api/v1/x', auth('d')), '8.8.8.1')?.verdict.allowed).toBe(true)
    expect(l.check(req('/api/v1/x', auth('d')), '8.8.8.2')?.verdict.allowed).toBe(true)
    expect(l.check(req('/api/v1/x', auth('d')), '8.8.8.3')?.verdict.allowed).toBe(false)
    expect(l.check(req('/webhooks/shopify/x', {}, 'POST'), '9.9.9.9')?.verdict.allowed).toBe(true)
  })
})
