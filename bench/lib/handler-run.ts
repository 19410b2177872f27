// The in-process redirect handler on a cache hit with the flusher running: per-call latency, shared by
// bench/handler.ts and bench/micro.ts.
import type { createRuntime } from '../../src/app.ts'
import type { Store } from '../../src/db/store.ts'
import { Lifecycle } from '../../src/lifecycle.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { nearestRank } from './percentile.ts'

export interface HandlerResult {
  calls: number
  p50us: number
  p99us: number
  p999us: number
  maxUs: number
  /** Click rows in the database after the flusher drained, less the one from the cache fill. */
  stored: number
  /** Clicks the full ring spilled to the journal: on disk, but in the table only after the next start. */
  journaled: number
}

export async function runHandler(
  ctx: { store: Store; rt: ReturnType<typeof createRuntime> },
  calls: number,
): Promise<HandlerResult> {
  const { store, rt } = ctx
  const lifecycle = new Lifecycle(createLogger('warn'))
  await lifecycle.start(rt.workers)
  const peer = { requestIP: () => ({ address: '203.0.113.7' }) }
  const ua =
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1'
  const request = () =>
    new Request('http://localhost/l/glow-serum?utm_source=ig', {
      headers: { 'user-agent': ua, referer: 'https://ig.example/' },
    })
  await rt.redirect.bySlug(request(), peer, 'glow-serum') // fill the cache

  const samples = new Float64Array(calls)
  for (let i = 0; i < calls; i++) {
    const req = request()
    const t0 = Bun.nanoseconds()
    const res = rt.redirect.bySlug(req, peer, 'glow-serum')
    samples[i] = Bun.nanoseconds() - t0
    if (res instanceof Promise || res.status !== 302)
      throw new Error('expected a synchronous 302 (cache hit)')
    // Let the flusher run between slices, as it does between requests in the server.
    if (i % 1000 === 999) await Bun.sleep(0)
  }
  await lifecycle.stop()
  const [row] = await store.query<{ n: string }>('select count(*)::text as n from clicks')
  samples.sort()
  const us = (q: number) => nearestRank(samples, q) / 1000
  return {
    calls,
    p50us: us(0.5),
    p99us: us(0.99),
    p999us: us(0.999),
    maxUs: us(1),
    stored: Number(row?.n) - 1,
    journaled: rt.redirect.flusher.stats.journaled,
  }
}
