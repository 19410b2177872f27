// Click flusher throughput into local Postgres: N clicks buffered, then timed until all are stored.
// Usage: bun bench/flusher.ts [--clicks N]. Target (issue 3): ≥ 50,000 clicks/s. Exit 1 when missed.
import postgres from 'postgres'
import { createRuntime } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { migrate } from '../src/db/migrate.ts'
import { openPostgres } from '../src/db/postgres.ts'
import { seedDemo } from '../src/db/seed-demo.ts'
import { createLogger } from '../src/shared/logger.ts'

const clicks = Number(process.argv[process.argv.indexOf('--clicks') + 1]) || 200_000
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const db = `skinstack_flusher_${process.pid}`
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
await admin.unsafe(`create database ${db}`)
const url = new URL(adminUrl)
url.pathname = `/${db}`
const store = openPostgres({ url: url.toString(), poolSize: 4 })
try {
  await migrate(store.db)
  await seedDemo(store.db)
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    CLICK_ID_KEYS: `b1:${'11'.repeat(32)}`,
    IP_HASH_SALT: '22'.repeat(16),
    MASTER_KEY: '33'.repeat(32),
    CLICK_BUFFER_SIZE: String(clicks + 1),
    CLICK_JOURNAL_DIR: `/tmp/skinstack-flusher-${process.pid}`,
  })
  const rt = createRuntime({ config, store, log: createLogger('warn') })
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
} finally {
  await store.close()
  await admin.unsafe(`drop database ${db} with (force)`)
  await admin.end()
}
