import { Counter, Gauge, type Registry } from 'prom-client'

/** Plain integers on the hot path (prom-client's inc costs a label hash per call); read at scrape time. */
export function createRedirectMetrics(
  registry: Registry,
  sources: {
    bufferDepth: () => number
    flusher: () => { flushed: number; journaled: number; replayed: number }
  },
) {
  const counts = { redirected: 0, not_found: 0, expired: 0, unavailable: 0 }
  new Counter({
    name: 'redirects_total',
    help: 'Tracking-link requests by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const [outcome, n] of Object.entries(counts)) this.inc({ outcome }, n)
    },
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
  return counts
}
