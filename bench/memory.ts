// Memory of the redirect: what 1M cached links cost, and whether the compiled binary's RSS stays flat under
// steady load. Usage: bun bench/memory.ts [--quick] [--rate N] [--soak D] [--out PATH] [--build] [--no-assert]
//
// 1. A child Bun process fills the real link cache with 1,000,000 links (bench/lib/memory-cache1m.ts) and
//    reports its RSS: reported, not enforced.
// 2. A soak: dist/skinstack on a fresh database with LINKS links, every slug fetched once (so the cache
//    is full before the first reading and its filling is not mistaken for growth), a warm-up at the soak
//    rate, then the soak itself: open-loop requests at a fixed rate, mostly hot slugs, some cold (rarely
//    requested, still cached: the LRU order churns), RSS sampled every second. Then SIGTERM, and the rows in
//    clicks must equal the 302s served. Exit 1 when an enforced target is missed (--no-assert: 0), 2 on bad usage.
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import postgres from 'postgres'
import { UsageError } from './lib/args.ts'
import { binaryInfo, ensureBinary, fetchPass, type PassCounts } from './lib/binary.ts'
import { countClicks, prepareBinaryDb, slugOf } from './lib/db.ts'
import { measureCache1m } from './lib/memory-cache1m.ts'
import { nearestRank } from './lib/percentile.ts'
import {
  choosePinning,
  freePort,
  machineBusy,
  pinned,
  pinPostgres,
  readProc,
  round1,
  spawnTracked,
  stopProcess,
  waitHttp,
  type Stopped,
} from './lib/procs.ts'
import { exitTarget, printTargets, writeResults, type Target } from './lib/report.ts'
import { machineInfo } from './lib/machine.ts'
import { benchScratch } from './lib/scratch.ts'
import { runBench } from './lib/entry.ts'

const USAGE = `Usage: bun bench/memory.ts [options]

RSS of 1M cached links (child process, reported), then a soak of dist/skinstack at a fixed request rate.

  --rate N      soak requests per second, open loop (default 3000)
  --soak D      soak length, whole seconds: 60s, 2m (default 60s; --quick 10s)
  --quick       10 s soak after a 3 s warm-up; the RSS growth target is reported, not enforced
  --build       rebuild dist/skinstack first (it is built anyway when missing)
  --no-assert   report missed targets but exit 0
  --out PATH    results file (default bench/results/memory.json)
  --help

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
Exit codes: 0 all enforced targets met, 1 a target missed or the run failed, 2 bad usage or no Postgres.`

interface Params {
  quick: boolean
  assert: boolean
  build: boolean
  out: string
  rate: number
  soakS: number
  warmS: number
  links: number
  hot: number
  /** Share of soak requests that go to the cold slugs hot+1..links. */
  coldShare: number
  cacheEntries: number
  databaseUrl: string
}

function parseArgs(argv: readonly string[]): Params | 'help' {
  const quick = argv.includes('--quick')
  const p: Params = {
    quick,
    assert: true,
    build: false,
    out: 'bench/results/memory.json',
    rate: 3_000,
    soakS: quick ? 10 : 60,
    warmS: quick ? 3 : 10,
    links: 20_000,
    hot: 1_000,
    coldShare: 0.1,
    cacheEntries: 1_000_000,
    databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const eq = a.indexOf('=')
    const flag = eq < 0 ? a : a.slice(0, eq)
    const value = () => {
      const v = eq < 0 ? argv[++i] : a.slice(eq + 1)
      if (v === undefined) throw new UsageError(`${flag}: missing value`)
      return v
    }
    if (flag === '--help' || flag === '-h') return 'help'
    else if (flag === '--quick') continue
    else if (flag === '--no-assert') p.assert = false
    else if (flag === '--build') p.build = true
    else if (flag === '--out') p.out = value()
    else if (flag === '--rate') {
      const v = value()
      p.rate = Number(v)
      if (!Number.isInteger(p.rate) || p.rate < 1)
        throw new UsageError(`--rate: "${v}" is not an integer ≥ 1`)
    } else if (flag === '--soak') {
      const v = value()
      const m = /^(\d+)(s|m)?$/.exec(v.trim())
      p.soakS = m ? Number(m[1]) * (m[2] === 'm' ? 60 : 1) : 0
      if (p.soakS < 1) throw new UsageError(`--soak: "${v}" is not a whole duration like 60s or 2m`)
    } else throw new UsageError(`unknown option "${a}"`)
  }
  return p
}

