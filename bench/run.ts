// `bun run bench`: every latency and throughput target of SkinStack in one run on this machine.
// Usage: bun bench/run.ts [--quick] [--only a,b] [--no-assert] [--no-build]   (bench/README.md)
//
// Makes sure Postgres answers (starting the machine's cluster, or a throwaway one), builds dist/skinstack
// once, then runs each scenario script one after another (never two at once: they would share the cores)
// with --no-assert and its own results file, reads the files back, prints one table, writes
// bench/results/latest.json and exits 1 when an enforced target is missed or a scenario failed.
import { cpus, loadavg, release } from 'node:os'
import { join, resolve } from 'node:path'
import { findOrStartPostgres, type PgServer } from '../test/helpers/postgres-server.ts'
import { ensureBinary, binaryInfo } from './lib/binary.ts'
import { buildLatest, printRows, printSuiteTargets, type SuiteTarget } from './lib/latest.ts'
import { writeResults } from './lib/report.ts'
import { rowsOf, SCENARIOS, type ScenarioOutcome } from './lib/suite.ts'
import { cpuTimes, startPostgresCluster, stealPct } from './lib/machine.ts'

const USAGE = `Usage: bun run bench [--quick] [--only a,b] [--no-assert] [--no-build]

  --quick      short runs of every scenario; only correctness targets (counts, statuses) are enforced (CI)
  --only LIST  comma-separated scenario keys: ${SCENARIOS.map((s) => s.key).join(', ')}
  --no-assert  exit 0 even when a target is missed
  --no-build   use dist/skinstack as it is (built anyway when missing)

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).`

const root = resolve(import.meta.dir, '..')
const argv = Bun.argv.slice(2)
const known = new Set(['--quick', '--only', '--no-assert', '--no-build', '--help'])
const onlyAt = argv.indexOf('--only')
const bad = argv.find((a, i) => !known.has(a) && i !== onlyAt + 1)
if (argv.includes('--help') || bad) {
  if (bad) console.error(`bench: unknown option "${bad}"\n`)
  console.log(USAGE)
  process.exit(bad ? 2 : 0)
}
const quick = argv.includes('--quick')
const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',').filter(Boolean)) : null
const unknownKeys = only ? [...only].filter((k) => !SCENARIOS.some((s) => s.key === k)) : []
if (unknownKeys.length || (only && only.size === 0)) {
  console.error(`bench: --only: unknown scenario(s) ${unknownKeys.join(', ')}\n\n${USAGE}`)
  process.exit(2)
}

const pg = await ensurePostgres()
let code = 1
try {
  code = await main(pg.adminUrl)
} finally {
  await pg.stop()
}
process.exit(code)

async function ensurePostgres(): Promise<PgServer> {
  const given = process.env.BENCH_DATABASE_URL
  if (!given) startPostgresCluster()
  const server = await findOrStartPostgres({ TEST_DATABASE_URL: given })
  process.env.BENCH_DATABASE_URL = server.adminUrl
  return server
}

async function main(adminUrl: string): Promise<number> {
  const bin = join(root, 'dist', 'skinstack')
  ensureBinary(root, bin, !argv.includes('--no-build'))
  const before = cpuTimes()
  const started = performance.now()
  const outcomes: ScenarioOutcome[] = []
  for (const s of SCENARIOS) {
    if (only && !only.has(s.key)) continue
    outcomes.push(await runScenario(s.key, s.script, s.args(quick), s.timeoutS))
  }
  const targets: SuiteTarget[] = outcomes.flatMap((o) => o.targets.map((t) => ({ scenario: o.key, ...t })))
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    kernel: release(),
    bunVersion: Bun.version,
    binary: binaryInfo(bin),
    database: Object.assign(new URL(adminUrl), { password: '' }).toString(),
    loadavgAtEnd: loadavg(),
    // Time the hypervisor gave to other guests while the suite ran: high steal makes every figure noisier.
    stealPct: stealPct(before, cpuTimes()),
    seconds: Math.round((performance.now() - started) / 1000),
  }
  const latest = buildLatest(outcomes, machine, quick, targets)
  console.log(`\n═══ SkinStack bench${quick ? ' --quick' : ''} on ${machine.cpus} × ${machine.cpuModel}`)
  console.log(`    ${machine.seconds} s, steal ${machine.stealPct}% of CPU time, ${machine.binary.version}\n`)
  printRows(outcomes.flatMap(rowsOf))
  console.log()
  printSuiteTargets(targets)
  for (const o of outcomes)
    if (!o.json) console.log(`FAIL                [${o.key}] produced no results (exit ${o.code})`)
  const out = join(root, 'bench', 'results', 'latest.json')
  writeResults(out, latest)
  const met = latest.targets_met === true
  console.log(`\n${met ? 'every enforced target met' : 'TARGETS MISSED'}; results: ${out}`)
  return met || argv.includes('--no-assert') ? 0 : 1
}

async function runScenario(
  key: string,
  script: string,
  args: string[],
  timeoutS: number,
): Promise<ScenarioOutcome> {
  const out = join(root, 'bench', 'results', `${key}.json`)
  await Bun.file(out)
    .delete()
    .catch(() => {})
  const cmd = [process.execPath, join(import.meta.dir, script), ...args, '--no-assert', '--out', out]
  if (quick) cmd.push('--quick')
  console.log(`\n─── ${key}: bun bench/${script} ${cmd.slice(3).join(' ')}`)
  const t0 = performance.now()
  const proc = Bun.spawn(cmd, { cwd: root, stdout: 'inherit', stderr: 'inherit', env: process.env })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    proc.kill('SIGTERM')
    setTimeout(() => proc.kill('SIGKILL'), 30_000).unref()
  }, timeoutS * 1000)
  const code = await proc.exited
  clearTimeout(timer)
  const seconds = Math.round((performance.now() - t0) / 1000)
  const json =
    timedOut || code !== 0
      ? null
      : await Bun.file(out)
          .json()
          .catch(() => null)
  return { key, code, seconds, timedOut, json, targets: json?.targets ?? [] }
}
