// Click flusher throughput into local Postgres: N clicks buffered, then timed until all are stored.
// Usage: bun bench/flusher.ts [--clicks N]. Target (issue 3): ≥ 50,000 clicks/s. Exit 1 when missed.
import { withScratchRuntime } from './lib/scratch-runtime.ts'

const clicks = Number(process.argv[process.argv.indexOf('--clicks') + 1]) || 200_000

await withScratchRuntime('flusher', { CLICK_BUFFER_SIZE: String(clicks + 1) }, async ({ store, rt }) => {
  const peer = { requestIP: () => ({ address: '' }) }
  const uas = Array.from(
    { length: 200 },
    (_, i) => `Mozilla/5.0 (Windows NT 10.0) Chrome/${100 + i}.0 Safari/537.36`,
  )
  await rt.redirect.bySlug(new Request('http://x/l/glow-serum'), peer, 'glow-serum')
  await rt.redirect.flusher.worker.start()
  await rt.redirect.flusher.worker.stop()
  await store.query('truncate clicks')
  for (let i = 0; i < clicks; i++) {
    peer.requestIP = () => ({ address: `198.51.${(i >> 8) & 255}.${i & 255}` })
    const req = new Request('http://x/l/glow-serum?utm_source=tt', {
      headers: { 'user-agent': uas[i % uas.length] ?? '' },
    })
    rt.redirect.bySlug(req, peer, 'glow-serum')
  }
  const t0 = performance.now()
  await rt.redirect.flusher.worker.start()
  await rt.redirect.flusher.worker.stop()
  const seconds = (performance.now() - t0) / 1000
  const [row] = await store.query<{ n: string }>('select count(*)::text as n from clicks')
  const stored = Number(row?.n)
  const rate = Math.round(stored / seconds)
  console.table([{ clicks, stored, seconds: Number(seconds.toFixed(2)), clicksPerSecond: rate }])
  const ok = stored === clicks && rate >= 50_000
  console.log(ok ? 'PASS flusher ≥ 50,000 clicks/s, all stored' : 'FAIL')
  process.exitCode = ok ? 0 : 1
})
