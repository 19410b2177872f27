// When a failed delivery is tried again: a fixed schedule of growing delays (the last one repeats), each
// stretched or shrunk by up to 10 % so deliveries that failed together (an endpoint's outage) do not all come
// back in the same second. A delivery is retried until 24 h after it was created, then it is failed.

const S = 1_000
const M = 60 * S
const H = 60 * M

export const DEFAULT_SCHEDULE_MS: readonly number[] = [
  5 * S,
  30 * S,
  2 * M,
  10 * M,
  30 * M,
  H,
  2 * H,
  4 * H,
  8 * H,
]
export const DEFAULT_HORIZON_MS = 24 * H
const JITTER = 0.1

/**
 * When to try again after the `attempts`-th attempt failed, or null: the next try would fall past the horizon,
 * so the delivery is failed. A redelivery of an old delivery therefore gets one attempt.
 */
export function nextAttemptAt(o: {
  attempts: number
  createdAt: Date
  now: Date
  scheduleMs?: readonly number[]
  horizonMs?: number
  random?: () => number
}): Date | null {
  const schedule = o.scheduleMs ?? DEFAULT_SCHEDULE_MS
  const base = schedule[Math.min(Math.max(o.attempts, 1), schedule.length) - 1] ?? 0
  const delay = Math.round(base * (1 - JITTER + 2 * JITTER * (o.random ?? Math.random)()))
  const at = o.now.getTime() + delay
  return at > o.createdAt.getTime() + (o.horizonMs ?? DEFAULT_HORIZON_MS) ? null : new Date(at)
}
