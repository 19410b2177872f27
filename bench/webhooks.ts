// Throughput benchmark of the webhook intake (POST /webhooks/shopify/:merchant), from outside the binary.
// Usage: bun bench/webhooks.ts [--quick] [--n N] [--dups N] [--concurrency N] … (--help)
//
// A fresh database skinstack_bench_<pid> is migrated and seeded (demo merchant 'glow-labs') by the binary,
// a Shopify secret is sealed into it with the MASTER_KEY the binary gets, and the binary serves pinned to
// core 0. A load-generator process (bench/lib/webhooks-load.ts) pinned to core 1 then (1) sends N distinct
// signed orders/paid deliveries (all must answer 200), (2) replays some of them byte for byte (all must
// answer 202). Finally conversions and webhook_events must each hold exactly N rows. Prints a table, writes
// bench/results/webhooks.json, exits 1 when an enforced target is missed (--no-assert: 0), 2 on bad usage.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import postgres from 'postgres'
import { openPostgres } from '../src/db/postgres.ts'
import { addSecret } from '../src/webhooks/secrets.ts'
import { binaryInfo, ensureBinary } from './lib/binary.ts'
import { createBenchDb, migrateWithBinary } from './lib/db.ts'
import { UsageError } from './lib/args.ts'
import { machineInfo } from './lib/machine.ts'
import { benchScratch } from './lib/scratch.ts'
import { runBench } from './lib/entry.ts'
import {
  choosePinning,
  freePort,
  machineBusy,
  pinned,
  readProc,
  spawnTracked,
  stopProcess,
  track,
  waitHttp,
} from './lib/procs.ts'
import { clickUuidOf, type LoadArgs, type LoadResult } from './lib/webhooks-load.ts'

const USAGE = `Usage: bun bench/webhooks.ts [options]      (or: bun run bench:webhooks [options])

Throughput of signed Shopify webhooks through the compiled binary: distinct deliveries, then duplicates.

  --n N              distinct deliveries (default 20000; --quick 2000)
  --dups N           already-delivered ones replayed as duplicates (default 5000; --quick 500)
  --concurrency N    requests in flight from the load generator (default 32)
  --dup-rate N       duplicates sent open loop at N/s, timed from each one's scheduled start: the p99
                     target's measure (default 1000; --quick 500); 0 = closed loop at --dup-concurrency
  --dup-concurrency N  concurrency of a closed-loop duplicate phase (default: --concurrency)
  --pool N             DATABASE_POOL_SIZE of the binary (default: the binary's own default)
  --quick            small run, a smoke test: only the correctness targets are enforced
  --build            rebuild dist/skinstack first (it is built anyway when missing)
  --bin PATH         bench this binary instead of dist/skinstack
  --no-assert        report missed targets but exit 0
  --keep-db          do not drop the bench database at the end
  --out PATH         results file (default bench/results/webhooks.json)
  --help

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), an admin
connection used to create and drop the database skinstack_bench_<pid>.`

interface Params {
  n: number
  dups: number
  concurrency: number
  dupConcurrency: number | null
  dupRate: number
  pool: number | null
  quick: boolean
  build: boolean
  bin: string | null
  assert: boolean
  keepDb: boolean
  out: string
  databaseUrl: string
}

function parseArgs(argv: readonly string[]): Params | 'help' {
  const quick = argv.includes('--quick')
  const p: Params = {
    n: quick ? 2_000 : 20_000,
    dups: quick ? 500 : 5_000,
    concurrency: 32,
    dupConcurrency: null,
    dupRate: quick ? 500 : 1_000,
    pool: null,
    quick,
    build: false,
    bin: null,
    assert: true,
    keepDb: false,
    out: 'bench/results/webhooks.json',
    databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  }
  const int = (flag: string, v: string | undefined, min = 1) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`${flag}: expected an integer ≥ ${min}, got "${v}"`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const eq = a.indexOf('=')
    const flag = eq > 0 ? a.slice(0, eq) : a
    const value = () => (eq > 0 ? a.slice(eq + 1) : argv[++i])
    switch (flag) {
      case '--help':
      case '-h':
        return 'help'
      case '--quick':
        break
      case '--n':
        p.n = int(flag, value())
        break
      case '--dups':
        p.dups = int(flag, value())
        break
      case '--concurrency':
        p.concurrency = int(flag, value())
        break
      case '--dup-rate':
        p.dupRate = int(flag, value(), 0)
        break
      case '--dup-concurrency':
        p.dupConcurrency = int(flag, value())
        break
      case '--pool':
        p.pool = int(flag, value())
        break
      case '--build':
        p.build = true
        break
      case '--bin':
        p.bin = value() ?? null
        if (!p.bin) throw new UsageError('--bin: missing value')
        break
      case '--no-assert':
        p.assert = false
        break
      case '--keep-db':
        p.keepDb = true
        break
      case '--out':
        p.out = value() ?? ''
        if (!p.out) throw new UsageError('--out: missing value')
        break
      default:
        throw new UsageError(`unknown option "${a}"`)
    }
  }
  if (p.dups > p.n) throw new UsageError(`--dups (${p.dups}) cannot exceed --n (${p.n})`)
  return p
}

