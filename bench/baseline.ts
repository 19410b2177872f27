// The yardstick for bench/redirect.ts: bare Bun.serve answering every request with the same 302.
// It does nothing a redirect could skip, so "ratio to baseline" reads as the share of the machine's
// HTTP ceiling the real hot path keeps. Usage: PORT=4000 [HOST=127.0.0.1] bun bench/baseline.ts
const location = 'https://shop.bench.example/products/1?utm_source=skinstack&utm_medium=bench'

const server = Bun.serve({
  hostname: process.env.HOST || '127.0.0.1',
  port: Number(process.env.PORT || 0),
  fetch: () => new Response(null, { status: 302, headers: { Location: location } }),
})

console.log(`baseline listening on ${server.url}`)
// Exit at once: nothing here needs draining.
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0))