const root = resolve(import.meta.dir, '..')
const { dbName, tmp, state: scratch, cleanup } = benchScratch('skinstack-memory-')
const warnings: string[] = []
const warn = (msg: string) => (warnings.push(msg), console.error(`warning: ${msg}`))
const log = (msg: string) => console.error(`· ${msg}`)

/** Deterministic PRNG (mulberry32), so every run requests the same slug sequence. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface LoadRun {
  sent: number
  s302: number
  other: number
  failed: number
  /** Latency of request i from its scheduled start, ms; NaN when it failed. */
  ms: Float64Array
  /**
   * The load generator's own longest stall (a 10 ms timer's lateness) in each window, ms: when it rivals a
   * window's p99, that p99 was this process's pause, not the server's.
   */
  stallMs: number[]
}

/**
 * Open loop like bench/lib/fixed-rate.ts (latency from each request's scheduled start, so a stall is charged
 * to every request it delayed), but over a hot/cold mix, and every latency kept for the per-window quantiles.
 */
async function openLoop(base: string, p: Params, seconds: number, seed: number): Promise<LoadRun> {
  const rand = mulberry32(seed)
  const n = p.rate * seconds
  const ms = new Float64Array(n).fill(Number.NaN)
  const run: LoadRun = { sent: n, s302: 0, other: 0, failed: 0, ms, stallMs: [] }
  // A count, not an array of the promises: 3M settled promises kept for a 10-minute soak make the load
  // generator's own GC pauses grow, and every request they delay is charged to the server.
  let pending = 0
  const drained = Promise.withResolvers<void>()
  let scheduled = false
  const settle = () => {
    if (--pending === 0 && scheduled) drained.resolve()
  }
  const t0 = performance.now() + 50
  let tick = performance.now()
  const ticker = setInterval(() => {
    const now = performance.now()
    const w = Math.floor((now - t0) / 1000 / WINDOW_S)
    if (w >= 0) run.stallMs[w] = Math.max(run.stallMs[w] ?? 0, Math.round((now - tick - 10) * 10) / 10)
    tick = now
  }, 10)
  for (let i = 0; i < n; i++) {
    const at = t0 + (i * 1000) / p.rate
    const wait = at - performance.now()
    if (wait > 1) await Bun.sleep(wait)
    // Behind schedule the loop would never yield, and the answers it is timing would wait on it.
    else if (i % 64 === 63) await Bun.sleep(0)
    const cold = rand() < p.coldShare
    const link = cold ? p.hot + 1 + Math.floor(rand() * (p.links - p.hot)) : 1 + Math.floor(rand() * p.hot)
    // Sent up to 1 ms early (a shorter sleep overshoots more than that): timed from the send then, so never
    // negative; sent late, timed from the schedule, so the delay is charged.
    const from = Math.min(at, performance.now())
    pending++
    fetch(`${base}/l/${slugOf(link)}`, { redirect: 'manual' })
      .then(
        async (res) => {
          await res.arrayBuffer()
          ms[i] = performance.now() - from
          if (res.status === 302) run.s302++
          else run.other++
        },
        () => {
          run.failed++
        },
      )
      .finally(settle)
  }
  scheduled = true
  if (pending > 0) await drained.promise
  clearInterval(ticker)
  return run
}

const WINDOW_S = 10

function windows(
  run: LoadRun,
  rate: number,
  serverStalls: readonly number[] = [],
): {
  from_s: number
  p50_ms: number
  p99_ms: number
  n: number
  load_stall_ms: number
  server_stall_ms: number
}[] {
  const out = []
  for (let from = 0; from * rate < run.ms.length; from += WINDOW_S) {
    const slice = run.ms.subarray(from * rate, Math.min(run.ms.length, (from + WINDOW_S) * rate))
    const ok = slice.filter((v) => !Number.isNaN(v)).sort()
    const q = (x: number) => Math.round(nearestRank(ok, x) * 1000) / 1000
    out.push({
      from_s: from,
      p50_ms: q(0.5),
      p99_ms: q(0.99),
      n: ok.length,
      load_stall_ms: run.stallMs[from / WINDOW_S] ?? 0,
      server_stall_ms: serverStalls[from / WINDOW_S] ?? 0,
    })
  }
  return out
}

