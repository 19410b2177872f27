// The in-process redirect handler, cache hit, with the flusher running: per-call latency percentiles.
// Usage: bun bench/handler.ts [--calls N]   (Postgres from BENCH_DATABASE_URL or 127.0.0.1:5432)
// Target (issue 3): p99 ≤ 100 µs. Exit 1 when missed.
import { runHandler } from './lib/handler-run.ts'
import { withScratchRuntime } from './lib/scratch-runtime.ts'

// CLICK_WAL_SLOTS=0 in the environment: the same run without the click WAL, to see what it costs per request.
const walEnv: Record<string, string> = process.env.CLICK_WAL_SLOTS
  ? { CLICK_WAL_SLOTS: process.env.CLICK_WAL_SLOTS }
  : {}
const calls = Number(process.argv[process.argv.indexOf('--calls') + 1]) || 200_000

// A ring that holds the whole run: the loop makes clicks far faster than any flusher stores them, and a
// spill to the journal on the request path would be timed as handler latency.
await withScratchRuntime('handler', { CLICK_BUFFER_SIZE: String(calls + 1), ...walEnv }, async (ctx) => {
  const { journaled: _, ...result } = await runHandler(ctx, calls)
  console.table([result])
  const ok = result.p99us <= 100 && result.stored === calls
  console.log(ok ? 'PASS handler p99 ≤ 100 µs, every click stored' : 'FAIL')
  process.exitCode = ok ? 0 : 1
})
