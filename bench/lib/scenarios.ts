// The two servers under load: the Bun.serve baseline, and the binary through warm-up, cache hit and cache miss.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Params } from './args.ts'
import { fetchPass, metricsRedirectByStatus, type PassCounts } from './binary.ts'
import {
  freePort,
  pinned,
  readProc,
  spawnTracked,
  stopProcess,
  waitHttp,
  type ProcReading,
  type Stopped,
} from './procs.ts'
import { toRow, type ScenarioRow } from './report.ts'
import { fixedRateMisses, type FixedRateRun } from './fixed-rate.ts'
import { runWrk, type WrkRun } from './wrk.ts'

export interface Ctx {
  p: Params
  pin: { server: number; load: number } | null
  /** Environment of the binary (database, secrets, log level, host, data dir). */
  env: Record<string, string>
  bin: string
  tmp: string
  log: (msg: string) => void
  warn: (msg: string) => void
}

const hotScript = (p: Params): WrkRun['script'] => ['cycle', 1, p.hot, 1]

function load(ctx: Ctx, url: string, script: WrkRun['script'], durationS: number, serverPid: number) {
  const { p, pin } = ctx
  const { connections, threads } = p
  return runWrk({ url, script, durationS, connections, threads, cpu: pin?.load ?? null, serverPid })
}

/** The yardstick, alone on the server core (never while the binary runs): a warm-up, then the measured run. */
export async function runBaseline(
  ctx: Ctx,
  name: string,
): Promise<{ row: ScenarioRow; cpusAllowed: string }> {
  const { p } = ctx
  const port = await freePort()
  const cmd = pinned(ctx.pin?.server, [process.execPath, join(import.meta.dir, '..', 'baseline.ts')])
  const proc = spawnTracked(cmd, { env: { PATH: ctx.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1' } })
  const url = `http://127.0.0.1:${port}`
  await waitHttp(`${url}/`, proc)
  const cpusAllowed = (await readProc(proc.pid)).cpusAllowed
  ctx.log(`${name}: pid ${proc.pid} on cpus ${cpusAllowed}, warm-up ${p.warmupS}s, run ${p.durationS}s`)
  await load(ctx, url, hotScript(p), p.warmupS, proc.pid)
  const row = toRow(name, await load(ctx, url, hotScript(p), p.durationS, proc.pid))
  const stop = await stopProcess(proc, 'SIGTERM', 5000)
  if (stop.killed || stop.code !== 0)
    ctx.warn(`${name}: the baseline did not exit cleanly ${JSON.stringify(stop)}`)
  return { row, cpusAllowed }
}

export interface BinaryRun {
  pass: PassCounts
  warm: ScenarioRow
  hit: ScenarioRow
  miss: ScenarioRow
  /** Cold slugs at a fixed rate (open loop), before the saturating miss run: the latency target's measure. */
  missFixed: FixedRateRun
  rss: { atStart: ProcReading; afterWarmup: ProcReading; atEnd: ProcReading }
  serverMetrics: Record<string, number> | null
  shutdown: Stopped
}

/**
 * The binary on the server core: a counted fetch pass over the hot set (fills the cache), a wrk warm-up
 * on it, the cache-hit run, the cache-miss run (one pass over slugs hot+1..links in random order), then
 * SIGTERM and the wait for its exit. Every 302 it gives any of these clients is a click it owes.
 */
export async function runBinary(ctx: Ctx): Promise<BinaryRun> {
  const { p } = ctx
  const port = await freePort()
  const log = join(ctx.tmp, 'server.log')
  const env = { ...ctx.env, PORT: String(port) }
  const srv = spawnTracked(pinned(ctx.pin?.server, [ctx.bin, 'serve']), { cwd: ctx.tmp, env, log })
  const url = `http://127.0.0.1:${port}`
  await waitHttp(`${url}/healthz`, srv, 60_000)
  const atStart = await readProc(srv.pid)
  ctx.log(
    `skinstack: pid ${srv.pid} on cpus ${atStart.cpusAllowed}, warm-up: ${p.hot} hot slugs + ${p.warmupS}s`,
  )
  const pass = await fetchPass(url, p.hot)
  const warm = toRow('warm-up', await load(ctx, url, hotScript(p), p.warmupS, srv.pid))
  const afterWarmup = await readProc(srv.pid)
  ctx.log(
    `cache hit: ${p.durationS}s over ${p.hot} slugs; cache miss: ≤ ${p.durationS}s, one pass over the rest`,
  )
  const hit = toRow('redirect, cache hit', await load(ctx, url, hotScript(p), p.durationS, srv.pid))
  // The top slugs go to the fixed-rate probe, so each run meets only slugs never requested before.
  const fixedSeconds = Math.min(5, p.durationS)
  const fixedFirst = p.links - p.missRate * fixedSeconds + 1
  if (fixedFirst <= p.hot + 1)
    throw new Error(`--links ${p.links} leaves no cold slugs for --miss-rate ${p.missRate}`)
  ctx.log(`cache miss at a fixed ${p.missRate}/s for ${fixedSeconds}s (open loop), then saturated by wrk`)
  const missFixed = await fixedRateMisses(url, fixedFirst, p.missRate, fixedSeconds)
  const missScript: WrkRun['script'] = ['once', p.hot + 1, fixedFirst - 1, process.pid]
  const miss = toRow('redirect, cache miss', await load(ctx, url, missScript, p.durationS, srv.pid))
  const atEnd = await readProc(srv.pid)
  const serverMetrics = await metricsRedirectByStatus(url)
  const shutdown = await stopProcess(srv, 'SIGTERM', 60_000)
  const output = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean)
  if (output.length)
    console.error(`--- skinstack output (LOG_LEVEL=warn), last lines ---\n${output.slice(-15).join('\n')}`)
  return { pass, warm, hit, miss, missFixed, rss: { atStart, afterWarmup, atEnd }, serverMetrics, shutdown }
}
