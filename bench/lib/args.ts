// Command line of bench/redirect.ts. Every knob lands in the results JSON as `params`.

export const USAGE = `Usage: bun bench/redirect.ts [options]      (or: bun run bench:redirect [options])

Load benchmark of GET /l/:slug on the compiled binary against a bare Bun.serve fixed 302, with wrk.

  --links N          tracking links to seed (default 100000; --quick 10000)
  --hot N            hot set cycled by the cache-hit scenario (default 1000)
  --duration D       each measured wrk run, whole seconds: 10s, 1m (default 10s; --quick 2s)
  --warmup D         wrk warm-up run on the hot set before measuring (default 3s; --quick 1s)
  --connections N    wrk connections (default 64)
  --miss-rate N      cold-slug requests per second of the fixed-rate miss probe (default 1000)
  --threads N        wrk threads (default 1)
  --spin             keep both pinned cores out of idle with SCHED_IDLE busy loops: steadier baselines on
                     VMs whose halted vCPUs wake slowly, but ~15% off a Postgres-bound binary here
  --quick            2 s runs, 10k links: a smoke test; only the correctness targets are enforced
  --build            rebuild dist/skinstack first (it is built anyway when missing)
  --bin PATH         bench this binary instead of dist/skinstack (never built by the bench)
  --install          apt-get install wrk when it is missing (otherwise the bench says how, and stops)
  --no-assert        report missed targets but exit 0
  --keep-db          do not drop the bench database at the end (its name is printed)
  --out PATH         results file (default bench/results/redirect.json)
  --help

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), an admin
connection used to create and drop the database skinstack_bench_<pid>.
Exit codes: 0 all enforced targets met, 1 a target missed or the run failed, 2 bad usage, no wrk, no Postgres.`

export interface Params {
  links: number
  hot: number
  durationS: number
  warmupS: number
  connections: number
  missRate: number
  threads: number
  quick: boolean
  build: boolean
  install: boolean
  assert: boolean
  keepDb: boolean
  spin: boolean
  out: string
  bin: string | null
  databaseUrl: string
}

export class UsageError extends Error {}

/** "10s", "1m" or a bare number of seconds → whole seconds (wrk's -d takes whole seconds only). */
export function parseDuration(v: string): number {
  const m = /^(\d+)(s|m)?$/.exec(v.trim())
  const s = m ? Number(m[1]) * (m[2] === 'm' ? 60 : 1) : 0
  if (!m || s < 1) throw new UsageError(`--duration/--warmup: "${v}" is not a whole duration like 10s or 1m`)
  return s
}

function positiveInt(flag: string, v: string | undefined, min = 1): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag}: expected an integer ≥ ${min}, got "${v}"`)
  return n
}

export function parseArgs(argv: readonly string[], env: Record<string, string | undefined>): Params | 'help' {
  const quick = argv.includes('--quick')
  const p: Params = {
    links: quick ? 10_000 : 100_000,
    hot: 1_000,
    durationS: quick ? 2 : 10,
    warmupS: quick ? 1 : 3,
    connections: 64,
    missRate: 1_000,
    threads: 1,
    quick,
    build: false,
    install: false,
    assert: true,
    keepDb: false,
    spin: false,
    out: 'bench/results/redirect.json',
    bin: null,
    databaseUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]
    const value = () => {
      const v = inline ?? argv[++i]
      if (v === undefined) throw new UsageError(`${flag}: missing value`)
      return v
    }
    switch (flag) {
      case '--help':
      case '-h':
        return 'help'
      case '--quick':
        break
      case '--links':
        p.links = positiveInt(flag, value())
        break
      case '--hot':
        p.hot = positiveInt(flag, value())
        break
      case '--duration':
        p.durationS = parseDuration(value())
        break
      case '--warmup':
        p.warmupS = parseDuration(value())
        break
      case '--connections':
        p.connections = positiveInt(flag, value())
        break
      case '--miss-rate':
        p.missRate = positiveInt(flag, value())
        break
      case '--threads':
        p.threads = positiveInt(flag, value())
        break
      case '--build':
        p.build = true
        break
      case '--install':
        p.install = true
        break
      case '--no-assert':
        p.assert = false
        break
      case '--no-spin':
        p.spin = false
        break
      case '--spin':
        p.spin = true
        break
      case '--keep-db':
        p.keepDb = true
        break
      case '--out':
        p.out = value()
        break
      case '--bin':
        p.bin = value()
        break
      default:
        throw new UsageError(`unknown option "${a}"`)
    }
  }
  if (p.hot >= p.links)
    throw new UsageError(`--hot (${p.hot}) must be smaller than --links (${p.links}): misses use the rest`)
  if (p.bin && p.build) throw new UsageError('--bin and --build: the bench only builds dist/skinstack')
  if (p.connections < p.threads)
    throw new UsageError(`--connections (${p.connections}) must be at least --threads (${p.threads})`)
  return p
}