/** Least-squares slope of RSS over time, MiB per minute. */
function slopePerMin(samples: readonly { t_s: number; rssMiB: number }[]): number {
  const n = samples.length
  if (n < 2) return 0
  const mt = samples.reduce((s, x) => s + x.t_s, 0) / n
  const mr = samples.reduce((s, x) => s + x.rssMiB, 0) / n
  let num = 0
  let den = 0
  for (const x of samples) {
    num += (x.t_s - mt) * (x.rssMiB - mr)
    den += (x.t_s - mt) ** 2
  }
  return den ? Math.round((num / den) * 60 * 100) / 100 : 0
}

interface SoakRun {
  pass: PassCounts
  warm: LoadRun
  soak: LoadRun
  samples: { t_s: number; rssMiB: number }[]
  rssAtStartupMiB: number
  shutdown: Stopped
  /** Per window, the longest event-loop stall the server logged (src/ops/loop-monitor.ts), ms. */
  serverStalls: number[]
  /** Per window, the checkpoints Postgres began. */
  checkpoints: number[]
}

/** The server's own 'event loop stalled' warnings, by soak window (pino lines carry ISO times). */
function stallsByWindow(lines: readonly string[], startedAt: number): number[] {
  const out: number[] = []
  for (const line of lines) {
    let e: { msg?: string; time?: string; stallMs?: number }
    try {
      e = JSON.parse(line)
    } catch {
      continue
    }
    const at = Date.parse(e.time ?? '')
    if (e.msg !== 'event loop stalled' || Number.isNaN(at) || typeof e.stallMs !== 'number') continue
    const w = Math.floor((at - startedAt) / 1000 / WINDOW_S)
    if (w >= 0) out[w] = Math.max(out[w] ?? 0, e.stallMs)
  }
  return out
}

async function runSoak(
  p: Params,
  bin: string,
  env: Record<string, string>,
  pin: { server: number } | null,
): Promise<SoakRun> {
  const port = await freePort()
  const serverLog = join(tmp, 'server.log')
  const srv = spawnTracked(pinned(pin?.server, [bin, 'serve']), {
    cwd: tmp,
    // Every pause of the server's event loop from 10 ms up is logged, to tell its stalls from the load generator's.
    env: { ...env, PORT: String(port), LOOP_STALL_WARN_MS: '10' },
    log: serverLog,
  })
  const url = `http://127.0.0.1:${port}`
  await waitHttp(`${url}/healthz`, srv, 60_000)
  const startup = await readProc(srv.pid)
  log(`skinstack: pid ${srv.pid} on cpus ${startup.cpusAllowed}, ${startup.rssMiB} MiB after start`)
  const pass = await fetchPass(url, p.links)
  log(`warm-up: fetched all ${p.links} slugs once, now ${p.warmS}s at ${p.rate}/s`)
  const warm = await openLoop(url, p, p.warmS, 1)

  log(`soak: ${p.soakS}s at ${p.rate}/s (${Math.round(p.coldShare * 100)}% cold slugs), RSS every second`)
  const samples: { t_s: number; rssMiB: number }[] = []
  const t0 = performance.now()
  const startedAt = Date.now()
  const readings: Promise<void>[] = []
  const sample = () =>
    readings.push(
      readProc(srv.pid).then((r) => {
        samples.push({ t_s: round1((performance.now() - t0) / 1000), rssMiB: r.rssMiB })
      }),
    )
  sample()
  const timer = setInterval(sample, 1000)
  // Postgres checkpoints per window: their writes land on the load generator's core.
  const pg = postgres(env.DATABASE_URL ?? '', { max: 1, onnotice: () => {} })
  const checkpoints: number[] = []
  const countCheckpoints = async () => {
    const [r] = await pg`select (checkpoints_timed + checkpoints_req)::int as n from pg_stat_bgwriter`
    checkpoints.push(Number(r?.n ?? 0))
  }
  await countCheckpoints()
  const cpTimer = setInterval(() => void countCheckpoints().catch(() => {}), WINDOW_S * 1000)
  const soak = await openLoop(url, p, p.soakS, 2).finally(() => {
    clearInterval(timer)
    clearInterval(cpTimer)
  })
  await pg.end({ timeout: 5 })
  sample()
  await Promise.all(readings)
  samples.sort((a, b) => a.t_s - b.t_s)

  const shutdown = await stopProcess(srv, 'SIGTERM', 60_000)
  const output = readFileSync(serverLog, 'utf8').trim().split('\n').filter(Boolean)
  if (output.length)
    console.error(`--- skinstack output (LOG_LEVEL=warn), last lines ---\n${output.slice(-15).join('\n')}`)
  return {
    pass,
    warm,
    soak,
    samples,
    rssAtStartupMiB: startup.rssMiB,
    shutdown,
    serverStalls: stallsByWindow(output, startedAt),
    checkpoints: checkpoints.slice(1).map((n, i) => n - (checkpoints[i] ?? n)),
  }
}

