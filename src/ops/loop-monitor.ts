import { heapSize } from 'bun:jsc'
import { Histogram, type Registry } from 'prom-client'
import type { Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'

// Redirects are answered from memory, so the one thing that can hold them all up is this process not running
// JavaScript: a long synchronous task, a garbage collection, the kernel not scheduling it. A timer that should fire
// every TICK_MS measures how late it is; the delays go to /metrics, and a stall worth a user noticing is logged with
// the heap size before and after it (a heap that shrank across the stall was collected during it). The heap is read
// once a second: reading it walks JSC's blocks (~0.1 ms with a million objects).

const TICK_MS = 20
const HEAP_EVERY_TICKS = 50

export function loopMonitor(d: { log: Logger; registry: Registry; warnMs: number }): Worker {
  const delay = new Histogram({
    name: 'event_loop_delay_seconds',
    help: `How late a ${TICK_MS} ms timer fired: time this process ran no JavaScript for anyone`,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [d.registry],
  })
  let timer: ReturnType<typeof setTimeout> | undefined
  let due = 0
  let heapBefore = 0
  let ticks = 0
  const arm = () => {
    due = performance.now() + TICK_MS
    timer = setTimeout(tick, TICK_MS)
    // Never the reason the process stays up.
    timer.unref?.()
  }
  const tick = () => {
    const now = performance.now()
    const lateMs = Math.max(0, now - due)
    delay.observe(lateMs / 1000)
    if (lateMs >= d.warnMs) {
      const heapAfter = heapSize()
      d.log.warn(
        {
          stallMs: Math.round(lateMs),
          heapMiBBefore: Math.round(heapBefore / 1048576),
          heapMiBAfter: Math.round(heapAfter / 1048576),
          rssMiB: Math.round(process.memoryUsage.rss() / 1048576),
        },
        'event loop stalled',
      )
      heapBefore = heapAfter
    } else if (++ticks % HEAP_EVERY_TICKS === 0) heapBefore = heapSize()
    arm()
  }
  return {
    name: 'loop-monitor',
    start() {
      heapBefore = heapSize()
      arm()
    },
    stop() {
      clearTimeout(timer)
      timer = undefined
    },
  }
}
