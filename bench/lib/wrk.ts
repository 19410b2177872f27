// Running wrk (pinned) with bench/lib/redirect.lua and reading its report and the script's JSON line.
import { join } from 'node:path'
import { pinned, readProc, round1, track } from './procs.ts'

export const LUA = join(import.meta.dir, 'redirect.lua')

export class ToolError extends Error {}

/** wrk is a Debian package; the bench installs it only when asked to (--install). */
export function ensureWrk(install: boolean): string {
  const found = Bun.which('wrk')
  if (found) return found
  const hint = 'wrk is not installed: run `apt-get install -y wrk` (as root), or rerun with --install'
  if (!install) throw new ToolError(hint)
  const root = process.getuid?.() === 0
  const sudo = root ? [] : Bun.which('sudo') ? ['sudo', '-n'] : null
  if (!sudo) throw new ToolError(`${hint}; --install needs root or sudo`)
  console.error('installing wrk: apt-get install -y wrk')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  let r = Bun.spawnSync([...sudo, 'apt-get', 'install', '-y', 'wrk'], {
    stdout: 'inherit',
    stderr: 'inherit',
    env,
  })
  if (r.exitCode !== 0) {
    Bun.spawnSync([...sudo, 'apt-get', 'update'], { stdout: 'inherit', stderr: 'inherit', env })
    r = Bun.spawnSync([...sudo, 'apt-get', 'install', '-y', 'wrk'], {
      stdout: 'inherit',
      stderr: 'inherit',
      env,
    })
  }
  const now = Bun.which('wrk')
  if (r.exitCode !== 0 || !now) throw new ToolError(`apt-get install -y wrk failed (exit ${r.exitCode})`)
  return now
}

/** What redirect.lua's done() prints after "BENCH_JSON ". */
export interface LuaSummary {
  sent: number
  s302: number
  s404: number
  other: number
  tail: number
  exhausted: number
  activeUs: number
  requests: number
  durationUs: number
  errors: { connect: number; read: number; write: number; status: number; timeout: number }
  p50Us: number
  p75Us: number
  p90Us: number
  p99Us: number
  p999Us: number
  maxUs: number
  rateMean: number
  rateStdev: number
  rateP10: number
  rateP90: number
}

export interface WrkResult {
  rps: number
  p50Ms: number
  p75Ms: number
  p90Ms: number
  p99Ms: number
  requests: number
  socketErrors: { connect: number; read: number; write: number; timeout: number }
  non2xx3xx: number
  lua: LuaSummary
  wrkCpuPct: number
  /** wrk's affinity as the kernel reports it mid-run (proves the taskset pinning took). */
  wrkCpusAllowed: string
  serverCpuPct: number | null
  raw: string
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

function toMs(value: string, unit: string): number {
  const f = UNIT_MS[unit]
  if (f === undefined) throw new Error(`wrk: unknown time unit "${unit}"`)
  return Number(value) * f
}

/** Parses wrk 4's text report (with --latency) plus the script's BENCH_JSON line. */
export function parseWrk(text: string): Omit<WrkResult, 'wrkCpuPct' | 'wrkCpusAllowed' | 'serverCpuPct'> {
  const pct = (p: number) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(text)
    if (!m) throw new Error(`wrk output has no ${p}% latency line:\n${text}`)
    return toMs(m[1] as string, m[2] as string)
  }
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text)
  const requests = /^\s+(\d+) requests in /m.exec(text)
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(text)
  const json = /^BENCH_JSON (\{.*\})\s*$/m.exec(text)
  if (!rps || !requests || !json) throw new Error(`could not read wrk's report:\n${text}`)
  return {
    rps: Number(rps[1]),
    p50Ms: pct(50),
    p75Ms: pct(75),
    p90Ms: pct(90),
    p99Ms: pct(99),
    requests: Number(requests[1]),
    socketErrors: {
      connect: Number(errs?.[1] ?? 0),
      read: Number(errs?.[2] ?? 0),
      write: Number(errs?.[3] ?? 0),
      timeout: Number(errs?.[4] ?? 0),
    },
    non2xx3xx: Number(non?.[1] ?? 0),
    lua: JSON.parse(json[1] as string) as LuaSummary,
    raw: text,
  }
}

export interface WrkRun {
  url: string
  /** redirect.lua arguments: mode, first, last, seed. */
  script: [mode: 'cycle' | 'once', first: number, last: number, seed: number]
  durationS: number
  connections: number
  threads: number
  cpu: number | null
  /** The server under test, for its CPU use during the run. */
  serverPid?: number
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const cmd = pinned(run.cpu, [
    'wrk',
    `-t${run.threads}`,
    `-c${run.connections}`,
    `-d${run.durationS}s`,
    '--timeout',
    '10s', // slow answers are measured, not dropped as timeouts
    '--latency',
    '-s',
    LUA,
    run.url,
    '--',
    ...run.script.map(String),
    String(run.threads),
  ])
  const before = run.serverPid ? await readProc(run.serverPid) : null
  const t0 = performance.now()
  const proc = track(Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' }))
  const affinity = Bun.sleep(300).then(() =>
    readProc(proc.pid).then(
      (r) => r.cpusAllowed,
      () => '?',
    ),
  )
  const [out, err, code, wrkCpusAllowed] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
    affinity,
  ])
  const wallS = (performance.now() - t0) / 1000
  const after = run.serverPid ? await readProc(run.serverPid) : null
  if (code !== 0) throw new Error(`wrk exited ${code}: ${err}${out}`)
  const usage = proc.resourceUsage()
  const wrkCpuS = usage ? Number(usage.cpuTime.total) / 1e6 : NaN
  return {
    ...parseWrk(out + (err ? `\n${err}` : '')),
    wrkCpuPct: round1((wrkCpuS / wallS) * 100),
    wrkCpusAllowed,
    serverCpuPct: before && after ? round1(((after.cpuS - before.cpuS) / wallS) * 100) : null,
  }
}