/** Moves this process (the load generator) onto its own core, away from the binary's. */
function pinSelf(cpu: number): boolean {
  const r = Bun.spawnSync(['taskset', '-a', '-p', '-c', String(cpu), String(process.pid)], {
    stdout: 'ignore',
    stderr: 'pipe',
  })
  return r.exitCode === 0
}

async function main(p: Params): Promise<number> {
  const cpuCount = cpus().length
  // Before anything of ours runs (the load average would still count a previous run for a minute).
  const busyAtStart = await machineBusy()
  if (busyAtStart > 0.2)
    warn(
      `${Math.round(busyAtStart * 100)}% of the CPUs were busy before the bench started: other work shares them`,
    )
  const bin = join(root, 'dist', 'skinstack')
  ensureBinary(root, bin, p.build)
  const binary = binaryInfo(bin)

  log(`cache: ${p.cacheEntries.toLocaleString('en-US')} links in a child process…`)
  const cache1m = await measureCache1m(p.cacheEntries)
  log(
    `cache: ${cache1m.rssBeforeMiB} → ${cache1m.rssAfterMiB} MiB RSS, ${cache1m.bytesPerEntry} bytes a link (filled in ${cache1m.fillMs} ms)`,
  )

  // Pinned only after the cache child, which then had both cores to itself.
  const pin = choosePinning(cpuCount)
  const selfPinned = pin ? pinSelf(pin.load) : false
  if (!pin || !selfPinned)
    warn(
      `not pinned (${Bun.which('taskset') ? `${cpuCount} CPU` : 'no taskset'}): server and load share cores`,
    )

  const { dbUrl, env, migrateMs, seeded } = await prepareBinaryDb({
    adminUrl: p.databaseUrl,
    dbName,
    bin,
    tmp,
    links: p.links,
    scratch,
  })
  log(
    `${binary.version}; database ${dbName}: migrated in ${migrateMs} ms, ${seeded.count} links in ${seeded.ms} ms`,
  )

  const restorePostgres = pin && selfPinned ? pinPostgres(pin.load) : null
  if (pin && selfPinned && !restorePostgres) warn('Postgres not moved off the server core: it shares it')
  const r = await runSoak(p, bin, env, pin).finally(() => restorePostgres?.())
  const stored = await countClicks(dbUrl)
  const runs = [r.pass, r.warm, r.soak]
  const served = runs.reduce((n, x) => n + x.s302, 0)
  const notServed = r.pass.s404 + runs.reduce((n, x) => n + x.other + x.failed, 0)
  const requests = r.pass.s302 + r.pass.s404 + r.pass.other + r.pass.failed + r.warm.sent + r.soak.sent

  // Medians of the first and last five readings: one reading taken as the allocator returns pages swings ±10%.
  const median5 = (xs: { rssMiB: number }[]) => {
    const v = xs.map((x) => x.rssMiB).sort((a, b) => a - b)
    return v.length ? (v[Math.floor((v.length - 1) / 2)] as number) : Number.NaN
  }
  const rssStartMiB = median5(r.samples.slice(0, 5))
  const rssEndMiB = median5(r.samples.slice(-5))
  const rssMaxMiB = Math.max(...r.samples.map((s) => s.rssMiB))
  const growthPct = Math.round(((rssEndMiB - rssStartMiB) / rssStartMiB) * 1000) / 10
  const slopeMiBPerMin = slopePerMin(r.samples)
  const win = windows(r.soak, p.rate, r.serverStalls)
  const p99s = win.map((w) => w.p99_ms)
  if (win.length > 1 && Math.max(...p99s) > 2 * Math.min(...p99s) && Math.max(...p99s) > 5)
    warn(`soak p99 moved between ${WINDOW_S}s windows: ${p99s.join(', ')} ms`)
  const s = r.shutdown

  const targets: Target[] = [
    {
      name: 'soak RSS growth',
      target: '≤ 10%',
      actual: `${growthPct}% (${rssStartMiB} → ${rssEndMiB} MiB, max ${rssMaxMiB}, ${slopeMiBPerMin} MiB/min)`,
      pass: growthPct <= 10,
      enforced: !p.quick,
    },
    {
      // Stable: no window's p99 beyond 3× the median window's (or 10 ms): a leak or a growing queue shows here.
      name: `soak p99 stable across ${WINDOW_S} s windows`,
      target: '≤ max(3 × median window, 10 ms)',
      actual: `${p99s.join(', ')} ms`,
      pass: Math.max(...p99s) <= Math.max(3 * median(p99s), 10),
      enforced: !p.quick && p99s.length >= 3,
    },
    {
      name: 'soak: clicks stored == 302s served',
      target: `${served}`,
      actual: `${stored} (lost ${served - stored})`,
      pass: stored === served,
      enforced: true,
    },
    {
      name: 'soak: every request 302',
      target: `0 other answers or failures of ${requests}`,
      actual: `${notServed}`,
      pass: notServed === 0,
      enforced: true,
    },
    exitTarget(s),
  ]

  console.log(
    `\n1M cached links: ${cache1m.rssAfterMiB} MiB RSS (${cache1m.rssBeforeMiB} before, ${cache1m.bytesPerEntry} bytes a link)`,
  )
  console.log(
    `soak ${p.soakS}s at ${p.rate}/s: RSS ${rssStartMiB} → ${rssEndMiB} MiB (max ${rssMaxMiB}), ${growthPct}%, ${slopeMiBPerMin} MiB/min`,
  )
  for (const w of win)
    console.log(
      `  ${String(w.from_s).padStart(3)}s+  p50 ${w.p50_ms} ms  p99 ${w.p99_ms} ms  (${w.n})  load generator stalled ≤ ${w.load_stall_ms} ms, server ≤ ${w.server_stall_ms} ms${r.checkpoints[w.from_s / WINDOW_S] ? ', checkpoint' : ''}`,
    )
  console.log(`clicks: served ${served}, stored ${stored}\n`)
  printTargets(targets)

  const out = resolve(root, p.out)
  writeResults(out, {
    at: new Date().toISOString(),
    machine: machineInfo({
      busyAtStart,
      pinning:
        pin && selfPinned
          ? { server: pin.server, load: pin.load, postgres: restorePostgres ? pin.load : null }
          : null,
    }),
    params: { ...p, databaseUrl: undefined, database: dbName, binary, migrateMs, seedMs: seeded.ms },
    cache1m,
    soak: {
      rate: p.rate,
      seconds: p.soakS,
      rssAtStartupMiB: r.rssAtStartupMiB,
      rssStartMiB,
      rssEndMiB,
      rssMaxMiB,
      growthPct,
      slopeMiBPerMin,
      samples: r.samples,
      windows: win,
      served,
      stored,
      requests: { fetchPass: r.pass, warmup: counts(r.warm), soak: counts(r.soak) },
      shutdown: s,
    },
    memory: { rss_1m_links_mb: cache1m.rssAfterMiB, soak_growth_pct: growthPct },
    targets,
    warnings,
    pass: targets.every((t) => t.pass || !t.enforced),
  })
  console.log(`\nresults: ${out}`)
  const failed = targets.filter((t) => !t.pass && t.enforced)
  if (failed.length) console.log(`${failed.length} target(s) missed: ${failed.map((t) => t.name).join('; ')}`)
  return failed.length && p.assert ? 1 : 0
}

const counts = ({ sent, s302, other, failed }: LoadRun) => ({ sent, s302, other, failed })

await runBench({
  usage: USAGE,
  parse: () => parseArgs(Bun.argv.slice(2)),
  main,
  scratch: { state: scratch, cleanup },
})

function median(xs: readonly number[]): number {
  const v = [...xs].sort((a, b) => a - b)
  return v.length ? (v[Math.floor((v.length - 1) / 2)] as number) : 0
}
