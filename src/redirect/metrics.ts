import { Counter, Gauge, type Registry } from 'prom-client'

/** Pre-bound counter children: the hot path pays an increment, not a label lookup. */
export function createRedirectMetrics(
  registry: Registry,
  sources: {
    bufferDepth: () => number
    flusher: () => { flushed: number; journaled: number; replayed: number }
  },
) {
  const redirects = new Counter({
    name: 'redirects_total',
    help: 'Tracking-link requests by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  new Gauge({
    name: 'click_buffer_depth',
    help: 'Clicks waiting in memory for the flusher',
    registers: [registry],
    collect() {
      this.set(sources.bufferDepth())
    },
  })
  new Counter({
    name: 'clicks_rows_total',
    help: 'Clicks moved by the flusher: straight to Postgres, to the disk journal, or replayed from it',
    labelNames: ['fate'] as const,
    registers: [registry],
    collect() {
      const s = sources.flusher()
      this.reset()
      this.inc({ fate: 'flushed' }, s.flushed)
      this.inc({ fate: 'journaled' }, s.journaled)
      this.inc({ fate: 'replayed' }, s.replayed)
    },
  })
  return {
    redirected: redirects.labels('redirected'),
    notFound: redirects.labels('not_found'),
    expired: redirects.labels('expired'),
    unavailable: redirects.labels('unavailable'),
  }
}
