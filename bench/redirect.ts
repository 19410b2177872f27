// Load benchmark of the redirect hot path (GET /l/:slug → 302), from outside the compiled binary only.
// Usage: bun bench/redirect.ts [--quick] [--links N] [--duration 10s] [--connections 64] … (--help)
//
// A fresh database skinstack_bench_<pid> is migrated by the binary and seeded with N links. A bare
// Bun.serve fixed 302 (bench/baseline.ts), then the binary, then the baseline again run one at a time
// pinned to core 0, driven by wrk pinned to core 1. Binary scenarios: cache hit (a hot set cycled after a
// warm-up) and cache miss: first the top slugs at a fixed rate (open loop, bench/lib/fixed-rate.ts: the latency target),
// then one pass over the other cold slugs in random order (saturation, reported). Then SIGTERM, and the rows in
// clicks must equal the 302s the clients saw. Prints a table, writes bench/results/redirect.json, and exits
// 1 when an enforced target is missed (--no-assert: 0), 2 on bad usage or a missing tool.
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs, USAGE, UsageError, type Params } from './lib/args.ts'
import { binaryInfo, ensureBinary } from './lib/binary.ts'
import { countClicks, prepareBinaryDb } from './lib/db.ts'
import { choosePinning, machineBusy, startSpinners } from './lib/procs.ts'
import { machineInfo } from './lib/machine.ts'
import { benchScratch } from './lib/scratch.ts'
import { runBench } from './lib/entry.ts'
import { buildTargets, printTable, printTargets, writeResults, type ScenarioRow } from './lib/report.ts'
import { runBaseline, runBinary, type Ctx } from './lib/scenarios.ts'
import { ensureWrk } from './lib/wrk.ts'

const root = resolve(import.meta.dir, '..')
const { dbName, tmp, state: scratch, cleanup } = benchScratch('skinstack-bench-')
const warnings: string[] = []
const warn = (msg: string) => (warnings.push(msg), console.error(`warning: ${msg}`))
const log = (msg: string) => console.error(`· ${msg}`)

