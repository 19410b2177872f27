// Child processes of the bench: pinned spawning, readiness, /proc readings, and stopping them all on exit.
import type { Subprocess } from 'bun'
import { closeSync, openSync } from 'node:fs'
import { cpus } from 'node:os'

const live = new Set<Subprocess>()
let stopping = false

/** Remembers a child so stopAll() ends it; once stopAll() has begun, new children are killed at once. */
export function track<P extends Subprocess>(proc: P): P {
  live.add(proc)
  void proc.exited.then(() => live.delete(proc))
  if (stopping) {
    proc.kill('SIGKILL')
    throw new Error('stopping: no new processes')
  }
  return proc
}

/** Cores for the server and for wrk, or null when pinning is impossible (no taskset, or one CPU). */
export function choosePinning(cpus: number): { server: number; load: number } | null {
  if (!Bun.which('taskset') || cpus < 2) return null
  return { server: 0, load: 1 }
}

export function pinned(cpu: number | null | undefined, cmd: string[]): string[] {
  return cpu === null || cpu === undefined ? cmd : ['taskset', '-c', String(cpu), ...cmd]
}

/**
 * Moves a local Postgres (postmaster and every backend: new backends inherit the postmaster's mask) onto
 * `cpu`, away from the server's core, and returns how to put it back; null when there is none we may move.
 * On a 2-core machine the Postgres work behind the clicks (COPY, the once-a-second rollup fold) otherwise
 * lands on the server's core in bursts: the soak's median 10 s p99 was ~14 ms with it there, ~9 ms moved.
 */
export function pinPostgres(cpu: number): (() => void) | null {
  if (!Bun.which('taskset') || !Bun.which('pgrep')) return null
  const pids = () =>
    new TextDecoder()
      .decode(Bun.spawnSync(['pgrep', '-x', 'postgres']).stdout)
      .split('\n')
      .filter(Boolean)
  const set = (mask: string) =>
    pids().every(
      (pid) =>
        Bun.spawnSync(['taskset', '-a', '-p', '-c', mask, pid], { stdout: 'ignore', stderr: 'ignore' })
          .exitCode === 0,
    )
  const found = pids()
  if (found.length === 0) return null
  const all = `0-${cpus().length - 1}`
  if (!set(String(cpu))) {
    set(all)
    return null
  }
  return () => {
    set(all)
  }
}

/** Spawns and remembers the child so stopAll() can end it if the bench fails or is interrupted. */
export function spawnTracked(
  cmd: string[],
  opts: { cwd?: string; env?: Record<string, string>; log?: string },
): Subprocess {
  // One descriptor for both streams, so stdout and stderr interleave instead of overwriting each other.
  const fd = opts.log ? openSync(opts.log, 'w') : undefined
  const out = fd ?? 'ignore'
  const proc = Bun.spawn(cmd, { cwd: opts.cwd, env: opts.env, stdin: 'ignore', stdout: out, stderr: out })
  if (fd !== undefined) closeSync(fd) // the child holds its own copy
  return track(proc)
}

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

/** Polls until `url` answers anything (a 302 counts), or throws if the process exits or time runs out. */
export async function waitHttp(url: string, proc: Subprocess, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`${url}: the process exited (${proc.exitCode ?? proc.signalCode}) before answering`)
    const ok = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(1000) }).then(
      async (r) => (await r.arrayBuffer(), true),
      () => false,
    )
    if (ok) return
    await Bun.sleep(20)
  }
  throw new Error(`${url}: no answer within ${timeoutMs} ms`)
}

export interface ProcReading {
  rssMiB: number
  hwmMiB: number
  cpusAllowed: string
  /** utime + stime of all threads, in seconds. */
  cpuS: number
}

let clkTck = 0
function ticksPerSecond(): number {
  if (!clkTck) {
    const getconf = Bun.which('getconf')
    clkTck = (getconf && Number(Bun.spawnSync([getconf, 'CLK_TCK']).stdout.toString().trim())) || 100
  }
  return clkTck
}

export async function readProc(pid: number): Promise<ProcReading> {
  const status = await Bun.file(`/proc/${pid}/status`).text()
  const stat = await Bun.file(`/proc/${pid}/stat`).text()
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
  // Fields after the ")" that closes comm: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {
    rssMiB: round1(kib('VmRSS') / 1024),
    hwmMiB: round1(kib('VmHWM') / 1024),
    cpusAllowed: /^Cpus_allowed_list:\s+(\S+)/m.exec(status)?.[1] ?? '?',
    cpuS: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond(),
  }
}

export interface Stopped {
  code: number | null
  signal: string | null
  ms: number
  killed: boolean
}

/** Sends `signal`, waits up to `timeoutMs` for the exit, then SIGKILLs. */
export async function stopProcess(
  proc: Subprocess,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<Stopped> {
  const t0 = performance.now()
  if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
  const timedOut = await Promise.race([proc.exited.then(() => false), Bun.sleep(timeoutMs).then(() => true)])
  if (timedOut) {
    proc.kill('SIGKILL')
    await proc.exited
  }
  return {
    code: proc.exitCode,
    signal: proc.signalCode === null ? null : String(proc.signalCode),
    ms: Math.round(performance.now() - t0),
    killed: timedOut,
  }
}

/** Ends every child still running (SIGTERM, SIGKILL after 5 s): the failure and Ctrl-C path. */
export async function stopAll(): Promise<void> {
  stopping = true
  await Promise.all([...live].map((p) => stopProcess(p, 'SIGTERM', 5000)))
}

export const round1 = (n: number) => Math.round(n * 10) / 10

/**
 * --spin: a busy loop at SCHED_IDLE priority on each pinned core, so the cores never go idle. On a VM an
 * idle vCPU halts and can be slow to wake, and loopback ping-pong between two pinned cores then swings
 * between a fast and a slow regime. SCHED_IDLE runs only when nothing else wants the core, yet it still
 * cost the Postgres-bound binary ~15% here, so it is opt-in.
 */
export function startSpinners(cores: readonly number[]): Subprocess[] {
  const sched = Bun.which('chrt') ? ['chrt', '-i', '0'] : ['nice', '-n', '19']
  return cores.map((c) => spawnTracked(pinned(c, [...sched, 'sh', '-c', 'while :; do :; done']), {}))
}

/** Share of all CPUs busy over `ms` (from /proc/stat): other work on the machine before the bench starts. */
export async function machineBusy(ms = 1000): Promise<number> {
  const sample = async () => {
    const cpu =
      (await Bun.file('/proc/stat').text()).split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0) // idle + iowait
    return { idle, total: cpu.reduce((a, b) => a + b, 0) }
  }
  const a = await sample()
  await Bun.sleep(ms)
  const b = await sample()
  const total = b.total - a.total
  return total > 0 ? Math.round((1 - (b.idle - a.idle) / total) * 100) / 100 : 0
}
