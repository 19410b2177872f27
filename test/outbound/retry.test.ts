import { describe, expect, test } from 'bun:test'
import { DEFAULT_SCHEDULE_MS, nextAttemptAt } from '../../src/outbound/retry.ts'
import { signPayload, webhookHeaders } from '../../src/outbound/sign.ts'

const S = 1_000
const H = 3_600_000
const created = new Date('2025-06-01T00:00:00Z')
const at = (ms: number) => new Date(created.getTime() + ms)

describe('retry schedule', () => {
  // random() = 0.5 is the middle of the jitter band: the schedule's own delays.
  test.each([
    [1, 5 * S],
    [2, 30 * S],
    [3, 120 * S],
    [4, 600 * S],
    [5, 1_800 * S],
    [6, H],
    [7, 2 * H],
    [8, 4 * H],
    [9, 8 * H],
    [12, 8 * H],
  ])('after failed attempt %i the next waits %i ms', (attempts, delay) => {
    const next = nextAttemptAt({ attempts, createdAt: created, now: created, random: () => 0.5 })
    expect(next?.getTime()).toBe(created.getTime() + delay)
  })

  test.each([
    [0, 0.9],
    [1, 1.1],
  ])('jitter at random() = %d stretches the delay by %d', (r, factor) => {
    const next = nextAttemptAt({ attempts: 6, createdAt: created, now: created, random: () => r })
    expect(next?.getTime()).toBe(created.getTime() + Math.round(H * factor))
  })

  test('retried for 24 h from creation: 11 attempts, the last at about 23.7 h, then failed', () => {
    let now = created
    const times: number[] = [0]
    for (let attempts = 1; ; attempts++) {
      const next = nextAttemptAt({ attempts, createdAt: created, now, random: () => 0.5 })
      if (!next) break
      times.push(next.getTime() - created.getTime())
      now = next
    }
    expect(times).toHaveLength(11)
    expect(times.at(-1)).toBe(DEFAULT_SCHEDULE_MS.reduce((a, b) => a + b, 0) + 8 * H)
    expect(times.at(-1)).toBeLessThanOrEqual(24 * H)
  })

  test('an old delivery (a redelivery past the window) gets no retry after its attempt', () => {
    expect(nextAttemptAt({ attempts: 1, createdAt: created, now: at(24 * H), random: () => 0.5 })).toBeNull()
    expect(
      nextAttemptAt({ attempts: 1, createdAt: created, now: at(24 * H - 5 * S), random: () => 0.5 }),
    ).toEqual(at(24 * H))
  })
})

describe('Standard Webhooks signature', () => {
  test("the specification's test vector", () => {
    expect(
      signPayload(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  test('headers carry the id, the attempt time in unix seconds and the signature over both', () => {
    const h = webhookHeaders(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      '{"test": 2432232314}',
      1614265330_999,
    )
    expect(h).toEqual({
      'content-type': 'application/json',
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    })
  })
})
