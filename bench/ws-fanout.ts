// WebSocket fan-out: N clients connected to the compiled binary, each timing how long a domain event takes
// from the NOTIFY that announces it (as a committing transaction would) to its own socket.
// Usage: bun bench/ws-fanout.ts [--quick] [--clients 1000] [--rounds 30] [--no-assert] [--out PATH].
// Target (issue 7): p99 ≤ 50 ms (--quick: 200 clients, 5 rounds, only delivery of every event enforced).
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import postgres from 'postgres'
import { EVENTS_CHANNEL } from '../src/events/types.ts'
import { ensureBinary } from './lib/binary.ts'
import { benchSecrets, createBenchDb, migrateWithBinary } from './lib/db.ts'
import { choosePinning, freePort, pinned, readProc, spawnTracked, waitHttp } from './lib/procs.ts'
import { printTargets, writeResults, type Target } from './lib/report.ts'
import { benchScratch } from './lib/scratch.ts'

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const quick = process.argv.includes('--quick')
const clients = arg('clients', quick ? 200 : 1000)
const rounds = arg('rounds', quick ? 5 : 30)
const assert = !process.argv.includes('--no-assert')
const outArg = process.argv.indexOf('--out')
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const root = resolve(import.meta.dir, '..')
const bin = join(root, 'dist', 'skinstack')
const ADMIN = `bench-admin-${crypto.randomUUID()}`
// Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine.
const now = () => performance.timeOrigin + performance.now()

const scratch = benchScratch('skinstack-ws-')
try {
  process.exitCode = await main()
} finally {
  await scratch.cleanup()
}

async function main(): Promise<number> {
  ensureBinary(root, bin, false)
  const { url } = await createBenchDb(adminUrl, scratch.dbName)
  scratch.state.databaseUrl = adminUrl
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    DATABASE_URL: url,
    ADMIN_API_KEY: ADMIN,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ...benchSecrets(),
  }
  await migrateWithBinary(bin, env, scratch.tmp)
  const pin = choosePinning(cpus().length)
  const port = await freePort()
  const server = spawnTracked(pinned(pin?.server, [bin, 'serve', '--no-migrate']), {
    cwd: scratch.tmp,
    env: { ...env, PORT: String(port) },
    log: join(scratch.tmp, 'server.log'),
  })
  await waitHttp(`http://127.0.0.1:${port}/healthz`, server)

  const latencies: number[] = []
  const expected = new Map<string, number>()
  let ready = 0
  const sockets: WebSocket[] = []
  await new Promise<void>((resolveAll, reject) => {
    for (let i = 0; i < clients; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      } as any)
      ws.onmessage = (m) => {
        const f = JSON.parse(String(m.data))
        if (f.type === 'ready' && ++ready === clients) resolveAll()
        const sent = expected.get(f.id)
        if (sent !== undefined) latencies.push(now() - sent)
      }
      ws.onerror = () => reject(new Error(`client ${i} failed`))
      sockets.push(ws)
    }
  })
  const rss = (await readProc(server.pid)).rssMiB
  console.error(`${clients} clients connected; server RSS ${rss} MiB; ${rounds} rounds…`)

  const sql = postgres(url, { max: 1, onnotice: () => {} })
  for (let r = 0; r < rounds; r++) {
    const id = Bun.randomUUIDv7()
    const before = latencies.length
    const event = {
      id,
      type: 'conversion.created',
      at: new Date().toISOString(),
      merchantId: null,
      influencerIds: [],
      data: { round: r, orderId: `bench-${r}`, currency: 'USD', total: '100.00' },
    }
    expected.set(id, now())
    await sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`
    const deadline = Date.now() + 5_000
    while (latencies.length < before + clients && Date.now() < deadline) await Bun.sleep(2)
    await Bun.sleep(20)
  }
  await sql.end()
  for (const ws of sockets) ws.close()

  const sorted = [...latencies].sort((a, b) => a - b)
  const q = (p: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10
  const received = latencies.length
  const result = {
    clients,
    rounds,
    received,
    expected: clients * rounds,
    p50_ms: q(0.5),
    p99_ms: q(0.99),
    max_ms: q(1),
    server_rss_mib: rss,
    target_p99_ms: 50,
  }
  const targets: Target[] = [
    {
      name: `WebSocket fan-out p99 (${clients} clients)`,
      target: '≤ 50 ms',
      actual: `${result.p99_ms} ms (p50 ${result.p50_ms}, max ${result.max_ms})`,
      pass: result.p99_ms <= 50,
      enforced: !quick,
    },
    {
      name: 'WebSocket fan-out: every client got every event',
      target: `${clients * rounds}`,
      actual: `${received}`,
      pass: received === clients * rounds,
      enforced: true,
    },
  ]
  console.table([result])
  printTargets(targets)
  const pass = targets.every((t) => t.pass || !t.enforced)
  const out =
    outArg > 0 ? resolve(process.argv[outArg + 1] ?? '') : join(root, 'bench', 'results', 'ws-fanout.json')
  writeResults(out, { ...result, p999_ms: q(0.999), targets, pass })
  return pass || !assert ? 0 : 1
}
