// Open-loop load: requests leave on a fixed schedule whatever the server does, and each latency is taken from
// the request's scheduled start, so a stalled server is charged for every request it delayed (no coordinated
// omission). This is how a latency target like "a cache miss answers within 5 ms" is meant: at a stated rate
// below saturation. A closed-loop saturation run (wrk) instead measures queueing: with 64 connections in
// flight, p99 ≥ 64 / throughput whatever one miss costs.
import { slugOf } from './db.ts'
import { nearestRank } from './percentile.ts'

export interface FixedRateRun {
  rate: number
  sent: number
  s302: number
  other: number
  failed: number
  p50Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
}

const quantile = (sorted: number[], q: number) => Math.round(nearestRank(sorted, q) * 1000) / 1000

/** GET /l/<slug> for links first..first+rate*seconds-1, one each, `rate` per second, each slug once. */
export async function fixedRateMisses(
  base: string,
  first: number,
  rate: number,
  seconds: number,
): Promise<FixedRateRun> {
  const n = rate * seconds
  const ms: number[] = []
  const counts = { s302: 0, other: 0, failed: 0 }
  const inFlight: Promise<void>[] = []
  const t0 = performance.now() + 50
  for (let i = 0; i < n; i++) {
    const at = t0 + (i * 1000) / rate
    const wait = at - performance.now()
    if (wait > 1) await Bun.sleep(wait)
    // Late: timed from the schedule (the server's stall is charged). Early (no sleep under 1 ms): from the send.
    const from = Math.min(at, performance.now())
    inFlight.push(
      fetch(`${base}/l/${slugOf(first + i)}`, { redirect: 'manual' }).then(
        async (res) => {
          await res.arrayBuffer()
          ms.push(performance.now() - from)
          if (res.status === 302) counts.s302++
          else counts.other++
        },
        () => {
          counts.failed++
        },
      ),
    )
  }
  await Promise.all(inFlight)
  ms.sort((a, b) => a - b)
  return {
    rate,
    sent: n,
    ...counts,
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
    p999Ms: quantile(ms, 0.999),
    maxMs: quantile(ms, 1),
  }
}