async function main(p: Params): Promise<number> {
  ensureWrk(p.install)
  const cpuCount = cpus().length
  // Before anything of ours runs (the load average would still count a previous run for a minute).
  const busyAtStart = await machineBusy()
  if (busyAtStart > 0.2)
    warn(
      `${Math.round(busyAtStart * 100)}% of the CPUs were busy before the bench started: other work shares them`,
    )
  const pin = choosePinning(cpuCount)
  if (!pin)
    warn(
      `not pinned (${Bun.which('taskset') ? `${cpuCount} CPU` : 'no taskset'}): server and wrk share cores`,
    )
  const bin = p.bin ? resolve(p.bin) : join(root, 'dist', 'skinstack')
  if (p.bin && !existsSync(bin)) throw new UsageError(`--bin: ${bin} does not exist`)
  if (!p.bin) ensureBinary(root, bin, p.build)
  const binary = binaryInfo(bin)
  if (p.spin && pin) startSpinners([pin.server, pin.load])

  const { dbUrl, env, migrateMs, seeded } = await prepareBinaryDb({
    adminUrl: p.databaseUrl,
    dbName,
    bin,
    tmp,
    links: p.links,
    scratch,
  })
  scratch.keepDb = p.keepDb
  log(
    `${binary.version}; database ${dbName}: migrated in ${migrateMs} ms, ${seeded.count} links in ${seeded.ms} ms`,
  )

  const ctx: Ctx = { p, pin, env, bin, tmp, log, warn }
  const before = await runBaseline(ctx, 'baseline (Bun.serve 302)')
  const { pass, warm, hit, miss, missFixed, rss: readings, serverMetrics, shutdown } = await runBinary(ctx)
  const stored = await countClicks(dbUrl)
  const after = await runBaseline(ctx, 'baseline, again after')
  const baselineRps = Math.round((before.row.rps + after.row.rps) / 2)
  const spread = Math.abs(before.row.rps - after.row.rps) / baselineRps
  if (spread > 0.15)
    warn(`the baseline moved ${(spread * 100).toFixed(0)}% between its two runs: a noisy machine`)
  const scenarios: ScenarioRow[] = [before.row, hit, miss, after.row]
  for (const r of scenarios) r.ratioToBaseline = Math.round((r.rps / baselineRps) * 1000) / 1000

  const runs = [warm, hit, miss]
  const served = pass.s302 + missFixed.s302 + runs.reduce((n, r) => n + r.status['302'], 0)
  // A probe request that failed may still have been served (and stored): counted like wrk's unanswered ones.
  const unanswered = pass.failed + missFixed.failed + runs.reduce((n, r) => n + r.unanswered, 0)
  const clicks = { served, stored, lost: served - stored, unanswered, serverMetrics }
  const non302 = [
    pass.s404 + pass.other + missFixed.other,
    ...runs.map((r) => r.status['404'] + r.status.other),
  ].reduce((a, b) => a + b)
  for (const r of [...scenarios, warm]) {
    const e = r.socketErrors
    if (e.connect + e.read + e.write + e.timeout > 0)
      warn(`${r.name}: wrk socket errors ${JSON.stringify(e)}`)
    if (r.rateSpread.cv > 0.25 && !r.exhausted)
      warn(
        `${r.name}: throughput swung during the run (100 ms samples p10 ${r.rateSpread.p10}, p90 ${r.rateSpread.p90} req/s)`,
      )
    if (r.wrkCpuPct >= 90) warn(`${r.name}: wrk used ${r.wrkCpuPct}% of its core, it may be the limit`)
  }
  if (miss.exhausted)
    warn(
      `cache miss: the ${p.links - p.hot} cold slugs for wrk ran out before ${p.durationS}s (rps over active time)`,
    )
  const targets = buildTargets({
    hit,
    miss,
    missFixed,
    baselineRps,
    clicks,
    non302,
    shutdown,
    enforcePerf: !p.quick,
  })

  console.log()
  printTable(scenarios)
  console.log(
    `\nclicks: served ${served}, stored ${stored}, lost ${clicks.lost}` +
      (unanswered ? ` (${unanswered} requests were in flight when wrk stopped)` : '') +
      (serverMetrics ? `; the binary's /metrics for /l/ by status: ${JSON.stringify(serverMetrics)}` : ''),
  )
  const { atStart, afterWarmup, atEnd } = readings
  const rss = {
    afterStartMiB: atStart.rssMiB,
    afterWarmupMiB: afterWarmup.rssMiB,
    endMiB: atEnd.rssMiB,
    peakMiB: atEnd.hwmMiB,
  }
  console.log(
    `skinstack RSS MiB: ${rss.afterStartMiB} at start, ${rss.afterWarmupMiB} after warm-up, ${rss.endMiB} at the end (peak ${rss.peakMiB})\n`,
  )
  printTargets(targets)

  const out = resolve(root, p.out)
  const pinning = pin && {
    server: pin.server,
    wrk: pin.load,
    wrkRuns: [...new Set([...scenarios, warm].map((r) => r.wrkCpusAllowed))].join(' '),
    baseline: before.cpusAllowed,
    binary: atStart.cpusAllowed,
  }
  writeResults(out, {
    at: new Date().toISOString(),
    machine: machineInfo({ busyAtStart, pinning }),
    params: { ...p, databaseUrl: undefined, database: dbName, binary, migrateMs, seedMs: seeded.ms },
    baselineRps,
    scenarios,
    warmup: { fetchPass: pass, wrk: warm },
    missFixedRate: missFixed,
    clicks,
    rss,
    shutdown,
    targets,
    warnings,
    pass: targets.every((t) => t.pass || !t.enforced),
  })
  console.log(`\nresults: ${out}`)
  const failed = targets.filter((t) => !t.pass && t.enforced)
  if (failed.length) console.log(`${failed.length} target(s) missed: ${failed.map((t) => t.name).join('; ')}`)
  return failed.length && p.assert ? 1 : 0
}

await runBench({
  usage: USAGE,
  parse: () => parseArgs(Bun.argv.slice(2), process.env),
  main,
  scratch: { state: scratch, cleanup },
})
