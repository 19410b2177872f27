import { expect, test } from 'bun:test'
import { Writable } from 'node:stream'
import { Registry } from 'prom-client'
import { loopMonitor } from '../../src/ops/loop-monitor.ts'
import { createLogger } from '../../src/shared/logger.ts'

test('a blocked event loop is measured in /metrics and logged with the heap around it', async () => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const registry = new Registry()
  const monitor = loopMonitor({ log: createLogger('warn', sink), registry, warnMs: 50 })
  monitor.start()
  await Bun.sleep(60)
  const until = performance.now() + 150
  while (performance.now() < until) {
    // Busy: nothing else runs, the monitor's timer included.
  }
  await Bun.sleep(60)
  monitor.stop()
  const stall = lines.map((l) => JSON.parse(l)).find((e) => e.msg === 'event loop stalled')
  expect(stall?.stallMs).toBeGreaterThanOrEqual(100)
  expect(stall?.heapMiBAfter).toBeGreaterThan(0)
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'event_loop_delay_seconds')
  const values = (metric?.values ?? []) as { labels: { le?: number | string }; value: number }[]
  const under = (le: number) => values.find((v) => v.labels.le === le)?.value ?? 0
  const total = values.find((v) => v.labels.le === '+Inf')?.value ?? 0
  expect(total).toBeGreaterThan(under(0.1))
})