const root = resolve(import.meta.dir, '..')
const { dbName, tmp, state: scratch, cleanup } = benchScratch('skinstack-bench-webhooks-')
const warnings: string[] = []
const warn = (msg: string) => (warnings.push(msg), console.error(`warning: ${msg}`))
const log = (msg: string) => console.error(`· ${msg}`)

// Fixed, documented bench keys (this database is thrown away): the same MASTER_KEY seals the secret here
// and opens it in the binary.
const MASTER_KEY = '33'.repeat(32)
const CLICK_KID = 'b1'
const CLICK_KEY = '11'.repeat(32)
const SHOPIFY_SECRET = 'shpss_bench_secret_0123456789abcdef'

async function runCli(bin: string, args: string[], env: Record<string, string>): Promise<void> {
  const proc = track(Bun.spawn([bin, ...args], { cwd: tmp, env, stdout: 'pipe', stderr: 'pipe' }))
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${code}:\n${out}${err}`)
}

async function load(args: LoadArgs, cpu: number | null): Promise<LoadResult> {
  const script = join(import.meta.dir, 'lib', 'webhooks-load.ts')
  const proc = track(
    Bun.spawn(pinned(cpu, [process.execPath, script, JSON.stringify(args)]), {
      cwd: root,
      stdout: 'pipe',
      stderr: 'pipe',
    }),
  )
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  const line = out.trim().split('\n').pop() ?? ''
  if (code !== 0 || !line.startsWith('{')) throw new Error(`load generator exited ${code}:\n${out}${err}`)
  return JSON.parse(line) as LoadResult
}

interface Target {
  name: string
  target: string
  actual: string
  pass: boolean
  enforced: boolean
}

async function main(p: Params): Promise<number> {
  const cpuCount = cpus().length
  const busyAtStart = await machineBusy()
  if (busyAtStart > 0.2)
    warn(`${Math.round(busyAtStart * 100)}% of the CPUs were busy before the bench started`)
  const pin = choosePinning(cpuCount)
  if (!pin) warn('not pinned (no taskset or one CPU): server and load generator share cores')
  const bin = p.bin ? resolve(p.bin) : join(root, 'dist', 'skinstack')
  if (!p.bin) ensureBinary(root, bin, p.build)
  const binary = binaryInfo(bin)

  const dbUrl = (await createBenchDb(p.databaseUrl, dbName)).url
  scratch.databaseUrl = p.databaseUrl
  scratch.keepDb = p.keepDb
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    // The bench is one client sending thousands of deliveries a second: the per-address limit would measure 429s.
    RATE_LIMIT_WEBHOOKS_PER_MINUTE: '0',
    DATABASE_URL: dbUrl,
    CLICK_ID_KEYS: `${CLICK_KID}:${CLICK_KEY}`,
    IP_HASH_SALT: '22'.repeat(16),
    MASTER_KEY,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATA_DIR: join(tmp, 'data'),
    ...(p.pool ? { DATABASE_POOL_SIZE: String(p.pool) } : {}),
  }
  const runId = `${process.pid}`
  const clickAtMs = Date.now() - 60_000
  const migrateMs = await migrateWithBinary(bin, env, tmp)
  await runCli(bin, ['seed'], env)

  // The merchant's Shopify secret, sealed with the binary's MASTER_KEY, as the tests do.
  const store = openPostgres({ url: dbUrl, poolSize: 1 })
  try {
    const [m] = await store.query<{ id: string }>(`select id from merchants where slug = 'glow-labs'`)
    if (!m) throw new Error("`skinstack seed` did not create the merchant 'glow-labs'")
    await addSecret(store, Buffer.from(MASTER_KEY, 'hex'), {
      merchantId: m.id,
      source: 'shopify',
      keyId: 'bench',
      secret: SHOPIFY_SECRET,
      slot: 1,
    })
    // The clicks the orders name, stored as the click flusher stores them, so every delivery is attributed
    // and commissioned (the path the target is about), not just stored.
    const ids = Array.from({ length: p.n }, (_, i) => clickUuidOf(runId, clickAtMs, i))
    for (let i = 0; i < ids.length; i += 5000)
      await store.query(
        `insert into clicks (id, clicked_at, link_id, slug, program_id, influencer_id, campaign_id)
         select u, $2::timestamptz, l.id, l.slug, l.program_id, l.influencer_id, l.campaign_id
           from unnest($1::uuid[]) u, tracking_links l where l.slug = 'glow-serum'`,
        [ids.slice(i, i + 5000), new Date(clickAtMs).toISOString()],
      )
  } finally {
    await store.close()
  }
  log(`${binary.version}; database ${dbName}: migrated in ${migrateMs} ms, seeded, shopify secret added`)

  const port = await freePort()
  const server = spawnTracked(pinned(pin?.server, [bin, 'serve', '--no-migrate']), {
    cwd: tmp,
    env: { ...env, PORT: String(port) },
    log: join(tmp, 'server.log'),
  })
  const base = `http://127.0.0.1:${port}`
  await waitHttp(`${base}/healthz`, server)
  const atStart = await readProc(server.pid)
  log(`serving on ${base} (pid ${server.pid}, cpus ${atStart.cpusAllowed}), RSS ${atStart.rssMiB} MiB`)

  const common = {
    url: `${base}/webhooks/shopify/glow-labs`,
    secret: SHOPIFY_SECRET,
    runId,
    concurrency: p.concurrency,
    clickKid: CLICK_KID,
    clickKeyHex: CLICK_KEY,
    clickAtMs,
    serverPid: server.pid,
  }
  log(`distinct: ${p.n} deliveries, concurrency ${p.concurrency}…`)
  const distinct = await load({ ...common, first: 0, count: p.n }, pin?.load ?? null)
  const dupConcurrency = p.dupConcurrency ?? p.concurrency
  log(
    `duplicates: ${p.dups} replays, ${p.dupRate ? `open loop at ${p.dupRate}/s` : `concurrency ${dupConcurrency}`}…`,
  )
  const duplicates = await load(
    { ...common, first: 0, count: p.dups, concurrency: dupConcurrency, rate: p.dupRate || undefined },
    pin?.load ?? null,
  )
  const atEnd = await readProc(server.pid)
  const shutdown = await stopProcess(server, 'SIGTERM', 10_000)
  if (shutdown.code !== 0) warn(`the binary exited ${shutdown.code ?? shutdown.signal} on SIGTERM`)

  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} })
  let db: {
    conversions: number
    events: number
    attributed: number
    commissions: number
    eventsDistinctIds: number
  }
  try {
    const [row] = await sql<{ c: number; e: number; a: number; k: number; d: number }[]>`
      select (select count(*)::int from conversions) as c,
             (select count(*)::int from commissions) as k,
             (select count(*)::int from webhook_events) as e,
             (select count(*)::int from conversions where click_id is not null) as a,
             (select count(distinct external_id)::int from webhook_events) as d`
    db = {
      conversions: row?.c ?? -1,
      events: row?.e ?? -1,
      attributed: row?.a ?? -1,
      commissions: row?.k ?? -1,
      eventsDistinctIds: row?.d ?? -1,
    }
  } finally {
    await sql.end()
  }

  for (const [name, r] of [
    ['distinct', distinct],
    ['duplicates', duplicates],
  ] as const)
    if (r.samples.length) warn(`${name}: unexpected answers, e.g. ${r.samples.join(' | ')}`)
  if (db.attributed !== db.conversions)
    warn(`${db.conversions - db.attributed} conversions carry no verified click id`)
  if (db.commissions !== db.conversions)
    warn(`${db.conversions - db.commissions} conversions earned no commission`)

  const perf = !p.quick
  const ok200 = distinct.statuses['200'] ?? 0
  const ok202 = duplicates.statuses['202'] ?? 0
  const fmt = (s: Record<string, number>) =>
    Object.entries(s)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ')
  const targets: Target[] = [
    {
      name: 'distinct throughput',
      target: '≥ 1000 deliveries/s',
      actual: `${distinct.rps}/s`,
      pass: distinct.rps >= 1000,
      enforced: perf,
    },
    {
      name: p.dupRate ? `duplicate (202) p99 at a fixed ${p.dupRate}/s (open loop)` : 'duplicate (202) p99',
      target: '≤ 5 ms',
      actual: `${duplicates.p99Ms} ms`,
      pass: duplicates.p99Ms <= 5,
      enforced: perf,
    },
    {
      name: 'distinct all 200',
      target: `${p.n}`,
      actual: fmt(distinct.statuses),
      pass: ok200 === p.n,
      enforced: true,
    },
    {
      name: 'duplicates all 202',
      target: `${p.dups}`,
      actual: fmt(duplicates.statuses),
      pass: ok202 === p.dups,
      enforced: true,
    },
    {
      name: 'exactly once: conversions',
      target: `= ${p.n}`,
      actual: `${db.conversions}`,
      pass: db.conversions === p.n,
      enforced: true,
    },
    {
      name: 'exactly once: commissions',
      target: `= ${p.n}`,
      actual: `${db.commissions}`,
      pass: db.commissions === p.n,
      enforced: true,
    },
    {
      name: 'exactly once: webhook_events',
      target: `= ${p.n}`,
      actual: `${db.events}`,
      pass: db.events === p.n && db.eventsDistinctIds === p.n,
      enforced: true,
    },
  ]

  const table: string[][] = [
    [
      'phase',
      'n',
      'req/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'p99.9 ms',
      'max ms',
      'statuses',
      'srv cpu',
      'load cpu',
      'all cpus',
    ],
    ...(
      [
        ['distinct', distinct],
        ['duplicates', duplicates],
      ] as const
    ).map(([name, r]) => [
      name,
      String(r.n),
      String(r.rps),
      r.p50Ms.toFixed(2),
      r.p90Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.p999Ms.toFixed(2),
      r.maxMs.toFixed(2),
      fmt(r.statuses),
      r.serverCpuPct === null ? '?' : `${r.serverCpuPct}%`,
      `${r.loadCpuPct}%`,
      r.machineBusyPct === null ? '?' : `${r.machineBusyPct}%`,
    ]),
  ]
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)))
  console.log()
  for (const r of table)
    console.log(
      r.map((v, c) => (c === 0 || c === 8 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '),
    )
  console.log(
    `\ndb: conversions ${db.conversions} (${db.attributed} with a verified click id), commissions ${db.commissions}, webhook_events ${db.events}` +
      `\nskinstack RSS MiB: ${atStart.rssMiB} at start, ${atEnd.rssMiB} at the end (peak ${atEnd.hwmMiB}); ` +
      `SIGTERM → exit ${shutdown.code ?? shutdown.signal} in ${shutdown.ms} ms\n`,
  )
  for (const t of targets)
    console.log(
      `${t.pass ? 'PASS' : t.enforced ? 'FAIL' : 'miss'}  ${t.name.padEnd(30)} target ${t.target.padEnd(22)} actual ${t.actual}${t.enforced ? '' : '  (not enforced in --quick)'}`,
    )

  const phase = (r: LoadResult) => ({
    n: r.n,
    rps: r.rps,
    wallMs: r.wallMs,
    p50Ms: r.p50Ms,
    p90Ms: r.p90Ms,
    p99Ms: r.p99Ms,
    p999Ms: r.p999Ms,
    maxMs: r.maxMs,
    statuses: r.statuses,
    serverCpuPct: r.serverCpuPct,
    loadCpuPct: r.loadCpuPct,
    machineBusyPct: r.machineBusyPct,
    loadCpusAllowed: r.loadCpusAllowed,
    buildMs: r.buildMs,
  })
  const out = resolve(root, p.out)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        machine: machineInfo({
          busyAtStart,
          pinning: pin && { server: pin.server, load: pin.load, serverCpusAllowed: atStart.cpusAllowed },
        }),
        params: {
          ...p,
          databaseUrl: undefined,
          database: dbName,
          binary,
          migrateMs,
          source: 'shopify',
          topic: 'orders/paid',
          merchant: 'glow-labs',
        },
        distinct: phase(distinct),
        duplicates: phase(duplicates),
        db,
        rss: { startMiB: atStart.rssMiB, endMiB: atEnd.rssMiB, peakMiB: atEnd.hwmMiB },
        shutdown,
        targets,
        warnings,
        pass: targets.every((t) => t.pass || !t.enforced),
      },
      null,
      2,
    )}\n`,
  )
  console.log(`\nresults: ${out}`)
  const failed = targets.filter((t) => !t.pass && t.enforced)
  if (failed.length) console.log(`${failed.length} target(s) missed: ${failed.map((t) => t.name).join('; ')}`)
  return failed.length && p.assert ? 1 : 0
}

await runBench({
  usage: USAGE,
  parse: () => parseArgs(Bun.argv.slice(2)),
  main,
  scratch: { state: scratch, cleanup },
})
